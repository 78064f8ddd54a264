#!/usr/bin/env bash
# A local Kubernetes control plane with seiguard registered, on loopback only.
#
#   scripts/cluster.sh build                      build (once) etcd, kube-apiserver,
#                                                 kube-controller-manager, kubectl, and
#                                                 matchcond (the API server's CEL, for tests)
#   scripts/cluster.sh up DIR [options]           start everything, state in DIR
#   scripts/cluster.sh down DIR                   stop what `up` started, remove DIR
#   scripts/cluster.sh webhook DIR start|stop [--policy-file FILE]
#                                                 (re)start seiguard with a policy, and register
#                                                 the configurations generated for it; or stop it
#   scripts/cluster.sh in-tree DIR on [--policy-file FILE] | off
#                                                 apply the in-tree policies generated for a
#                                                 policy (replacing those in force); or remove them
#
# up options:
#   --backstop               also apply manifests/overlays/backstop (the VAPs)
#   --in-tree                in-tree mode: apply the admission policies of
#                            manifests/overlays/in-tree (`seiguard in-tree`), and
#                            start no seiguard and register no webhook
#   --no-webhook             register the webhook configurations, start no server
#   --failure-policy P       Ignore or Fail, for every registered webhook
#                            (default: as shipped, Fail to validate, Ignore to mutate)
#   --policy-file FILE       seiguard's policy (default: manifests/base/policy.yaml,
#                            the one the deployment mounts); the webhook
#                            configurations registered are generated for it
#   --profiling              serve kube-apiserver's /debug/pprof (benchmarks only)
#
# The binaries are built from the pinned module tests/cluster (go.mod, go.sum)
# into $CLUSTER_BIN (default build/cluster/bin), rebuilt only when the module or
# the Go version changes. `up` runs etcd, kube-apiserver (RBAC, the default
# admission plugins) and kube-controller-manager (the namespace, service
# account, garbage collector, StatefulSet, ReplicaSet, Deployment, Job and
# CronJob controllers, and the one that type-checks ValidatingAdmissionPolicies); no scheduler and no kubelet, so pods stay Pending. It
# starts `seiguard serve` ($SEIGUARD, default build/seiguard) with certificates
# made by certs/gen-certs.sh and registers the webhook configurations that
# `seiguard webhooks --policy-file FILE` generates (for the base policy, those
# of manifests/base), with only clientConfig changed (a url on 127.0.0.1 and
# the caBundle). It exits 0 once a request through the API server has reached
# seiguard (tests/cluster/reach.py: an object the policy judges, seen in
# seiguard's own request count; with --no-webhook: once the configurations
# are registered) and, with --backstop, once requests show both backstop
# policies in force; with --in-tree, once a probe is seen evaluated by every
# in-tree policy (the API server's own admission-policy metrics). It prints
# `export KUBECONFIG=DIR/kubeconfig` last.
#
# Every process is recorded in DIR/pids; `down` stops them by pid (TERM, then
# KILL) and removes DIR. Logs are in DIR/logs.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cluster_bin=${CLUSTER_BIN:-$repo/build/cluster/bin}
seiguard=${SEIGUARD:-$repo/build/seiguard}
go_toolchain=go1.26.8   # what tests/cluster/go.mod needs (go 1.26.0) and CI has
# Debian's Python has PyYAML (scripts/setup.sh test installs python3-yaml).
python=/usr/bin/python3
[[ -x "$python" ]] || python=python3

die() { echo "cluster: $*" >&2; exit 1; }
say() { echo "cluster: $*" >&2; }

