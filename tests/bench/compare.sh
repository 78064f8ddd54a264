#!/usr/bin/env bash
# Side by side in one run, on the same pinned core: seiguard against the Go
# peer (net/http + encoding/json, the controller-runtime/Kyverno/Gatekeeper
# stack), against the bare cpp-httplib ceiling and against nginx answering a
# static 200 (this machine's TLS transport limit), alternating A/B pairs
# through tests/bench/kit/compare.sh (ratios within pairs cancel this VM's
# drift). NGINX=0 skips nginx.
#
#   tests/bench/compare.sh [SECONDS=5] [PAIRS=3] [CONNECTIONS=8] [PAYLOADS="legacy needs-injection"]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bench="$root/tests/bench/kit"
secs=${1:-5} pairs=${2:-3} conns=${3:-8}
payloads=${4:-"seinode-pod-legacy seinode-pod-needs-injection"}
export BENCH_STATE=${BENCH_STATE:-${TMPDIR:-/tmp}/seiguard-bench}
"$bench/gen-certs.sh" >/dev/null
certs="$BENCH_STATE/certs"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  "$bench/stop.sh" go-peer >/dev/null 2>&1 || true
  "$bench/stop.sh" nginx >/dev/null 2>&1 || true
}
trap cleanup EXIT

go_pid=$(SERVER_CPU=1 "$bench/start-go-peer.sh" 127.0.0.1:9443)
with_nginx=${NGINX:-1}
[[ $with_nginx == 1 ]] && SERVER_CPU=1 "$bench/start-nginx.sh" 127.0.0.1:9444 >/dev/null
ceiling=$("$bench/httplib-ceiling/build.sh")
taskset -c 1 "$ceiling" "$certs/tls.crt" "$certs/tls.key" 8 19447 > /dev/null 2>&1 &
pids+=($!)
taskset -c 1 "$root/build/seiguard" serve --tls-cert-file "$certs/tls.crt" --tls-private-key-file "$certs/tls.key" \
  --listen-address 127.0.0.1:9445 --public-listen-address 127.0.0.1:9446 --shutdown-delay 0s > /dev/null 2>&1 &
pids+=($!)
sleep 1
for payload in $payloads; do
  file="$bench/payloads/$payload.review.json"
  echo "== $payload, $conns connections: Go peer (A) vs seiguard (B)"
  NAME_A=go NAME_B=seiguard "$bench/compare.sh" https://127.0.0.1:9443/mutate https://127.0.0.1:9445/mutate "$file" "$conns" "$secs" "$pairs" | tail -4
  echo "== $payload, $conns connections: bare cpp-httplib ceiling (A) vs seiguard (B)"
  NAME_A=ceiling NAME_B=seiguard "$bench/compare.sh" https://127.0.0.1:19447/validate https://127.0.0.1:9445/validate "$file" "$conns" "$secs" "$pairs" | tail -4
  if [[ $with_nginx == 1 ]]; then
    echo "== $payload, $conns connections: nginx, static 200 (A) vs seiguard (B)"
    NAME_A=nginx NAME_B=seiguard "$bench/compare.sh" https://127.0.0.1:9444/ https://127.0.0.1:9445/validate "$file" "$conns" "$secs" "$pairs" | tail -4
  fi
done
