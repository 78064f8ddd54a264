"""When seiguard is down or slow: the failure policies and the in-tree
backstop, against a real kube-apiserver.

- The shipped configurations with no server (`up --no-webhook`): the
  validating webhook fails closed, so a pod is refused with a clear error and
  nothing is stored; a server slower than timeoutSeconds is refused the same.
- `--failure-policy Ignore --backstop --no-webhook` is the backstop-fail-open
  shape: pods are created, and the shipped ValidatingAdmissionPolicies are
  accepted: no compile error, no type-checking warning in their status.
- Every rule case's policy, each backstop loaded side by side and bound to
  its own cases by a label (the shipped backstop.yaml for the default
  policy): the API server's own CEL gives /validate's verdict, denials and
  kubectl's Warning: lines, on CREATE and UPDATE (against a stored old
  object) and on every fixture. The API server quotes only a policy's first
  failing validation, whose message (variables.denial) names every check
  that denies: the denial names the rules /validate names.
"""
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import yaml

from cluster_harness import CLUSTER_SH, Cluster, plain
from cluster_admission_test import pod_of
from seiguard_e2e import FIXTURES, SOURCE, audit_findings, fixture, rule_cases, run

VAP_DENIED = re.compile(r"ValidatingAdmissionPolicy '([a-z0-9-]+)' with binding '[a-z0-9-]+' denied request: ")


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


GROUP_LABEL = "seiguard.test/group"
VAP_WARNED = re.compile(r"^Warning: Validation failed for ValidatingAdmissionPolicy '[a-z0-9-]+' "
                        r"with binding '[a-z0-9-]+': \[([a-z-]+)\] ", re.M)
MARKER = [
    {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
     "metadata": {"name": "seiguard-test-marker"},
     "spec": {"failurePolicy": "Fail",
              "matchConstraints": {"resourceRules": [{"apiGroups": [""], "apiVersions": ["v1"],
                                                       "operations": ["CREATE"], "resources": ["configmaps"]}]},
              "validations": [{"expression": "object.metadata.name != 'seiguard-marker'", "message": "marker"}]}},
    {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
     "metadata": {"name": "seiguard-test-marker"},
     "spec": {"policyName": "seiguard-test-marker", "validationActions": ["Deny"]}},
]


def grouped(items, group):
    """A policy's generated VAPs and bindings, renamed for `group` and bound
    only to objects labelled with it: every policy's backstop can then be
    loaded side by side, each judging its own cases."""
    out = json.loads(json.dumps(items))
    for item in out:
        item["metadata"]["name"] += "-" + group
        if item["kind"] == "ValidatingAdmissionPolicyBinding":
            item["spec"]["policyName"] += "-" + group
            item["spec"].setdefault("matchResources", {})["objectSelector"] = {"matchLabels": {GROUP_LABEL: group}}
    return out


def labelled(obj, group):
    obj = json.loads(json.dumps(obj))
    obj.setdefault("metadata", {}).setdefault("labels", {})[GROUP_LABEL] = group
    return obj


