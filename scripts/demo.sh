#!/usr/bin/env bash
# The main job: a demo session on embedded defaults (heuristic agents, CPU gpu backend, no API
# key, no network), run by the C++ session host on the project's own engine.
# (`node tools/node-host/demo.mjs` runs the same session on jco/Node.js, for comparison.)
set -euo pipefail
cd "$(dirname "$0")/.."
exec build/bin/session-host demo "$@"
