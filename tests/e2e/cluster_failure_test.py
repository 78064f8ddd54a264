"""When seiguard is down or slow: the failure policies and the in-tree
backstop, against a real kube-apiserver.

- The shipped configurations with no server (`up --no-webhook`): the
  validating webhook fails closed, so a pod is refused with a clear error and
  nothing is stored; a server slower than timeoutSeconds is refused the same.
- `--failure-policy Ignore --backstop --no-webhook` is the backstop-fail-open
  shape: pods are created, and the generated ValidatingAdmissionPolicies,
  evaluated by the API server's own CEL, refuse what /validate refuses, on
  every rule case of the default policy and every fixture. The API server
  stops at a policy's first failing validation, so its denial names one of
  the rules /validate names. They are accepted
  first: no compile error, no type-checking warning in their status. (Rule
  cases with custom policies run against the npm CEL harness in vap_parity,
  each with its own generated policies.)
"""
import json
import os
import re
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from cluster_harness import CLUSTER_SH, Cluster
from cluster_admission_test import pod_of
from seiguard_e2e import FIXTURES, audit_findings, fixture, rule_cases, run

VAP_DENIED = re.compile(r"ValidatingAdmissionPolicy '([a-z-]+)' with binding '[a-z-]+' denied request: ")


class Tarpit:
    """Accepts TCP connections on the webhook's port and never answers."""

    def __init__(self, port):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", int(port)))
        self.sock.listen(64)
        self.held = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self):
        self.sock.close()
        for c in self.held:
            c.close()


class ShippedPoliciesWithNoServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("--no-webhook")

    @classmethod
    def tearDownClass(cls):
        cls.c.down()

    def create(self, ns, obj):
        return self.c.kubectl("-n", ns, "create", "-f", "-", input=obj, timeout=120)

    def test_a_pod_is_refused_clearly_and_nothing_is_stored(self):
        self.c.ok("create", "namespace", "down")
        pod = pod_of("seinode-pod-split")
        pod["spec"].pop("serviceAccountName"), pod["spec"].pop("serviceAccount")
        code, _, err = self.create("down", pod)
        self.assertNotEqual(code, 0)
        self.assertIn('failed calling webhook "validate.seiguard.sei.io"', err)
        self.assertIn("connect: connection refused", err)
        self.assertEqual(self.c.ok("-n", "down", "get", "pods", "-o", "name"), "")

    def test_a_server_slower_than_the_timeout_is_refused_after_the_timeout(self):
        self.c.ok("create", "namespace", "slow")
        pod = pod_of("seinode-pod-split")
        pod["spec"].pop("serviceAccountName"), pod["spec"].pop("serviceAccount")
        timeout = json.loads(self.c.ok("get", "validatingwebhookconfiguration", "seiguard", "-o", "json"))[
            "webhooks"][0]["timeoutSeconds"]
        tarpit = Tarpit(self.c.ports["webhook"])
        try:
            start = time.monotonic()
            code, _, err = self.create("slow", pod)
            took = time.monotonic() - start
        finally:
            tarpit.close()
        self.assertNotEqual(code, 0)
        self.assertIn('failed calling webhook "validate.seiguard.sei.io"', err)
        self.assertRegex(err, r"context deadline exceeded|Timeout|timeout")
        # The mutating webhook (Ignore) waited its timeout too, then the
        # validating one (Fail) refused after its own.
        self.assertGreaterEqual(took, timeout)
        self.assertEqual(self.c.ok("-n", "slow", "get", "pods", "-o", "name"), "")


