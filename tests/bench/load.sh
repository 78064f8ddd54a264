#!/usr/bin/env bash
# Load benchmark of the real server: starts build/seiguard pinned to core 1
# (the bench kit's convention; wrk runs on core 0), measures start-up to ready
# and idle RSS, then drives it with wrk over TLS keep-alive through
# tests/bench/kit/run.sh at each connection count on each SeiNode fixture,
# sampling RSS. Loopback only; every run is bounded by its duration.
#
#   tests/bench/load.sh [SECONDS=10] [CONNECTIONS="1 8 32"] [PAYLOADS=all four]
#
# SEIGUARD=path runs another build (A/B). Needs tests/bench/kit/setup.sh (wrk) once. Results: RESULT lines on stdout
# and, with RESULTS_LOG=file, appended there. Log level: LOG_LEVEL (default
# info, i.e. one log line per decision, as deployed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bench="$root/tests/bench/kit"
secs=${1:-10}
conns=${2:-"1 8 32"}
payloads=${3:-"seinode-pod-legacy seinode-pod-needs-injection seinode-pod-split plain-pod"}
port=${PORT:-9445}
public=${PUBLIC_PORT:-9446}
export BENCH_STATE=${BENCH_STATE:-${TMPDIR:-/tmp}/seiguard-bench}
"$bench/gen-certs.sh" >/dev/null
certs="$BENCH_STATE/certs"

log=$(mktemp)
start_ns=$(date +%s%N)
taskset -c "${SERVER_CPU:-1}" "${SEIGUARD:-$root/build/seiguard}" serve \
  --tls-cert-file "$certs/tls.crt" --tls-private-key-file "$certs/tls.key" \
  --listen-address "127.0.0.1:$port" --public-listen-address "127.0.0.1:$public" \
  --log-level "${LOG_LEVEL:-info}" --shutdown-delay 0s --shutdown-timeout 5s > /dev/null 2> "$log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
until curl -fsS --max-time 1 "http://127.0.0.1:$public/readyz" >/dev/null 2>&1; do
  kill -0 $pid 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.002
done
ready_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
sleep 1
idle_kb=$(awk '/VmRSS/{print $2}' /proc/$pid/status)
echo "STARTUP ready_ms=$ready_ms idle_rss_kb=$idle_kb"

for payload in $payloads; do
  for c in $conns; do
    RSS_PID=$pid LABEL=seiguard "$bench/run.sh" "https://127.0.0.1:$port/mutate" \
      "$bench/payloads/$payload.review.json" "$c" "$secs" | grep '^RESULT' \
      | tee -a "${RESULTS_LOG:-/dev/null}"
  done
done
after_kb=$(awk '/VmRSS/{print $2}' /proc/$pid/status)
echo "AFTER rss_kb=$after_kb"
