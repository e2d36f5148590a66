#!/usr/bin/env bash
# Configures and builds trustgate into ./build (or $BUILD_DIR). Used by scripts/demo and scripts/test.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${BUILD_DIR:-build}"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" >/dev/null
cmake --build "$build" -j"$(nproc)"
