#!/usr/bin/env bash
# Builds Liaison and runs the whole test suite.
#   tools/test.sh              release build in build/
#   tools/test.sh --sanitize   AddressSanitizer + UndefinedBehaviorSanitizer build in build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=OFF
dir=build
if [[ "${1:-}" == "--sanitize" ]]; then
  sanitize=ON
  dir=build-asan
  # Sanitized code runs several times slower: fewer random cases per property.
  export LIAISON_PROPERTY_CASES="${LIAISON_PROPERTY_CASES:-250}"
fi

tools/setup.sh
# A unity build compiles each target's .cc files in batches of 8 as one translation
# unit: the CLI11, Asio, gtest and RapidCheck code they all use is compiled once per
# batch instead of once per file.
cmake -S . -B "$dir" -G Ninja -DLIAISON_SANITIZE="$sanitize" -DCMAKE_UNITY_BUILD=ON >/dev/null
if [[ $sanitize == ON ]]; then
  ninja -C "$dir" -j2 liaison liaison_tests  # the benchmarks are not run here
else
  ninja -C "$dir" -j2
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd "$dir"
ctest --output-on-failure -j2
