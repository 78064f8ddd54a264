"""Dry run = CI: `kubectl apply --dry-run=server` against the real API server
with seiguard registered gives the verdict `seiguard check` gives, on every
rule case and fixture, and stores nothing.

Each case runs with its own policy: seiguard is restarted with it
(scripts/cluster.sh webhook DIR start --policy-file). CREATE cases are
compared with `seiguard check`; UPDATE cases with what `seiguard review`
answers on /mutate then /validate for the same old and new object (check has
no old object to judge against), the old object stored first with the
webhooks out of the way. DELETE and CONNECT cases are always allowed and
kubectl apply sends neither; cases whose object the API server itself refuses
(a wrong type where the schema wants another) must be refused by check too.
"""
import json
import os
import sys
import tempfile
import unittest

from cluster_harness import Cluster, plain, verdict
from seiguard_e2e import FIXTURES, audit_findings, fixture, rule_cases, run

# Cases whose object the API server itself refuses as invalid, whatever any
# webhook says: seiguard is no schema validator, and these cases pin how its
# decoder treats a partial object. Each is named, so that a new case the API
# server refuses fails this test until someone looks at it.
API_SERVER_REFUSES = {
    "node-label.yaml: a workload without a pod template has nothing to label or patch":
        "spec.selector: Required value",
    "node-label.yaml: a CronJob without a job template has nothing to label":
        "spec.jobTemplate.spec.template.spec.containers: Required value",
}


def check_verdict(path, policy_file):
    code, out, err = run(["check", "-o", "json", "--policy-file", policy_file, path])
    if code == 2:
        return "error", err
    report = json.loads(out)
    deny = {f["rule"] for f in report["findings"] if f["action"] == "deny"}
    warn = {f["rule"] for f in report["findings"] if f["action"] == "warn"}
    return ("denied", deny) if deny else ("allowed", warn)


def review_verdict(review, policy_file):
    """/validate's answer to an UPDATE, as the verdict() of kubectl's output."""
    code, out, err = run(["review", "--policy-file", policy_file], json.dumps(review).encode())
    if code != 0:
        return "error", err
    response = json.loads(out)["response"]
    findings = audit_findings(response)
    if not response["allowed"]:
        return "denied", {r for r, a, _ in findings if a == "deny"}
    return "allowed", {r for r, a, _ in findings if a == "warn"}


class DryRunIsCi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster()
        cls.tmp = tempfile.mkdtemp()

    @classmethod
    def tearDownClass(cls):
        cls.cluster.down()

    def cases(self):
        for name, review, policy in rule_cases():
            yield name, review, policy
        for f in FIXTURES:
            yield f"fixture {f}", json.loads(fixture(f)), {}

    def test_every_case_gets_the_same_verdict_from_the_api_server_and_from_check(self):
        by_policy = {}
        for name, review, policy in self.cases():
            by_policy.setdefault(json.dumps(policy, sort_keys=True), []).append((name, review))
        compared, differences, refused = 0, [], set()
        for i, (policy, cases) in enumerate(sorted(by_policy.items())):
            policy_file = os.path.join(self.tmp, f"policy-{i}.json")
            with open(policy_file, "w") as f:
                f.write(policy)
            self.cluster.webhook("start", "--policy-file", policy_file)
            for n, (name, review) in enumerate(cases):
                req = review["request"]
                if req["operation"] not in ("CREATE", "UPDATE"):
                    continue
                obj = plain(req["object"])
                self.cluster.ensure_namespace(obj)
                path = self.cluster.write(f"case-{i}-{n}", obj)
                if req["operation"] == "CREATE":
                    cluster = verdict(*self.cluster.kubectl("apply", "--dry-run=server", "-f", path)[::2])
                    ours = check_verdict(path, policy_file)
                else:
                    old = plain(req["oldObject"])
                    owners = self.cluster.real_owners(old, obj)
                    path = self.cluster.write(f"case-{i}-{n}", obj)
                    old_path = self.store_without_webhooks(old, f"old-{i}-{n}")
                    cluster = verdict(*self.cluster.kubectl("apply", "--dry-run=server", "-f", path)[::2])
                    ours = review_verdict(review, policy_file)
                    for p in [old_path] + owners:
                        self.cluster.kubectl("delete", "-f", p, "--grace-period=0", "--force", "--wait=true")
                compared += 1
                if cluster[0] == "error" and ours[0] == "denied" and "is invalid" in cluster[1]:
                    continue  # refused both ways: the API server's validation runs before /validate
                if name in API_SERVER_REFUSES:
                    refused.add(name)
                    if cluster[0] != "error" or API_SERVER_REFUSES[name] not in cluster[1]:
                        differences.append(f"{name}: expected the API server's own refusal, got {cluster}")
                elif cluster[0] != ours[0] or (cluster[0] != "error" and cluster[1] != ours[1]):
                    differences.append(f"{name} (policy {policy}): API server {cluster}, seiguard {ours}")
        print(f"compared {compared} cases", file=sys.stderr)
        self.assertEqual([], differences, "\n".join(differences))
        self.assertEqual(set(API_SERVER_REFUSES), refused, "a listed case is gone: drop it from the list")
        self.assertGreater(compared, 140)
        # A server-side dry run stores nothing (the UPDATE cases' old objects
        # were deleted after each case).
        for kind in ("pods", "statefulsets", "deployments", "services", "networkpolicies", "jobs", "cronjobs"):
            listed = json.loads(self.cluster.ok("get", kind, "-A", "-o", "json"))["items"]
            self.assertEqual([], [o["metadata"]["name"] for o in listed if o["metadata"]["namespace"] != "default"
                                  or o["metadata"]["name"] != "kubernetes"], f"the dry runs created {kind}")

    def store_without_webhooks(self, obj, label):
        """Stores an UPDATE case's old object (deleting any object of its
        name first), with the webhook configurations removed meanwhile: an
        old object may be one seiguard would refuse today. It is applied, so
        that applying the new object sends what kubectl sends for an edit (a
        patch from the last applied configuration), and deleted after the
        case. A workload is stored with no replicas."""
        ns = self.cluster.ensure_namespace(obj)
        if "replicas" in obj.get("spec", {}):
            obj["spec"]["replicas"] = 0  # its controller must not make pods that clash with the cases'
        path = self.cluster.write(label, obj)
        self.cluster.ok("delete", "validatingwebhookconfiguration,mutatingwebhookconfiguration", "seiguard")
        self.cluster.reach("skipped")  # the API server has let go of them
        self.cluster.ok("apply", "-f", path)
        self.cluster.ok("apply", "-f", os.path.join(self.cluster.dir, "webhooks.yaml"))
        self.cluster.wait_for_webhook()
        return path


if __name__ == "__main__":
    unittest.main()
