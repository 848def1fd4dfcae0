#!/usr/bin/env bash
# The installed package as an embedder sees it: `cmake --install` into a fresh prefix, then
# examples/embed built as a project of its own with find_package(lokust), run; and the
# installed session-host running the demo from elsewhere (it finds share/lokust's component).
#   install_test.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
build=$1 src=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >"$work/install.log"
cmake -S "$src/examples/embed" -B "$work/embed" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" \
  >"$work/configure.log"
cmake --build "$work/embed" >"$work/build.log"
"$work/embed/embed_host_example" "$work/data-a" "$work/data-b"
(cd "$work" && "$work/prefix/bin/session-host" --version && "$work/prefix/bin/session-host" demo | tail -1)
rm -rf "$work"
