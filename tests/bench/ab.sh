#!/usr/bin/env bash
# A/B of two seiguard builds in one run: OTHER (A, e.g. a worktree's build of
# the previous commit) against build/seiguard (B), both pinned to core 1,
# alternating pairs through tests/bench/kit/compare.sh so this VM's drift
# cancels out within each pair.
#
#   tests/bench/ab.sh OTHER_BINARY [SECONDS=5] [PAIRS=5] [CONNECTIONS=8] [PAYLOADS="legacy needs-injection"] [ENDPOINT=mutate]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bench="$root/tests/bench/kit"
other=${1:?the other seiguard binary}
secs=${2:-5} pairs=${3:-5} conns=${4:-8}
payloads=${5:-"seinode-pod-legacy seinode-pod-needs-injection"}
endpoint=${6:-mutate}
export BENCH_STATE=${BENCH_STATE:-${TMPDIR:-/tmp}/seiguard-bench}
"$bench/gen-certs.sh" >/dev/null
certs="$BENCH_STATE/certs"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
serve() {  # BINARY PORT PUBLIC_PORT
  taskset -c 1 "$1" serve --tls-cert-file "$certs/tls.crt" --tls-private-key-file "$certs/tls.key" \
    --listen-address "127.0.0.1:$2" --public-listen-address "127.0.0.1:$3" --shutdown-delay 0s > /dev/null 2>&1 &
  pids+=($!)
}
serve "$other" 9545 9546
serve "$root/build/seiguard" 9445 9446
sleep 1
for payload in $payloads; do
  echo "== $payload /$endpoint, $conns connections: $other (A) vs build/seiguard (B)"
  NAME_A=other NAME_B=this "$bench/compare.sh" "https://127.0.0.1:9545/$endpoint" "https://127.0.0.1:9445/$endpoint" \
    "$bench/payloads/$payload.review.json" "$conns" "$secs" "$pairs" | tail -4
done