def processes_in(directory):
    """Pids of running processes whose command line names `directory`."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if directory.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            pass
    return found


class UpAndDown(unittest.TestCase):
    def test_down_stops_every_process_up_started_and_removes_its_directory(self):
        c = Cluster("--no-webhook")
        self.assertGreaterEqual(len(processes_in(c.dir)), 3)  # etcd, kube-apiserver, kube-controller-manager
        c.down()
        self.assertEqual(processes_in(c.dir), [])
        self.assertFalse(os.path.exists(c.dir))

    def test_bad_options_are_refused_before_anything_starts(self):
        d = tempfile.mkdtemp()
        for options, message in ((["--failure-policy", "Sometimes"], "--failure-policy takes Ignore or Fail"),
                                 (["--frobnicate"], "unknown option --frobnicate"),
                                 (["--policy-file", "/nonexistent"], "no policy file /nonexistent")):
            p = subprocess.run(["bash", CLUSTER_SH, "up", d, *options], capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 1, options)
            self.assertIn(message, p.stderr)
            self.assertEqual(processes_in(d), [])


class BackstopFailOpen(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("--no-webhook", "--failure-policy", "Ignore", "--backstop")

    @classmethod
    def tearDownClass(cls):
        cls.c.down()

    def test_the_generated_policies_are_accepted_by_the_api_server(self):
        deadline = time.monotonic() + 30
        while True:
            vaps = json.loads(self.c.ok("get", "validatingadmissionpolicies", "-o", "json"))["items"]
            if all("typeChecking" in v.get("status", {}) for v in vaps) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.assertEqual(sorted(v["metadata"]["name"] for v in vaps),
                         ["seiguard-backstop-deny", "seiguard-backstop-warn"])
        for v in vaps:
            status = v.get("status", {})
            self.assertIn("typeChecking", status, v["metadata"]["name"])
            self.assertEqual(status["typeChecking"].get("expressionWarnings", []), [], v["metadata"]["name"])
            self.assertEqual(status.get("observedGeneration"), v["metadata"]["generation"])

    def test_pods_are_created_while_seiguard_is_down_and_the_webhook_fails_open(self):
        self.c.ok("create", "namespace", "open")
        for name in ("seinode-pod-split", "plain-pod"):
            pod = pod_of(name)
            pod["spec"].pop("serviceAccountName", None), pod["spec"].pop("serviceAccount", None)
            code, _, err = self.c.kubectl("-n", "open", "create", "-f", "-", input=pod, timeout=60)
            self.assertEqual(code, 0, err)
        self.assertEqual(len(self.c.ok("-n", "open", "get", "pods", "-o", "name").split()), 2)

    def test_the_backstop_refuses_what_validate_refuses_on_every_case(self):
        namespaces, compared, differences = set(), 0, []
        cases = [(n, r) for n, r, p in rule_cases()
                 if not p and r["request"]["operation"] == "CREATE" and "subResource" not in r["request"]]
        cases += [(f"fixture {f}", json.loads(fixture(f))) for f in FIXTURES]
        for name, review in cases:
            obj = json.loads(json.dumps(review["request"]["object"]))
            meta = obj.setdefault("metadata", {})
            for k in ("uid", "resourceVersion", "creationTimestamp", "managedFields"):
                meta.pop(k, None)
            ns = meta.get("namespace") or "default"
            if ns not in namespaces:
                self.c.kubectl("create", "namespace", ns)
                self.c.kubectl("-n", ns, "create", "serviceaccount", "seid-node")
                namespaces.add(ns)
            code, out, err = run(["review"], json.dumps(review).encode())
            self.assertEqual(code, 0, err)
            response = json.loads(out)["response"]
            if response.get("status", {}).get("code") == 400:
                continue  # not decodable: the API server refuses such objects itself
            want = {r for r, a, _ in audit_findings(response) if a == "deny"}
            code, _, err = self.c.kubectl("-n", ns, "apply", "--dry-run=server", "-f", "-", input=obj)
            self.assertNotIn("expression", err.lower() if "compil" in err.lower() else "", name)
            m = VAP_DENIED.search(err)
            if m:
                got = set(re.findall(r"\[([a-z-]+)\] ", err[m.end():]))
            elif code != 0 and "is invalid" in err:
                if want:
                    compared += 1
                continue  # the API server's own validation refused it (before any policy)
            elif code != 0:
                differences.append(f"{name}: unexpected error {err}")
                continue
            else:
                got = set()
            compared += 1
            # The API server stops at a policy's first failing validation:
            # the backstop names one rule /validate denies on, not all.
            if bool(got) != bool(want) or not got <= want or len(got) > 1:
                differences.append(f"{name}: backstop denies {sorted(got)}, /validate {sorted(want)}")
        self.assertEqual([], differences, "\n".join(differences))
        self.assertGreater(compared, 100)


if __name__ == "__main__":
    unittest.main()
