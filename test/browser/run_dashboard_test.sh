#!/usr/bin/env bash
# CTest dashboard_browser_suite: starts OrderFlow (durable, in a scratch data directory, on a free
# loopback port) under a steady load with declined cards, then drives the dashboard in Debian's
# headless Chromium (dashboard_test.mjs): the numbers move, a dead letter replayed from the page
# leaves the dead-letter queue and is processed. The screenshot is kept as a test artifact.
#   run_dashboard_test.sh ORDERFLOW_BINARY ARTIFACT_DIR
set -euo pipefail
orderflow=$1
artifacts=$2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$artifacts"
work=$(mktemp -d)
log="$artifacts/dashboard-orderflow.log"
cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

[ -d "$here/node_modules/playwright-core" ] || { echo "run scripts/install-deps.sh first (npm ci in test/browser)" >&2; exit 1; }
export SLUICE_ADMIN_TOKEN=dashboard-test-token
"$orderflow" --orders 200000 --rate 400 --permanent-rate 0.05 --threads 2 --workers 8 \
  --data-dir "$work/data" --port 0 >"$log" 2>&1 &
pid=$!
url=""
for _ in $(seq 1 100); do
  url=$(grep -o 'http://127.0.0.1:[0-9]*/' "$log" | head -n1 || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "OrderFlow did not start:" >&2; cat "$log" >&2; exit 1; }
echo "OrderFlow at $url (pid $pid)"
SLUICE_URL=${url%/} SCREENSHOT="$artifacts/dashboard.png" node "$here/dashboard_test.mjs"
echo "screenshot: $artifacts/dashboard.png"
