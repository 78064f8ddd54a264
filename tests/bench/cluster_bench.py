#!/usr/bin/env python3
"""What users feel: pod creation through a real kube-apiserver, with no
webhook, with seiguard registered, and with the Go peer
(tests/bench/peers/go-webhook) registered the same way (same configurations,
url, certificate and port). A benchmark, not a test: run it by hand,

    python3 tests/bench/cluster_bench.py [--serial N] [--concurrent-each N]
        [--setups 'no webhook,seiguard,seiguard, out-of-scope pod,Go peer,null webhook'] [--profile DIR]

It starts its own control plane (scripts/cluster.sh up --no-webhook), times
`POST /api/v1/namespaces/bench-*/pods` of the split-listener pod (in scope, so
both webhooks judge it: /mutate, then /validate) on keep-alive HTTPS
connections with the admin client certificate, serially and from 8 clients at
once, and prints p50 and p99 per setup, seiguard's added latency, the calls
per pod and the API server's own mean time per webhook call
(apiserver_admission_webhook_admission_duration_seconds). A setup named
"..., out-of-scope pod" creates the plain pod instead (tests/fixtures: no
SeiNode in it), which the webhooks' matchCondition keeps from seiguard.
Every setup is compared with its baseline (no webhook, same pod) timed
right before and right after it, the two runs' samples together, so that
the machine's drift over a run cancels out of what a setup adds; 'no
webhook' alone runs first, as the warm-up and the overall row. The null webhook
(tests/bench/peers/null-webhook: allowed, the uid, nothing else) is the floor:
what the API server's webhook machinery costs with the least answer any
webhook can give. The in-tree setups register no webhook: the admission
policies `seiguard in-tree` generates, alone (scripts/cluster.sh in-tree on),
with the split pod (everything already there: the steady state) or, with
", needs injection", a labelled pod the mutating policy must give its port
and env var. --profile takes kube-apiserver CPU profiles per setup
(`go tool pprof -top FILE`). Every
process it starts is stopped by pid at the end.
"""
import argparse
import http.client
import json
import os
import re
import ssl
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from cluster_harness import KUBECTL, Cluster  # noqa: E402
from cluster_admission_test import pod_of  # noqa: E402
from seiguard_e2e import BINARY, SOURCE  # noqa: E402


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


OUT_OF_SCOPE = ", out-of-scope pod"
NEEDS_INJECTION = ", needs injection"
POD_SUFFIXES = (OUT_OF_SCOPE, NEEDS_INJECTION)


def pod_for(setup):
    """The fixture a setup creates: the plain pod for an out-of-scope setup,
    the pod that lacks the public port and env var (labelled, as a
    StatefulSet's pod is) for a needs-injection one, else the split pod,
    which carries everything (the steady state once upstream renders it)."""
    if setup.endswith(OUT_OF_SCOPE):
        return "plain-pod"
    return "seinode-pod-needs-injection" if setup.endswith(NEEDS_INJECTION) else "seinode-pod-split"


def suffix_of(setup):
    return next((x for x in POD_SUFFIXES if setup.endswith(x)), "")


def kind_of(setup):
    return setup.removesuffix(suffix_of(setup))


def baseline_for(setup):
    return "no webhook" + suffix_of(setup)


class Client:
    def __init__(self, cluster, namespace, fixture_name="seinode-pod-split"):
        self.path = f"/api/v1/namespaces/{namespace}/pods"
        pki = os.path.join(cluster.dir, "pki")
        ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.crt"))
        ctx.load_cert_chain(os.path.join(pki, "admin.crt"), os.path.join(pki, "admin.key"))
        self.conn = http.client.HTTPSConnection("127.0.0.1", int(cluster.ports["apiserver"]), context=ctx, timeout=30)
        pod = pod_of(fixture_name)
        if fixture_name == "seinode-pod-needs-injection":
            pod["metadata"]["labels"]["sei.io/node"] = "pacific-1-val-0"
        pod["spec"].pop("serviceAccountName", None), pod["spec"].pop("serviceAccount", None)
        pod["metadata"].pop("name")
        pod["metadata"]["generateName"] = "bench-"
        self.body = json.dumps(pod).encode()

    def create(self):
        start = time.perf_counter()
        self.conn.request("POST", self.path, self.body, {"Content-Type": "application/json"})
        r = self.conn.getresponse()
        r.read()
        took = time.perf_counter() - start
        if r.status != 201:
            raise RuntimeError(f"create answered {r.status}")
        return took


