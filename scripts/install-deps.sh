#!/usr/bin/env bash
# Installs what building and testing cairn needs, when it is missing:
#   - libclang and a C++ compiler, to build RocksDB and generate its bindings;
#   - skopeo and the ORAS Python SDK, the real clients of the interop tests.
# Safe to run again: it installs only what is absent.
set -euo pipefail
cd "$(dirname "$0")/.."

scope="${1:-test}" # "build" installs only what compiling needs

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

packages=()
if command -v dpkg >/dev/null 2>&1; then
  dpkg -s libclang-dev >/dev/null 2>&1 || packages+=(libclang-dev)
elif ! ls /usr/lib/llvm-*/lib/libclang.so* >/dev/null 2>&1; then
  packages+=(libclang-dev)
fi
command -v c++ >/dev/null 2>&1 || packages+=(g++)
if [ "$scope" = test ]; then
  command -v skopeo >/dev/null 2>&1 || packages+=(skopeo)
fi

if [ ${#packages[@]} -gt 0 ]; then
  echo "installing ${packages[*]}" >&2
  sudo_if_needed apt-get update -q
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${packages[@]}"
fi

if [ "$scope" = test ]; then
  requirement=$(grep -v '^#' tests/interop/requirements.txt | head -n 1)
  wanted=${requirement#oras==}
  have=$(python3 -c 'import importlib.metadata as m; print(m.version("oras"))' 2>/dev/null || true)
  if [ "$have" != "$wanted" ]; then
    echo "installing $requirement" >&2
    python3 -m pip install -q -r tests/interop/requirements.txt 2>/dev/null ||
      python3 -m pip install -q --break-system-packages -r tests/interop/requirements.txt
  fi
fi
