#!/usr/bin/env bash
# Installs what the project needs on a Debian 12 machine, idempotently and quietly:
# apt packages that are missing, then the npm packages pinned in package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  # guest toolchain: C++ to wasm32-wasi
  clang-22 lld-22 libc++-22-dev-wasm32 libclang-rt-22-dev-wasm32 wasi-libc
  # native fuzzing runtime for the engine's libFuzzer target
  libclang-rt-22-dev
  # wabt: wast2json for the spec tests, wat2wasm, wasm-interp as a benchmark peer
  wabt
  # libraries
  libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev libcli11-dev libcurl4-openssl-dev
  # session-host spec files (TOML)
  libtomlplusplus-dev
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js runs jco (component tooling) and is a reference runtime for tests; a machine
# that already has a Node.js with npm (Debian's or another packaging) keeps it.
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci only when the lock file changed since the last install.
stamp=node_modules/.setup-stamp
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "setup: installing npm packages (npm ci)"
  npm ci --silent --no-audit --no-fund >/dev/null
  touch "$stamp"
fi
