#!/usr/bin/env bash
# The project's main command (the README's first): installs what is missing, builds the
# optimized OrderFlow demo service and the sluice CLI, and runs the service. Arguments go to it
# (sluice_orderflow --help: --orders N --rate R --port P --data-dir DIR --in-memory
# --transient-rate X --permanent-rate Y --otlp URL --trace-file F --exit-when-done ...).
# Messages are durable in ./orderflow-data by default; the dashboard is on http://127.0.0.1:8080/.
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
