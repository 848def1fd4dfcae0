#!/usr/bin/env bash
# The main job: a demo session on embedded defaults (heuristic agents, no API key, no network).
set -euo pipefail
cd "$(dirname "$0")/.."
exec node tools/node-host/demo.mjs "$@"
