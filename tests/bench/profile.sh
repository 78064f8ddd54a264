#!/usr/bin/env bash
# Where one request's time goes in the real server: seiguard pinned to core
# 1 under wrk load (core 0, TLS keep-alive, POST /validate or /mutate),
# `perf record` of everything core 1 runs (the server's threads and the
# kernel's work for them) for SECONDS, then every sample put in one bucket:
# transport (kernel, cpp-httplib), TLS, decode, rules, answer, logs, the
# allocator. Each bucket's share times the core's busy time per request
# (busy fraction / req/s) is its cost per request.
#
#   tests/bench/profile.sh [SECONDS=6] [CONNECTIONS=8] [PAYLOAD=seinode-pod-legacy] [ENDPOINT=validate]
#
# REPORT_OUT=file keeps perf's own report. Needs perf (linux-perf) and the bench kit (tests/bench/kit/setup.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bench="$root/tests/bench/kit"
secs=${1:-6} conns=${2:-8} payload=${3:-seinode-pod-legacy} endpoint=${4:-validate}
command -v perf >/dev/null || { echo "profile.sh: perf is not installed (apt-get install linux-perf)" >&2; exit 1; }
export BENCH_STATE=${BENCH_STATE:-${TMPDIR:-/tmp}/seiguard-bench}
"$bench/gen-certs.sh" >/dev/null
certs="$BENCH_STATE/certs"
work=$(mktemp -d)
taskset -c 1 "$root/build/seiguard" serve --tls-cert-file "$certs/tls.crt" --tls-private-key-file "$certs/tls.key" \
  --listen-address 127.0.0.1:9445 --public-listen-address 127.0.0.1:9446 --shutdown-delay 0s \
  > /dev/null 2> "$work/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
until curl -fsS --max-time 1 http://127.0.0.1:9446/readyz >/dev/null 2>&1; do
  kill -0 $pid 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.01
done
WARMUP=2 "$bench/run.sh" "https://127.0.0.1:9445/$endpoint" "$bench/payloads/$payload.review.json" \
  "$conns" "$((secs + 1))" > "$work/wrk.out" &
wrk_pid=$!
sleep 2.5  # the warm-up, and half a second into the measured run
perf record -q -C 1 -F 2999 -o "$work/perf.data" -- sleep "$secs" 2> /dev/null
wait $wrk_pid
result=$(grep '^RESULT' "$work/wrk.out")
echo "$result"
perf report -i "$work/perf.data" --no-children --sort dso,sym --stdio -F overhead,dso,sym 2> /dev/null \
  > "$work/report.txt"
[[ -n ${REPORT_OUT:-} ]] && cp "$work/report.txt" "$REPORT_OUT"  # the whole report, to look further
python3 "$here/profile_buckets.py" "$work/report.txt" "$result"
