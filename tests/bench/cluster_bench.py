#!/usr/bin/env python3
"""What users feel: pod creation through a real kube-apiserver, with no
webhook, with seiguard registered, and with the Go peer
(tests/bench/peers/go-webhook) registered the same way (same configurations,
url, certificate and port). A benchmark, not a test: run it by hand,

    python3 tests/bench/cluster_bench.py [--serial N] [--concurrent-each N]

It starts its own control plane (scripts/cluster.sh up --no-webhook), times
`POST /api/v1/namespaces/bench-*/pods` of the split-listener pod (in scope, so
both webhooks judge it: /mutate, then /validate) on keep-alive HTTPS
connections with the admin client certificate, serially and from 8 clients at
once, and prints p50 and p99 per setup, seiguard's added latency, and the
API server's own mean time per webhook call
(apiserver_admission_webhook_admission_duration_seconds). Every
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
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from cluster_harness import Cluster  # noqa: E402
from cluster_admission_test import pod_of  # noqa: E402
from seiguard_e2e import SOURCE  # noqa: E402


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class Client:
    def __init__(self, cluster, namespace):
        self.path = f"/api/v1/namespaces/{namespace}/pods"
        pki = os.path.join(cluster.dir, "pki")
        ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.crt"))
        ctx.load_cert_chain(os.path.join(pki, "admin.crt"), os.path.join(pki, "admin.key"))
        self.conn = http.client.HTTPSConnection("127.0.0.1", int(cluster.ports["apiserver"]), context=ctx, timeout=30)
        pod = pod_of("seinode-pod-split")
        pod["spec"].pop("serviceAccountName"), pod["spec"].pop("serviceAccount")
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


def webhook_seconds(cluster):
    """The API server's own account of its webhook calls:
    apiserver_admission_webhook_admission_duration_seconds, sum and count per
    webhook name (admitted calls)."""
    out = {}
    for line in cluster.ok("get", "--raw", "/metrics").splitlines():
        m = re.match(r"apiserver_admission_webhook_admission_duration_seconds_(sum|count)\{(.*)\} (\S+)$", line)
        if m and 'rejected="false"' in m.group(2):
            name = re.search(r'name="([^"]+)"', m.group(2)).group(1)
            out.setdefault(name, {"sum": 0.0, "count": 0.0})[m.group(1)] += float(m.group(3))
    return out


def measure(cluster, namespace, serial, each):
    c = Client(cluster, namespace)
    for _ in range(20):
        c.create()  # warm-up: connections, caches
    before = webhook_seconds(cluster)
    serial_ms = [c.create() * 1000 for _ in range(serial)]
    after = webhook_seconds(cluster)
    per_call = {}
    for name, v in after.items():
        n = v["count"] - before.get(name, {}).get("count", 0)
        if n:
            per_call[name] = 1000 * (v["sum"] - before.get(name, {}).get("sum", 0)) / n
    results, errors = [], []

    def worker():
        cl = Client(cluster, namespace)
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
    return serial_ms, results, len(results) / wall, per_call


def main():
    ap = argparse.ArgumentParser(description="pod creation through a real API server, three setups")
    ap.add_argument("--serial", type=int, default=400)
    ap.add_argument("--concurrent-each", type=int, default=100)
    args = ap.parse_args()
    cluster = Cluster("--no-webhook")
    peer = None
    try:
        webhooks = os.path.join(cluster.dir, "webhooks.yaml")
        rows = {}

        def run(setup):
            namespace = "bench-" + setup.replace(" ", "-").lower()  # a fresh one each: nothing to delete
            cluster.ok("create", "namespace", namespace)
            rows[setup] = measure(cluster, namespace, args.serial, args.concurrent_each)

        cluster.ok("delete", "validatingwebhookconfiguration,mutatingwebhookconfiguration", "seiguard")
        time.sleep(2)
        run("no webhook")
        cluster.ok("apply", "-f", webhooks)
        cluster.webhook("start")
        cluster.wait_for_webhook()
        run("seiguard")
        cluster.webhook("stop")
        peer_bin = os.path.join(tempfile.mkdtemp(), "go-webhook")
        subprocess.run(["go", "build", "-o", peer_bin, "."], cwd=os.path.join(SOURCE, "tests", "bench", "peers", "go-webhook"),
                       check=True, env=dict(os.environ, GOFLAGS="-mod=mod"))
        certs = os.path.join(cluster.dir, "certs")
        peer = subprocess.Popen([peer_bin, "-addr", "127.0.0.1:" + cluster.ports["webhook"],
                                 "-cert", os.path.join(certs, "tls.crt"), "-key", os.path.join(certs, "tls.key")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cluster.wait_for_webhook()
        run("Go peer")
    finally:
        if peer:
            peer.terminate()
            peer.wait(10)
        cluster.down()
    print(f"| setup | serial p50 ms | serial p99 ms | 8 clients p50 ms | 8 clients p99 ms | 8 clients creates/s |")
    print("|---|---|---|---|---|---|")
    for setup, (s, c, rate, _) in rows.items():
        print(f"| {setup} | {statistics.median(s):.2f} | {percentile(s, 99):.2f} | {statistics.median(c):.2f} "
              f"| {percentile(c, 99):.2f} | {rate:.0f} |")
    base, ours, go = rows["no webhook"], rows["seiguard"], rows["Go peer"]
    for label, idx in (("serial", 0), ("8 clients", 1)):
        for name, p in (("p50", 50), ("p99", 99)):
            added = percentile(ours[idx], p) - percentile(base[idx], p)
            added_go = percentile(go[idx], p) - percentile(base[idx], p)
            ratio = added / added_go if added_go > 0 else float("nan")
            print(f"{label} {name}: seiguard adds {added:.2f} ms, the Go peer {added_go:.2f} ms (ratio {ratio:.2f})")
    for setup in ("seiguard", "Go peer"):
        calls = ", ".join(f"{n} {ms:.2f} ms" for n, ms in sorted(rows[setup][3].items()))
        print(f"{setup}: mean webhook call, serial, as the API server times it: {calls}")


if __name__ == "__main__":
    main()
