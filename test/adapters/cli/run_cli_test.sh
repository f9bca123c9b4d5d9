#!/usr/bin/env bash
# CTest cli_integration_suite: the `sluice` CLI against a running OrderFlow (durable, scratch data
# directory, free loopback port, declined cards): the bus runbook's commands and their exit codes
# (0 ok, 1 failed or not found, 2 usage, 3 unreachable, 4 unauthorized).
#   run_cli_test.sh ORDERFLOW_BINARY SLUICE_BINARY
set -euo pipefail
orderflow=$1
sluice=$2
work=$(mktemp -d)
cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
export SLUICE_ADMIN_TOKEN=cli-test-token
"$orderflow" --orders 3000 --rate 1500 --permanent-rate 0.05 --workers 8 --data-dir "$work/data" --port 0 \
  >"$work/orderflow.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  SLUICE_URL=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/orderflow.log" | head -n1 || true)
  [ -n "$SLUICE_URL" ] && break
  sleep 0.1
done
[ -n "$SLUICE_URL" ] || { cat "$work/orderflow.log" >&2; exit 1; }
export SLUICE_URL
failures=0
expect() {  # expect CODE DESCRIPTION -- COMMAND...
  local want=$1 what=$2
  shift 3
  set +e
  "$@" >"$work/out" 2>&1
  local got=$?
  set -e
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: $what: exit $got, expected $want; output:" >&2
    cat "$work/out" >&2
    failures=$((failures + 1))
  else
    echo "ok: $what (exit $got)"
  fi
}
# Wait until the load has finished (OrderFlow prints its summary).
for _ in $(seq 1 300); do grep -q 'OrderFlow summary' "$work/orderflow.log" && break; sleep 0.1; done

expect 0 "health" -- "$sluice" health
expect 0 "health --detailed" -- "$sluice" health --detailed
grep -q 'sluice::permanent_error' "$work/out" || { echo "FAIL: health --detailed lists no error types" >&2; failures=$((failures + 1)); }
expect 0 "metrics" -- "$sluice" metrics
expect 0 "list --state dlq (json)" -- "$sluice" list --state dlq --format json --limit 5
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["messages"][0]["id"])' "$work/out")
expect 0 "show a dead letter" -- "$sluice" show "$id"
grep -q 'card declined' "$work/out" || { echo "FAIL: show prints no error" >&2; failures=$((failures + 1)); }
expect 0 "replay one" -- "$sluice" replay "$id"
# The replayed payment goes through (the customer fixed the card): the message is gone.
gone=1
for _ in $(seq 1 50); do
  set +e; "$sluice" show "$id" >/dev/null 2>&1; rc=$?; set -e
  [ "$rc" -eq 1 ] && { gone=0; break; }
  sleep 0.1
done
[ "$gone" -eq 0 ] && echo "ok: the replayed message was processed" || { echo "FAIL: replayed message still there" >&2; failures=$((failures + 1)); }
expect 1 "replay it again: not found" -- "$sluice" replay "$id"
expect 0 "replay --dlq --dry-run" -- "$sluice" replay --dlq --queue payments --dry-run
expect 0 "replay --dlq in batches" -- "$sluice" replay --dlq --queue payments --batch-size 10 --delay-ms 20
expect 0 "dlq stats" -- "$sluice" dlq stats
expect 0 "snapshot" -- "$sluice" snapshot
expect 2 "purge without --yes" -- "$sluice" purge --dlq
expect 0 "purge --yes" -- "$sluice" purge --dlq --queue payments --yes
expect 2 "unknown state" -- "$sluice" list --state bogus
expect 2 "no command" -- "$sluice"
expect 3 "unreachable engine" -- "$sluice" --url http://127.0.0.1:1 health
expect 4 "wrong token" -- env SLUICE_ADMIN_TOKEN=wrong "$sluice" snapshot
expect 0 "metrics --reset" -- "$sluice" metrics --reset
# The Grafana dashboard uses only metrics this engine exports (persistence on, so all of them).
root=$(cd "$(dirname "$0")/../../.." && pwd)
python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())' \
  "$SLUICE_URL/metrics" >"$work/metrics.txt"
expect 0 "the Grafana dashboard's metric names exist" -- python3 "$root/docs/dashboards/check_metric_names.py" \
  "$root/docs/dashboards/sluice-grafana.json" "$work/metrics.txt"
# Offline: refused while the engine holds the directory; after a clean stop, stats and a backup
# that an engine then starts from.
expect 3 "stats on a live data directory" -- "$sluice" --data-dir "$work/data" stats
expect 2 "stats without --data-dir" -- "$sluice" stats
expect 3 "offline list on a live data directory" -- "$sluice" --data-dir "$work/data" list --state all
kill -TERM "$pid"
wait "$pid" || true
pid=""
expect 0 "stats (offline)" -- "$sluice" --data-dir "$work/data" stats
grep -q 'sound' "$work/out" || { echo "FAIL: stats shows no sound snapshot" >&2; failures=$((failures + 1)); }
expect 0 "list (offline)" -- "$sluice" --data-dir "$work/data" list --state dlq --format json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["offline"] and all(m["state"]=="dlq" for m in d["messages"])' \
  "$work/out" || { echo "FAIL: offline list" >&2; failures=$((failures + 1)); }
expect 2 "offline replay is refused" -- "$sluice" --data-dir "$work/data" replay --dlq
expect 0 "backup (offline)" -- "$sluice" --data-dir "$work/data" backup --out "$work/backup"
expect 1 "backup into a used directory" -- "$sluice" --data-dir "$work/data" backup --out "$work/backup"
expect 0 "stats of the backup" -- "$sluice" --data-dir "$work/backup" stats --format json
expect 0 "an engine starts from the backup" -- "$orderflow" --orders 0 --data-dir "$work/backup" --no-http --no-otlp \
  --exit-when-done
grep -q 'recovered' "$work/out" || { echo "FAIL: no recovery from the backup" >&2; failures=$((failures + 1)); }
[ "$failures" -eq 0 ] || { echo "$failures CLI check(s) failed" >&2; exit 1; }
echo "all CLI checks passed"