class BackstopUnderEveryPolicy(unittest.TestCase):
    """With seiguard down and its webhooks failing open, the backstop the
    binary generates for each rule case's policy (the shipped backstop.yaml
    for the default one), evaluated by the API server's own CEL, gives
    /validate's verdict: the same denial, naming every rule /validate denies
    on (variables.denial joins the failing checks' messages), and,
    when allowed, the same rules on kubectl's Warning: lines. UPDATE cases
    run against their old object, stored first where no binding selects it;
    cases with a user are sent as that user (kubectl --as, in
    system:masters, so that RBAC stays out of the comparison)."""

    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("--no-webhook", "--failure-policy", "Ignore")

    @classmethod
    def tearDownClass(cls):
        cls.c.down()

    def load_backstops(self, by_policy):
        """Loads every policy's backstop at once, the marker last, and waits
        until the marker denies: the API server has then taken every policy
        loaded before it. Each one compiled, or the apply would have failed.
        Their type-checking status is not awaited: the API server takes
        about 7 s of CPU per backstop policy to fill it (checked for the
        shipped one, in BackstopFailOpen)."""
        items = []
        for group, (policy, _) in by_policy.items():
            if policy == "{}":
                with open(os.path.join(SOURCE, "manifests", "overlays", "backstop", "backstop.yaml")) as f:
                    generated = [d for d in yaml.safe_load_all(f) if d]
            else:
                code, out, err = run(["vap", "-o", "json", "--policy-file", self.c.write(group, json.loads(policy))])
                self.assertEqual(code, 0, err)
                generated = json.loads(out)["items"]
            items += grouped(generated, group)
        vaps = [i for i in items if i["kind"] == "ValidatingAdmissionPolicy"] + MARKER[:1]
        bindings = [i for i in items if i["kind"] != "ValidatingAdmissionPolicy"] + MARKER[1:]
        code, _, err = self.c.kubectl("apply", "-f", self.c.write("backstops", {"apiVersion": "v1", "kind": "List",
                                                                               "items": vaps + bindings}),
                                      timeout=120)
        self.assertEqual(code, 0, err)
        start = time.monotonic()
        deadline = start + 120
        while time.monotonic() < deadline:
            code, _, err = self.c.kubectl("create", "configmap", "seiguard-marker", "--dry-run=server")
            if code != 0 and "seiguard-test-marker" in err:
                print(f"\n{len(vaps)} policies taken in {time.monotonic() - start:.1f} s", file=sys.stderr)
                return len(vaps) - 1
            time.sleep(0.2)
        raise AssertionError("the API server did not take the loaded policies within 120 s")

    def judge(self, name, review, policy_file, group):
        """(API server verdict, /validate verdict) for one case, both on the
        object labelled for its group: ("denied", rules) or ("allowed",
        warned rules), or ("skip", why) where no comparison is possible."""
        req = review["request"]
        review = json.loads(json.dumps(review))
        review["request"]["object"] = labelled(req["object"], group)
        code, out, err = run(["review", "--policy-file", policy_file], json.dumps(review).encode())
        self.assertEqual(code, 0, err)
        response = json.loads(out)["response"]
        if response.get("status", {}).get("code") == 400:
            return None, ("skip", "not decodable: the API server refuses such objects itself")
        findings = audit_findings(response)
        want = ("allowed", {r for r, a, _ in findings if a == "warn"}) if response["allowed"] else \
            ("denied", {r for r, a, _ in findings if a == "deny"})
        obj = plain(review["request"]["object"])
        stored = []
        if req["operation"] == "UPDATE":
            old = plain(req["oldObject"])
            stored = self.c.real_owners(old, obj)
            self.c.ensure_namespace(old)
            if "replicas" in old.get("spec", {}):
                old["spec"]["replicas"] = 0  # its controller must not make pods
            stored.insert(0, self.c.write("old", old))
            self.c.ok("apply", "-f", stored[0])  # unlabelled: no binding selects it
        ns = self.c.ensure_namespace(obj)
        user = req["userInfo"]["username"]
        # As that user, with every permission: RBAC is not what is compared.
        as_user = [] if user == "admin" else ["--as", user, "--as-group", "system:masters"]
        verb = "apply" if stored else "create"
        try:
            code, _, err = self.c.kubectl(*as_user, "-n", ns, verb, "--dry-run=server", "-f",
                                          self.c.write("case", obj))
        finally:
            for path in stored:
                self.c.kubectl("delete", "-f", path, "--grace-period=0", "--force", "--wait=true")
        denied = VAP_DENIED.search(err)
        if denied:
            return ("denied", set(re.findall(r"\[([a-z-]+)\] ", err[denied.end():]))), want
        if code != 0 and "is invalid" in err:
            return None, ("skip", "the API server's own validation refused it, before any policy")
        if code != 0:
            return ("error", err.strip()), want
        return ("allowed", set(VAP_WARNED.findall(err))), want

    def test_the_backstop_gives_the_verdict_of_validate_on_every_case_and_policy(self):
        by_policy = {}
        cases = list(rule_cases()) + [(f"fixture {f}", json.loads(fixture(f)), {}) for f in FIXTURES]
        for name, review, policy in cases:
            req = review["request"]
            if req["operation"] in ("CREATE", "UPDATE") and "subResource" not in req:
                key = json.dumps(policy, sort_keys=True)
                by_policy.setdefault(key, []).append((name, review))
        groups = {f"g{i}": entry for i, entry in enumerate(sorted(by_policy.items()))}
        self.assertEqual(self.load_backstops(groups), 2 * len(groups))
        counts, differences = {"denied": 0, "warned": 0, "allowed": 0, "skip": 0}, []
        for group, (policy, group_cases) in groups.items():
            policy_file = self.c.write(group, json.loads(policy))
            for name, review in group_cases:
                got, want = self.judge(name, review, policy_file, group)
                if want[0] == "skip":
                    counts["skip"] += 1
                    print(f"skipped {name}: {want[1]}", file=sys.stderr)
                    continue
                same = got == want
                if not same:
                    differences.append(f"{name} (policy {policy}): API server {got}, /validate {want}")
                counts["warned" if want[0] == "allowed" and want[1] else want[0]] += 1
        print(f"\nbackstop in the real CEL: {len(groups)} policies, {counts}", file=sys.stderr)
        self.assertEqual([], differences, "\n".join(differences))
        self.assertGreater(counts["denied"], 60)
        self.assertGreater(counts["warned"], 15)
        self.assertLessEqual(counts["skip"], 10)  # 4 undecodable, 6 the API server refuses


if __name__ == "__main__":
    unittest.main()