usage() {
  sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# A Go that builds the module: the one on PATH when it is new enough, or the
# toolchain of $go_toolchain taken from the Go module proxy by a Go >= 1.21.
find_go() {
  local g
  for g in "$(command -v go || true)" /usr/local/go/bin/go /usr/lib/go/bin/go; do
    [[ -n "$g" && -x "$g" ]] || continue
    local v
    v=$("$g" env GOVERSION 2>/dev/null || true)
    v=${v#go}
    local major=${v%%.*} rest=${v#*.}
    local minor=${rest%%[.a-z]*}
    [[ "$major" =~ ^[0-9]+$ && "$minor" =~ ^[0-9]+$ ]] || continue
    if ((major > 1 || minor >= 26)); then echo "$g"; return 0; fi
    if ((minor >= 21)); then GOTOOLCHAIN=$go_toolchain; export GOTOOLCHAIN; echo "$g"; return 0; fi
  done
  return 1
}

cmd_build() {
  local go
  go=$(find_go) || die "no Go >= 1.21 found (scripts/setup.sh test installs one); the control plane needs $go_toolchain"
  local key
  key=$(cat "$repo/tests/cluster/go.mod" "$repo/tests/cluster/go.sum" "$repo"/tests/cluster/matchcond/*.go \
    <(cd "$repo/tests/cluster" && "$go" env GOVERSION) | sha256sum | cut -c1-16)
  if [[ -f "$cluster_bin/.key" && "$(cat "$cluster_bin/.key")" == "$key" ]] &&
     [[ -x "$cluster_bin/kube-apiserver" && -x "$cluster_bin/kube-controller-manager" && -x "$cluster_bin/kubectl" && -x "$cluster_bin/etcd" && -x "$cluster_bin/matchcond" ]]; then
    return 0
  fi
  say "building etcd, kube-apiserver, kube-controller-manager and kubectl from tests/cluster (minutes, once)"
  local start=$SECONDS tmp
  mkdir -p "$cluster_bin"
  tmp=$(mktemp -d "$cluster_bin/.build.XXXXXX")
  # -mod=readonly: go.sum is the pin; a build never rewrites it.
  (cd "$repo/tests/cluster" && GOFLAGS=-mod=readonly CGO_ENABLED=0 "$go" build -trimpath -ldflags='-s -w' -o "$tmp/" tool ./matchcond) ||
    { rm -rf "$tmp"; die "the control-plane build failed"; }
  mv "$tmp/server" "$tmp/etcd"
  local b
  for b in etcd kube-apiserver kube-controller-manager kubectl matchcond; do mv -f "$tmp/$b" "$cluster_bin/$b"; done
  rm -rf "$tmp"
  echo "$key" > "$cluster_bin/.key"
  say "built in $((SECONDS - start)) s into $cluster_bin"
}

# Free loopback TCP ports, N of them.
free_ports() {
  "$python" - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# start NAME CMD...: runs CMD in the background with its output in
# DIR/logs/NAME.log and records its pid before anything else can fail.
start() {
  local name=$1; shift
  "$@" </dev/null >>"$dir/logs/$name.log" 2>&1 &
  echo "$name $!" >> "$dir/pids"
}

# wait_for WHAT SECONDS CMD...: polls CMD until it succeeds.
wait_for() {
  local what=$1 limit=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { say "$what did not come up in ${limit}s; see $dir/logs"; return 1; }
    sleep 0.2
  done
}

pki() {
  local p=$dir/pki
  mkdir -p "$p"
  (
    umask 077
    openssl ecparam -name prime256v1 -genkey -noout -out "$p/ca.key" 2>/dev/null
    openssl req -x509 -new -key "$p/ca.key" -sha256 -days 2 -subj "/CN=seiguard-test-cluster-ca" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -out "$p/ca.crt" 2>/dev/null
    leaf() {  # leaf NAME SUBJECT EXTENSIONS
      openssl ecparam -name prime256v1 -genkey -noout -out "$p/$1.key" 2>/dev/null
      openssl req -new -key "$p/$1.key" -subj "$2" -out "$p/$1.csr" 2>/dev/null
      printf '%b' "$3" > "$p/$1.ext"
      openssl x509 -req -in "$p/$1.csr" -CA "$p/ca.crt" -CAkey "$p/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
        -days 2 -sha256 -extfile "$p/$1.ext" -out "$p/$1.crt" 2>/dev/null
    }
    leaf apiserver "/CN=kube-apiserver" \
      "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1,IP:10.0.0.1,DNS:kubernetes.default.svc\n"
    leaf admin "/O=system:masters/CN=seiguard-test-admin" \
      "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n"
    openssl genrsa -out "$p/sa.key" 2048 2>/dev/null
    openssl rsa -in "$p/sa.key" -pubout -out "$p/sa.pub" 2>/dev/null
  )
}

kubeconfig() {
  local p=$dir/pki
  cat > "$dir/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: seiguard-test
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority: $p/ca.crt
users:
- name: admin
  user:
    client-certificate: $p/admin.crt
    client-key: $p/admin.key
contexts:
- name: seiguard-test
  context: {cluster: seiguard-test, user: admin, namespace: default}
current-context: seiguard-test
EOF
  chmod 600 "$dir/kubeconfig"
}

cmd_up() {
  [[ $# -ge 1 ]] || usage
  dir=$1; shift
  local backstop=0 webhook=1 in_tree=0 failure_policy="" policy_file=$repo/manifests/base/policy.yaml profiling=false
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --backstop) backstop=1 ;;
      --in-tree) in_tree=1 ;;
      --no-webhook) webhook=0 ;;
      --failure-policy)
        [[ $# -ge 2 && ( "$2" == Ignore || "$2" == Fail ) ]] || die "--failure-policy takes Ignore or Fail"
        failure_policy=$2; shift ;;
      --failure-policy=*)
        failure_policy=${1#*=}
        [[ "$failure_policy" == Ignore || "$failure_policy" == Fail ]] || die "--failure-policy takes Ignore or Fail" ;;
      --policy-file) [[ $# -ge 2 ]] || die "--policy-file takes a file"; policy_file=$2; shift ;;
      --policy-file=*) policy_file=${1#*=} ;;
      --profiling) profiling=true ;;
      *) die "unknown option $1 (see scripts/cluster.sh --help)" ;;
    esac
    shift
  done
  if ((in_tree)); then
    ((!backstop)) || die "--in-tree already applies the backstop's ValidatingAdmissionPolicies; drop --backstop"
    [[ -z "$failure_policy" ]] || die "--in-tree registers no webhook: --failure-policy has nothing to set"
  fi
  [[ ! -e "$dir/pids" ]] || die "$dir already holds a cluster; run scripts/cluster.sh down $dir first"
  [[ -f "$policy_file" ]] || die "no policy file $policy_file"
  # The binary generates the configurations even when no server runs.
  [[ -x "$seiguard" ]] || die "no seiguard binary at $seiguard (make build)"
  local policy_json
  policy_json=$("$seiguard" policy -o json --policy-file "$policy_file" 2>&1) || die "$policy_json"
  cmd_build
  mkdir -p "$dir/logs"
  dir=$(cd "$dir" && pwd)
  : > "$dir/pids"
  printf '%s\n' "$policy_json" > "$dir/policy.json"
  printf '%s\n' "$failure_policy" > "$dir/failure-policy"
  # A failed start leaves nothing running behind it.
  trap 'st=$?; if ((st != 0)); then say "up failed; stopping what it started"; stop_all; fi' EXIT

  local etcd_port peer_port kcm_port health_port
  read -r etcd_port peer_port api_port kcm_port webhook_port health_port < <(free_ports 6)
  printf 'etcd %s\napiserver %s\nwebhook %s\nhealth %s\n' "$etcd_port" "$api_port" "$webhook_port" "$health_port" > "$dir/ports"

  pki
  kubeconfig
  local kubectl=("$cluster_bin/kubectl" --kubeconfig "$dir/kubeconfig")

  start etcd "$cluster_bin/etcd" --name seiguard-test --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "seiguard-test=http://127.0.0.1:$peer_port" \
    --unsafe-no-fsync --log-level warn
  wait_for etcd 30 curl -fsS "http://127.0.0.1:$etcd_port/health"

  start kube-apiserver "$cluster_bin/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
    --tls-cert-file "$dir/pki/apiserver.crt" --tls-private-key-file "$dir/pki/apiserver.key" \
    --client-ca-file "$dir/pki/ca.crt" \
    --service-account-issuer https://kubernetes.default.svc \
    --service-account-key-file "$dir/pki/sa.pub" --service-account-signing-key-file "$dir/pki/sa.key" \
    --service-cluster-ip-range 10.0.0.0/24 \
    --authorization-mode Node,RBAC \
    --endpoint-reconciler-type none \
    --profiling="$profiling"
  wait_for kube-apiserver 90 "${kubectl[@]}" get --raw /readyz

  start kube-controller-manager "$cluster_bin/kube-controller-manager" \
    --kubeconfig "$dir/kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$kcm_port" \
    --leader-elect=false --use-service-account-credentials \
    --controllers namespace-controller,serviceaccount-controller,serviceaccount-token-controller,garbage-collector-controller,statefulset-controller,replicaset-controller,deployment-controller,job-controller,cronjob-controller,validatingadmissionpolicy-status-controller \
    --service-account-private-key-file "$dir/pki/sa.key" --root-ca-file "$dir/pki/ca.crt" \
    --concurrent-gc-syncs 2 --profiling=false
  # Pods need their namespace's default ServiceAccount (the ServiceAccount
  # admission plugin); its controller makes it.
  wait_for "kube-controller-manager (the default ServiceAccount)" 60 "${kubectl[@]}" -n default get serviceaccount default

  mkdir -p "$dir/certs"
  "$repo/certs/gen-certs.sh" "$dir/certs" 2>/dev/null
  if ((in_tree)); then
    in_tree_on "$policy_file"
  else
    if ((webhook)); then start_webhook "$policy_file"; fi
    render_webhooks "$policy_file" > "$dir/webhooks.yaml"
    "${kubectl[@]}" apply -f "$dir/webhooks.yaml" >/dev/null
    if ((webhook)); then reach called; fi
  fi
  # The backstop comes after that proof, and proves itself in force.
  if ((backstop)); then apply_backstop; fi
  trap - EXIT
  local where="https://127.0.0.1:$webhook_port"
  ((webhook)) || where="not started (--no-webhook)"
  ((!in_tree)) || where="not started (--in-tree: the policy runs in the API server)"
  say "up: API server https://127.0.0.1:$api_port, seiguard $where, logs in $dir/logs"
  echo "export KUBECONFIG=$dir/kubeconfig"
}

# apply_backstop: applies manifests/overlays/backstop and returns once both
# policies are in force. The API server compiles a policy some time after it
# is stored, so a request must prove it: a server-side dry run of a SeiNode
# StatefulSet with --ignore-paths (tests/cluster/probe-statefulset.yaml),
# refused by seiguard-backstop-deny and warned about by seiguard-backstop-warn.
# No webhook can answer first: the mutating one takes only Pods, and the API
# server runs the policies before the validating webhooks.
apply_backstop() {
  "${kubectl[@]}" kustomize "$repo/manifests/overlays/backstop" > "$dir/backstop.yaml"
  "${kubectl[@]}" apply -f "$dir/backstop.yaml" >/dev/null
  in_force() {
    local answer
    answer=$("${kubectl[@]}" create --dry-run=server -f "$repo/tests/cluster/probe-statefulset.yaml" 2>&1 || true)
    [[ "$answer" == *"ValidatingAdmissionPolicy 'seiguard-backstop-deny' with binding 'seiguard-backstop-deny' denied request"* &&
       "$answer" == *"Warning: Validation failed for ValidatingAdmissionPolicy 'seiguard-backstop-warn'"* ]]
  }
  wait_for "the backstop (both ValidatingAdmissionPolicies in force)" 30 in_force
}

# in_tree_on POLICY_FILE: applies the in-tree policies generated for the
# policy (DIR/in-tree.json, what `seiguard in-tree` prints for it: for the
# base policy, manifests/overlays/in-tree), replacing any in force, and
# returns once a probe is seen evaluated by every one of them.
# DIR/policy.json must already be the policy's: the probe is made from it.
in_tree_on() {
  local kubectl=("$cluster_bin/kubectl" --kubeconfig "$dir/kubeconfig")
  "$seiguard" in-tree -o json --policy-file "$1" > "$dir/in-tree.json" 2>/dev/null ||
    die "seiguard in-tree --policy-file $1 failed"
  "${kubectl[@]}" apply -f "$dir/in-tree.json" >/dev/null
  reach called --in-tree
}

# in_tree_off: deletes the in-tree policies applied, and returns once the API
# server has let go of them (a probe evaluated by none).
in_tree_off() {
  [[ -f "$dir/in-tree.json" ]] || return 0
  local kubectl=("$cluster_bin/kubectl" --kubeconfig "$dir/kubeconfig")
  "${kubectl[@]}" delete -f "$dir/in-tree.json" --ignore-not-found >/dev/null
  reach skipped --in-tree
  rm -f "$dir/in-tree.json"
}

# cluster_action DIR ACTION [--policy-file FILE]: what `webhook` and
# `in-tree` take; sets dir (absolute), and the caller's action and
# policy_file (default: the base policy).
cluster_action() {
  [[ $# -ge 2 ]] || usage
  dir=$1
  [[ -f "$dir/pids" && -f "$dir/ports" ]] || die "$dir holds no cluster made by scripts/cluster.sh up"
  dir=$(cd "$dir" && pwd)
  action=$2 policy_file=$repo/manifests/base/policy.yaml
  shift 2
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --policy-file) [[ $# -ge 2 ]] || die "--policy-file takes a file"; policy_file=$2; shift ;;
      --policy-file=*) policy_file=${1#*=} ;;
      *) die "unknown option $1" ;;
    esac
    shift
  done
}

cmd_in_tree() {
  local action policy_file
  cluster_action "$@"
  case "$action" in
    off) in_tree_off ;;
    on)
      [[ -f "$policy_file" ]] || die "no policy file $policy_file"
      local policy_json
      policy_json=$("$seiguard" policy -o json --policy-file "$policy_file" 2>&1) || die "$policy_json"
      # The policies in force go first, judged by the probe of their own
      # policy, so that what is judged after this meets the new ones only.
      "$seiguard" in-tree -o json --policy-file "$policy_file" > "$dir/in-tree.next.json" 2>/dev/null ||
        die "seiguard in-tree --policy-file $policy_file failed"
      if ! cmp -s "$dir/in-tree.json" "$dir/in-tree.next.json"; then
        in_tree_off
        printf '%s\n' "$policy_json" > "$dir/policy.json"
        in_tree_on "$policy_file"
      fi
      rm -f "$dir/in-tree.next.json"
      ;;
    *) usage ;;
  esac
}

# render_webhooks POLICY_FILE: the configurations `seiguard webhooks`
# generates for the policy, pointed at the local seiguard (a url on
# 127.0.0.1 and the caBundle), with the failure policy `up` was given.
render_webhooks() {
  local webhook_port failure_policy
  webhook_port=$(awk '$1 == "webhook" {print $2}' "$dir/ports")
  failure_policy=$(cat "$dir/failure-policy")
  "$seiguard" webhooks --policy-file "$1" |
    "$python" "$repo/tests/cluster/local_webhooks.py" --url "https://127.0.0.1:$webhook_port" \
      --ca-bundle "$(cat "$dir/certs/ca-bundle.b64")" ${failure_policy:+--failure-policy "$failure_policy"}
}

# reach called|skipped: waits until an object the running policy judges
# reaches seiguard through the API server, or no longer does
# (tests/cluster/reach.py).
reach() {
  KUBECTL="$cluster_bin/kubectl" "$python" "$repo/tests/cluster/reach.py" "$dir" "$@" --timeout 30 ||
    die "a request through the API server to $([[ " $* " == *" --in-tree "* ]] && echo "the in-tree policies" || echo seiguard) did not come $([[ $1 == called ]] && echo up || echo to an end) (see $dir/logs)"
}

# start_webhook POLICY_FILE: seiguard on the ports `up` chose, ready.
start_webhook() {
  [[ -x "$seiguard" ]] || die "no seiguard binary at $seiguard (make build)"
  local webhook_port health_port
  webhook_port=$(awk '$1 == "webhook" {print $2}' "$dir/ports")
  health_port=$(awk '$1 == "health" {print $2}' "$dir/ports")
  start seiguard "$seiguard" serve \
    --tls-cert-file "$dir/certs/tls.crt" --tls-private-key-file "$dir/certs/tls.key" \
    --listen-address "127.0.0.1:$webhook_port" --public-listen-address "127.0.0.1:$health_port" \
    --policy-file "$1" --log-format json --shutdown-delay 0s --shutdown-timeout 5s \
    --tls-reload-interval 1s
  wait_for seiguard 20 curl -fsS "http://127.0.0.1:$health_port/readyz"
}

# stop_named NAME: stops the recorded processes of that name and forgets them.
stop_named() {
  local name pid keep=()
  while read -r name pid; do
    if [[ "$name" == "$1" ]]; then stop_pids "$pid"; else keep+=("$name $pid"); fi
  done < "$dir/pids"
  printf '%s\n' "${keep[@]}" > "$dir/pids"
}

cmd_webhook() {
  local action policy_file
  cluster_action "$@"
  case "$action" in
    stop) stop_named seiguard ;;
    start)
      [[ -f "$policy_file" ]] || die "no policy file $policy_file"
      local policy_json kubectl=("$cluster_bin/kubectl" --kubeconfig "$dir/kubeconfig")
      policy_json=$("$seiguard" policy -o json --policy-file "$policy_file" 2>&1) || die "$policy_json"
      stop_named seiguard
      printf '%s\n' "$policy_json" > "$dir/policy.json"
      start_webhook "$policy_file"
      # The configurations follow the policy's scope. When they change, the
      # old ones go first and the API server is seen to let go of them, so
      # that a request judged after this returns meets the new ones only.
      render_webhooks "$policy_file" > "$dir/webhooks.next.yaml"
      if ! cmp -s "$dir/webhooks.next.yaml" "$dir/webhooks.yaml"; then
        "${kubectl[@]}" delete validatingwebhookconfiguration,mutatingwebhookconfiguration seiguard \
          --ignore-not-found >/dev/null
        reach skipped
        mv "$dir/webhooks.next.yaml" "$dir/webhooks.yaml"
        "${kubectl[@]}" apply -f "$dir/webhooks.yaml" >/dev/null
      fi
      rm -f "$dir/webhooks.next.yaml"
      reach called
      ;;
    *) usage ;;
  esac
}

# stop_pids PID...: TERM, up to 10 s each, then KILL.
stop_pids() {
  local pid
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  local deadline=$((SECONDS + 10))
  for pid in "$@"; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}

# Stops every recorded process, newest first.
stop_all() {
  [[ -f "$dir/pids" ]] || return 0
  local pids
  pids=$(tac "$dir/pids" | awk 'NF == 2 {print $2}')
  # shellcheck disable=SC2086
  stop_pids $pids
}

cmd_down() {
  [[ $# -eq 1 ]] || usage
  dir=$1
  [[ -d "$dir" ]] || { say "$dir: nothing to stop"; return 0; }
  [[ -f "$dir/pids" ]] || die "$dir has no pids file: not a directory made by scripts/cluster.sh up"
  stop_all
  rm -rf "$dir"
}

case "${1:-}" in
  build) shift; [[ $# -eq 0 ]] || usage; cmd_build ;;
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down "$@" ;;
  webhook) shift; cmd_webhook "$@" ;;
  in-tree) shift; cmd_in_tree "$@" ;;
  -h|--help|help) usage ;;
  *) usage ;;
esac