def measure(cluster, namespace, serial, each, fixture_name):
    c = Client(cluster, namespace, fixture_name)
    for _ in range(20):
        c.create()  # warm-up: connections, caches
    before = cluster.webhook_admissions(admitted_only=True)
    serial_ms = [c.create() * 1000 for _ in range(serial)]
    after = cluster.webhook_admissions(admitted_only=True)
    per_call, calls = {}, 0.0
    for name, v in after.items():
        n = v["count"] - before.get(name, {}).get("count", 0)
        calls += n / serial
        if n:
            per_call[name] = 1000 * (v["sum"] - before.get(name, {}).get("sum", 0)) / n
    results, errors = [], []

    def worker():
        cl = Client(cluster, namespace, fixture_name)
        try:
            cl.create()
            for _ in range(each):
                results.append(cl.create() * 1000)
        except Exception as e:  # noqa: BLE001
            errors.append(str(e))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    if errors:
        raise RuntimeError(errors[0])
    return serial_ms, results, len(results) / wall, per_call, calls


PEERS = {  # setup: (module under tests/bench/peers, extra flags, registered configurations)
    "Go peer": ("go-webhook", [], "both"),
    "null webhook": ("null-webhook", [], "both"),
    "null webhook (HTTP/2)": ("null-webhook", ["-h2"], "both"),
    # One call per pod instead of two: the floor of a single webhook.
    "null webhook (validate only)": ("null-webhook", [], "validate"),
}


# In-tree setups: the policy file their policies are generated from (None:
# the base policy, manifests/overlays/in-tree).
IN_TREE = {
    "in-tree": None,
    # The ValidatingAdmissionPolicies alone: no rule mutates, so no
    # MutatingAdmissionPolicy (what the mutating one costs, by difference).
    "in-tree, validating only": os.path.join(SOURCE, "tests", "bench", "no-mutation-policy.yaml"),
    # As generated, less the mutating policy's skip condition
    # (seinode-needs-mutation): what the condition saves.
    "in-tree, without the skip condition": None,
}
SKIP_CONDITION = "seinode-needs-mutation"


def apply_without_skip_condition(cluster):
    """The base policy's in-tree policies, less the skip condition, applied
    as scripts/cluster.sh in-tree on applies them (DIR/in-tree.json, so that
    `in-tree off` removes them)."""
    out = subprocess.run([BINARY, "in-tree", "-o", "json"], capture_output=True, text=True, check=True).stdout
    docs = json.loads(out)
    for d in docs["items"]:
        if d["kind"] == "MutatingAdmissionPolicy":
            d["spec"]["matchConditions"] = [c for c in d["spec"]["matchConditions"] if c["name"] != SKIP_CONDITION]
    path = os.path.join(cluster.dir, "in-tree.json")
    with open(path, "w") as f:
        json.dump(docs, f)
    cluster.ok("apply", "-f", path)
    subprocess.run([sys.executable, os.path.join(SOURCE, "tests", "cluster", "reach.py"), cluster.dir, "called",
                    "--in-tree"], env=dict(os.environ, KUBECTL=KUBECTL), check=True, timeout=60)


def merged(a, b):
    """Two timings of one setup as one: their samples together."""
    return a[0] + b[0], a[1] + b[1], (a[2] + b[2]) / 2, {}, (a[4] + b[4]) / 2


def slug(setup):
    return re.sub(r"[^a-z0-9]+", "-", setup.lower()).strip("-")


def wait_for_peer(cluster, namespace, seconds=30):
    """Waits until a pod creation passes through the API server, so the
    registered webhooks (which fail closed on /validate) answer."""
    c = Client(cluster, namespace)
    deadline = time.monotonic() + seconds
    while True:
        try:
            c.create()
            return
        except (RuntimeError, OSError, http.client.HTTPException):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
            c = Client(cluster, namespace)


