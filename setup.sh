#!/usr/bin/env bash
# Installs what ubee needs to build and test, from Debian's packages, when it is missing.
# Safe to run again: it installs nothing when every package is present.
set -euo pipefail
packages=(
  build-essential cmake ninja-build git python3 pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  libfmt-dev libcli11-dev nlohmann-json3-dev libelf-dev zlib1g-dev
  libasmjit-dev libzydis-dev linux-libc-dev
  clang llvm clang-19 libbpf-dev bpftool
  systemtap-sdt-dev bpftrace jq util-linux
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
