#!/usr/bin/env bash
# Installs the Debian 12 packages Liaison needs to build, test and run, when missing.
# Run as root (or with sudo available). Safe to run again.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libsqlite3-dev sqlite3
  libboost1.81-dev
  libssl-dev openssl
  libcereal-dev
  libgtest-dev libgmock-dev
  librapidcheck-dev
  libcli11-dev
  libbenchmark-dev
  clang libclang-rt-14-dev  # tools/fuzz.sh
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
echo "setup: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