def profile(cluster, namespace, seconds, path, fixture_name):
    """A CPU profile of kube-apiserver (/debug/pprof/profile) over `seconds`
    of serial creations, written to `path` for `go tool pprof`."""
    done = threading.Event()

    def fetch():
        try:
            with open(path, "wb") as f:
                subprocess.run([KUBECTL, "--kubeconfig", cluster.kubeconfig, "get",
                                "--raw", f"/debug/pprof/profile?seconds={seconds}"], stdout=f, check=True,
                               timeout=seconds + 60)
        finally:
            done.set()

    t = threading.Thread(target=fetch)
    t.start()
    c = Client(cluster, namespace, fixture_name)
    n = 0
    while not done.is_set():
        c.create()
        n += 1
    t.join()
    return n


def main():
    ap = argparse.ArgumentParser(description="pod creation through a real API server, with and without webhooks")
    ap.add_argument("--serial", type=int, default=400)
    ap.add_argument("--concurrent-each", type=int, default=100)
    ap.add_argument("--setups", default="no webhook,seiguard,seiguard" + OUT_OF_SCOPE + ",Go peer,null webhook,"
                    "in-tree,seiguard" + NEEDS_INJECTION + ";in-tree" + NEEDS_INJECTION,
                    help="comma-separated (';' also separates, for names with a comma), run in this order after "
                         "'no webhook' (the baseline, required, always first). Known: no webhook, seiguard, "
                         + ", ".join(PEERS) + ", " + ", ".join(IN_TREE) + "; each may end in '" + OUT_OF_SCOPE
                         + "' (the plain pod) or '" + NEEDS_INJECTION + "' (a pod without port and env), beside "
                         "its own baseline)")
    ap.add_argument("--profile", metavar="DIR",
                    help="also take a CPU profile of kube-apiserver per setup (DIR/<setup>.pprof) over "
                         "--profile-seconds of serial creations")
    ap.add_argument("--profile-seconds", type=int, default=15)
    args = ap.parse_args()
    names = re.split(r";|,(?! out-of-scope pod| needs injection| validating only| without the skip)", args.setups)
    setups = list(dict.fromkeys(x.strip() for x in names if x.strip()))
    unknown = [x for x in setups if kind_of(x) not in ("no webhook", "seiguard", *PEERS, *IN_TREE)]
    if unknown or "no webhook" not in setups:
        ap.error(f"unknown setups {unknown}" if unknown else "--setups needs 'no webhook', the baseline")
    # Each setup is timed between two runs of its own baseline (below), so
    # that the machine's drift over the run cancels out of what it adds.
    setups = [x for x in setups if x == "no webhook" or not x.startswith("no webhook")]
    if args.profile:
        os.makedirs(args.profile, exist_ok=True)
    cluster = Cluster("--no-webhook", *(["--profiling"] if args.profile else []))
    peer = None
    try:
        webhooks = os.path.join(cluster.dir, "webhooks.yaml")
        certs = os.path.join(cluster.dir, "certs")
        rows, profiled, baselines = {}, {}, {}

        def run(setup, key=None):
            """Times `setup` into rows[key] (default: its name)."""
            key = key or setup
            # A fresh one each (nothing to delete), named in 63 characters.
            namespace = f"bench-{len(rows) + len(baselines)}-{slug(key)}"[:63].rstrip("-")
            cluster.ok("create", "namespace", namespace)
            if kind_of(setup) in PEERS:
                wait_for_peer(cluster, namespace)
            rows[key] = measure(cluster, namespace, args.serial, args.concurrent_each, pod_for(setup))
            if args.profile:
                path = os.path.join(args.profile, slug(key) + ".pprof")
                profiled[key] = (path, profile(cluster, namespace, args.profile_seconds, path, pod_for(setup)))

        def unregistered(setup, key=None):
            """Times `setup` with seiguard's configurations deleted."""
            cluster.ok("delete", "validatingwebhookconfiguration,mutatingwebhookconfiguration", "seiguard")
            time.sleep(2)  # the API server's informer lets go of them
            run(setup, key)
            cluster.ok("apply", "-f", webhooks)

        def run_peer(setup):
            nonlocal peer
            module, flags, registered = PEERS[kind_of(setup)]
            if registered == "validate":
                cluster.ok("delete", "mutatingwebhookconfiguration", "seiguard")
                time.sleep(2)  # the API server's informer lets go of it
            peer_bin = os.path.join(cluster.dir, module)
            if not os.path.exists(peer_bin):  # one build per module
                subprocess.run(["go", "build", "-o", peer_bin, "."], cwd=os.path.join(SOURCE, "tests", "bench", "peers", module),
                               check=True, env=dict(os.environ, GOFLAGS="-mod=mod"))
            peer = subprocess.Popen([peer_bin, "-addr", "127.0.0.1:" + cluster.ports["webhook"],
                                     "-cert", os.path.join(certs, "tls.crt"), "-key", os.path.join(certs, "tls.key"),
                                     *flags], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            run(setup)
            peer.terminate()
            peer.wait(10)
            peer = None
            if registered == "validate":
                cluster.ok("apply", "-f", webhooks)

        unregistered("no webhook")
        for setup in (x for x in setups if x != "no webhook"):
            # Between two runs of its baseline: what it adds is measured
            # against the same stretch of the run.
            around = f"{baseline_for(setup)} (around {setup})"
            unregistered(baseline_for(setup), around + " before")
            if kind_of(setup) == "seiguard":
                cluster.webhook("start")
                cluster.wait_for_webhook()
                run(setup)
                cluster.webhook("stop")
            elif kind_of(setup) in IN_TREE:
                # No webhook registered: the policies alone, as up --in-tree.
                cluster.ok("delete", "validatingwebhookconfiguration,mutatingwebhookconfiguration", "seiguard")
                time.sleep(2)
                policy_file = IN_TREE[kind_of(setup)]
                if kind_of(setup).endswith("without the skip condition"):
                    apply_without_skip_condition(cluster)
                else:
                    cluster.script("in-tree", "on", *(["--policy-file", policy_file] if policy_file else []))
                run(setup)
                cluster.script("in-tree", "off")
                cluster.ok("apply", "-f", webhooks)
            else:
                run_peer(setup)
            unregistered(baseline_for(setup), around + " after")
            rows[around] = merged(rows.pop(around + " before"), rows.pop(around + " after"))
            baselines[setup] = around

    finally:
        if peer:
            peer.terminate()
            peer.wait(10)
        cluster.down()
    print("| setup | calls per pod | serial p50 ms | serial p99 ms | 8 clients p50 ms | 8 clients p99 ms "
          "| 8 clients creates/s |")
    print("|---|---|---|---|---|---|---|")
    for setup, (s, c, rate, _, calls) in rows.items():
        print(f"| {setup} | {calls:.2f} | {statistics.median(s):.2f} | {percentile(s, 99):.2f} "
              f"| {statistics.median(c):.2f} | {percentile(c, 99):.2f} | {rate:.0f} |")
    for label, idx in (("serial", 0), ("8 clients", 1)):
        for name, p in (("p50", 50), ("p99", 99)):
            added = {setup: percentile(rows[setup][idx], p) - percentile(rows[base][idx], p)
                     for setup, base in baselines.items()}
            if not added:
                continue
            line = ", ".join(f"{setup} {ms:.2f} ms" for setup, ms in added.items())
            if "seiguard" in added and "Go peer" in added and added["Go peer"] > 0:
                line += f" (seiguard / Go peer {added['seiguard'] / added['Go peer']:.2f})"
            if "seiguard" in added and "null webhook" in added:
                line += f" (seiguard beyond the null webhook {added['seiguard'] - added['null webhook']:+.2f} ms)"
            print(f"{label} {name} added: {line}")
    for setup, r in rows.items():
        if r[3]:
            calls = ", ".join(f"{n} {ms:.2f} ms" for n, ms in sorted(r[3].items()))
            print(f"{setup}: mean webhook call, serial, as the API server times it: {calls}")
    for setup, (path, n) in profiled.items():
        print(f"{setup}: CPU profile of kube-apiserver over {n} serial creations: {path}")


if __name__ == "__main__":
    main()
