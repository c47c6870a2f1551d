#!/usr/bin/env bash
# Fuzzes the wire decoder (engine/protocol/WIRE.md) with libFuzzer, under
# AddressSanitizer and UndefinedBehaviorSanitizer.
#   tools/fuzz.sh [SECONDS]    run for SECONDS (default 60)
# Builds tools/fuzz_wire.cc with clang++ in build-fuzz/, seeds a fresh corpus from the
# golden frames (engine/protocol/testdata/wire/), and fuzzes. Exits non-zero on any
# crash, sanitizer report, leak or timeout; the input that caused it is written to
# build-fuzz/crash-* (or leak-*, timeout-*): replay it with
# `build-fuzz/tools/fuzz_wire FILE`.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"

tools/setup.sh
cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DLIAISON_FUZZ=ON >/dev/null
ninja -C build-fuzz -j2 fuzz_wire

corpus=build-fuzz/corpus
rm -rf "$corpus"
mkdir -p "$corpus"
cp engine/protocol/testdata/wire/*.frame "$corpus"/

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
build-fuzz/tools/fuzz_wire -max_total_time="$seconds" -max_len=65536 -print_final_stats=1 \
  -artifact_prefix=build-fuzz/ "$corpus"
