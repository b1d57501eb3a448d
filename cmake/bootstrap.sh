#!/usr/bin/env bash
# Installs the Debian packages pricepipe needs (only those missing) and
# builds it into ./build. Sourced by demo.sh and test.sh; safe to rerun.
set -euo pipefail

PRICEPIPE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PRICEPIPE_BUILD="${PRICEPIPE_BUILD:-$PRICEPIPE_ROOT/build}"
PRICEPIPE_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libcurl4-openssl-dev libssl-dev libsimdjson-dev libtbb-dev libzstd-dev
  libspdlog-dev libfmt-dev libpugixml-dev zlib1g-dev libcli11-dev libyaml-cpp-dev libpq-dev libsqlite3-dev libhiredis-dev libgtest-dev libbenchmark-dev openssl
)

pricepipe_install_packages() {
  local missing=()
  for p in "${PRICEPIPE_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "bootstrap: installing ${missing[*]}" >&2
    local sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
}

pricepipe_build() {
  cmake -S "$PRICEPIPE_ROOT" -B "$PRICEPIPE_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPRICEPIPE_WERROR=ON "$@" >&2
  cmake --build "$PRICEPIPE_BUILD" -j "$(nproc)" >&2
}
