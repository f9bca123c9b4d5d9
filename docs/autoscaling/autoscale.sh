#!/bin/sh
# Scales the workers of each sluice queue to its backlog, through the admin HTTP API.
#
#   desired = clamp(ceil(pending / TARGET_PER_WORKER), MIN_WORKERS, MAX_WORKERS)
#
# Each pass reads GET $SLUICE_URL/metrics (sluice_pending_messages and sluice_workers per queue)
# and calls POST $SLUICE_URL/api/queues/{queue}/scale?workers=N for each queue whose desired
# count differs from the last one applied (at first sight of a queue: from its current workers).
# POSIX sh, curl and awk; no jq. See README.md in this directory.
#
# Environment:
#   SLUICE_URL          admin endpoint                          (default http://127.0.0.1:8080)
#   SLUICE_ADMIN_TOKEN  bearer token; required (scaling is a mutation)
#   TARGET_PER_WORKER   pending messages one worker should face  (default 100)
#   MIN_WORKERS         lower bound                              (default 1)
#   MAX_WORKERS         upper bound                              (default 4, the engine's max_workers default)
#   INTERVAL            seconds between passes                   (default 15)
#   ONCE=1              one pass, then exit: 0 if every step worked, 1 otherwise
#   QUEUES              space-separated queue names to manage    (default: every queue in /metrics)
#
# The engine refuses a count outside the queue's own [min_workers, max_workers] (HTTP 400, logged
# here); keep MIN_WORKERS and MAX_WORKERS within every managed queue's range, or run one copy per
# queue with QUEUES set.
set -u

SLUICE_URL=${SLUICE_URL:-http://127.0.0.1:8080}
SLUICE_URL=${SLUICE_URL%/}
TARGET_PER_WORKER=${TARGET_PER_WORKER:-100}
MIN_WORKERS=${MIN_WORKERS:-1}
MAX_WORKERS=${MAX_WORKERS:-4}
INTERVAL=${INTERVAL:-15}
ONCE=${ONCE:-0}
QUEUES=${QUEUES:-}

log() {
  printf '%s autoscale: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2
}

die() {
  log "$*"
  exit 2
}

is_uint() {
  case $1 in
    '' | *[!0-9]*) return 1 ;;
    *) return 0 ;;
  esac
}

if ! is_uint "$TARGET_PER_WORKER" || [ "$TARGET_PER_WORKER" -eq 0 ]; then
  die "TARGET_PER_WORKER must be a positive integer"
fi
is_uint "$MIN_WORKERS" || die "MIN_WORKERS must be a non-negative integer"
if ! is_uint "$MAX_WORKERS" || [ "$MAX_WORKERS" -lt "$MIN_WORKERS" ]; then
  die "MAX_WORKERS must be an integer >= MIN_WORKERS"
fi
if ! is_uint "$INTERVAL" || [ "$INTERVAL" -eq 0 ]; then
  die "INTERVAL must be a positive integer (seconds)"
fi
[ -n "${SLUICE_ADMIN_TOKEN:-}" ] || die "SLUICE_ADMIN_TOKEN is not set (POST /api/queues/{q}/scale needs it)"
command -v curl >/dev/null 2>&1 || die "curl not found"

# curl reads the Authorization header from a config on stdin, so the token never appears in the
# process list (as it would in a -H argument).
curl_config() {
  token=$(printf '%s' "$SLUICE_ADMIN_TOKEN" | sed 's/\\/\\\\/g; s/"/\\"/g')
  printf 'header = "Authorization: Bearer %s"\n' "$token"
}

# Prints one line per queue: <url-encoded name> <desired workers> <current workers> <pending>.
plan() {
  LC_ALL=C awk -v target="$TARGET_PER_WORKER" -v lo="$MIN_WORKERS" -v hi="$MAX_WORKERS" -v only="$QUEUES" '
    BEGIN {
      for (i = 1; i < 256; i++) ord[sprintf("%c", i)] = i
      n = split(only, list, " ")
      for (i = 1; i <= n; i++) wanted[list[i]] = 1
    }
    # The queue label value of a sample line, unescaped (\\, \" and \n).
    function queue_label(line,    s, i, c, v) {
      s = index(line, "queue=\"")
      if (s == 0) return ""
      v = ""
      for (i = s + 7; i <= length(line); i++) {
        c = substr(line, i, 1)
        if (c == "\\") {
          i++
          c = substr(line, i, 1)
          v = v (c == "n" ? "\n" : c)
        } else if (c == "\"") {
          return v
        } else {
          v = v c
        }
      }
      return ""
    }
    function urlencode(s,    i, c, out) {
      out = ""
      for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c ~ /[A-Za-z0-9._~-]/) out = out c
        else out = out sprintf("%%%02X", ord[c])
      }
      return out
    }
    /^sluice_pending_messages\{/ { q = queue_label($0); if (q != "") pending[q] = $NF + 0 }
    /^sluice_workers\{/          { q = queue_label($0); if (q != "") workers[q] = $NF + 0 }
    END {
      for (q in pending) {
        if (n > 0 && !(q in wanted)) continue
        d = int((pending[q] + target - 1) / target)
        if (d < lo) d = lo
        if (d > hi) d = hi
        printf "%s %d %d %d\n", urlencode(q), d, (q in workers) ? workers[q] : -1, pending[q]
      }
    }'
}

applied=""  # lines "<queue> <workers>": the last count applied per queue

last_applied() {
  printf '%s\n' "$applied" | awk -v q="$1" '$1 == q { v = $2 } END { print v }'
}

remember() {
  applied=$(printf '%s\n' "$applied" | awk -v q="$1" '$1 != q && NF == 2')
  applied=$(printf '%s\n%s %s' "$applied" "$1" "$2")
}

scale() {  # queue (url-encoded), workers; 0 if the engine accepted it
  response=$(curl_config | curl -sS -K - --max-time 10 -X POST -w '\n%{http_code}' \
    "$SLUICE_URL/api/queues/$1/scale?workers=$2" 2>&1)
  status=$(printf '%s\n' "$response" | tail -n 1)
  if [ "$status" = 200 ]; then
    return 0
  fi
  log "scaling $1 to $2 failed: HTTP ${status:-none}: $(printf '%s\n' "$response" | sed '$d' | tr '\n' ' ')"
  return 1
}

pass() {  # 0 if every step worked
  ok=0
  if ! metrics=$(curl_config | curl -fsS -K - --max-time 10 "$SLUICE_URL/metrics" 2>&1); then
    log "cannot read $SLUICE_URL/metrics: $metrics"
    return 1
  fi
  lines=$(printf '%s\n' "$metrics" | plan)
  if [ -z "$lines" ]; then
    log "no sluice_pending_messages series at $SLUICE_URL/metrics"
    return 1
  fi
  while read -r queue desired current pending; do
    last=$(last_applied "$queue")
    if [ -z "$last" ] && [ "$current" -ge 0 ]; then
      last=$current
      remember "$queue" "$current"
    fi
    [ "$desired" = "$last" ] && continue
    if scale "$queue" "$desired"; then
      log "queue $queue: $pending pending, workers ${last:-?} -> $desired"
      remember "$queue" "$desired"
    else
      ok=1
    fi
  done <<EOT
$lines
EOT
  return $ok
}

if [ "$ONCE" = 1 ]; then
  pass
  exit $?
fi
trap 'exit 0' INT TERM
while :; do
  pass || :
  sleep "$INTERVAL" &
  wait $! || :
done
