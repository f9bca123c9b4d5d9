#!/usr/bin/env bash
# The project's main command (the README's first): installs what is missing, builds the
# optimized OrderFlow demo and runs it. Arguments go to the demo (try --help-style flags:
# --orders N --threads T --workers W --decline-every K --capacity C --data-dir DIR --in-memory).
# Messages are durable in ./orderflow-data by default.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
mkdir -p build
cmake --preset release >/dev/null 2>build/release-configure.log || { cat build/release-configure.log >&2; exit 1; }
if ! cmake --build --preset release -j "${SLUICE_JOBS:-$(nproc)}" --target sluice_orderflow sluice >build/release-build.log 2>&1; then
  cat build/release-build.log >&2
  exit 1
fi
exec build/release/samples/orderflow/sluice_orderflow "$@"
