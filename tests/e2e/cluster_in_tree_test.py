"""The in-tree mode through the real API server: scripts/cluster.sh up
--in-tree (no seiguard, no webhook configuration) answers as the webhook
chain does.

For every rule case and fixture, under the case's own policy (scripts/cluster.sh
in-tree DIR on --policy-file), the API server with only the generated
admission policies in force is compared with what the webhooks answer
(`seiguard review --mutate`, then `seiguard review` on the patched object,
as the API server chains them; /validate alone on UPDATE, where nothing is
mutated):

- the verdict, and the rules named in the denial and in the warnings;
- for every CREATE both admit, the object the API server would store: the
  in-tree dry run against the dry run of the webhook's patched object in
  kube-system, where no policy applies (so both are defaulted alike). The
  whole object is compared, not a list of fields.

Where the two must differ, the case is listed in NOT_IN_TREE with the
reason the README gives ("Choosing a mode"); a listed case that no longer
differs fails the test too. The mutating policy must never fail to evaluate
(the API server's own apiserver_mutating_admission_policy_check_total).
"""
import json
import os
import re
import sys
import tempfile
import unittest

from cluster_harness import RULE_LINE, Cluster, plain
from seiguard_e2e import FIXTURES, apply_patch, audit_findings, decode_patch, fixture, rule_cases, run
from cluster_dryrun_test import API_SERVER_REFUSES

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cluster"))
import reach  # noqa: E402

USER = "seiguard-test-admin"  # who kubectl is in the test cluster (scripts/cluster.sh pki)
VAP_DENIED = "ValidatingAdmissionPolicy 'seiguard-backstop-deny' with binding 'seiguard-backstop-deny' denied request: "
VAP_WARNED = "Warning: Validation failed for ValidatingAdmissionPolicy 'seiguard-backstop-warn' with binding " \
             "'seiguard-backstop-warn': "

# Cases where in-tree must answer otherwise than the webhooks, and why (the
# README's "Choosing a mode" lists the same).
SILENT = "remediation is silent in-tree: a MutatingAdmissionPolicy cannot warn about the probe it moved " \
         "or the flag it removed; /mutate does (the stored objects are the same)"
NOT_IN_TREE = {
    "probe-on-proxy-port.yaml: remediation moves a probe where an entry besides \"*\" lists the sidecar": SILENT,
    "probe-on-proxy-port.yaml: remediation takes a later release and a registry with a port": SILENT,
    "probe-on-proxy-port.yaml: remediation moves httpGet and tcpSocket probes to the public port": SILENT,
    "proxy-ignore-paths.yaml: remediation drops the equals form and the separate form": SILENT,
    "proxy-ignore-paths.yaml: remediation rewrites an sh -c string":
        "CEL cannot rewrite inside a string: the --ignore-paths in an sh -c string is left, and refused",
}


def in_tree_verdict(code, stderr):
    """("allowed", warn rules) or ("denied", deny rules) from the API server's
    answer in in-tree mode, else ("error", stderr)."""
    warned = set()
    for line in stderr.splitlines():
        if line.startswith(VAP_WARNED):
            warned |= {m.group(1) for m in RULE_LINE.finditer(line[len(VAP_WARNED):])}
    if code == 0:
        return "allowed", warned
    if VAP_DENIED in stderr:
        body = stderr.split(VAP_DENIED, 1)[1].splitlines()[0]
        return "denied", set(RULE_LINE.findall(body.replace(" | [", "\n[")))
    return "error", stderr


def webhook_chain(review, policy_file):
    """What the webhooks answer: (verdict, patched object or None)."""
    review = json.loads(json.dumps(review))
    review["request"]["userInfo"] = {"username": USER, "groups": ["system:masters", "system:authenticated"]}
    request = review["request"]
    policy = ["--policy-file", policy_file]
    found, patched = set(), None
    if request["operation"] == "CREATE" and request["kind"]["kind"] == "Pod":
        code, out, err = run(["review", "--mutate"] + policy, json.dumps(review).encode())
        assert code == 0, err
        mutated = json.loads(out)["response"]
        found |= audit_findings(mutated)
        if not mutated["allowed"]:
            return ("denied", {r for r, a, _ in found if a == "deny"}), None
        if "patch" in mutated:
            patched = apply_patch(request["object"], decode_patch(mutated))
            request["object"] = patched
    code, out, err = run(["review"] + policy, json.dumps(review).encode())
    assert code == 0, err
    response = json.loads(out)["response"]
    found |= audit_findings(response)
    if not response["allowed"]:
        return ("denied", {r for r, a, _ in found if a == "deny"}), None
    return ("allowed", {r for r, a, _ in found if a == "warn"}), patched or request["object"]


SERVER_SET = ("uid", "resourceVersion", "creationTimestamp", "managedFields", "generation", "namespace")


# Set afresh for every request: the service account token volume's name and
# the uid a Job's selector is made from.
PER_REQUEST = [(re.compile(r'"kube-api-access-[a-z0-9]{5}"'), '"kube-api-access-*"'),
               (re.compile(r'("(?:batch\.kubernetes\.io/)?controller-uid": )"[0-9a-f-]{36}"'), r'\1"*"')]


def stored(obj):
    """What a dry run returned, without what the API server sets per request."""
    text = json.dumps(obj)
    for pattern, replacement in PER_REQUEST:
        text = pattern.sub(replacement, text)
    obj = json.loads(text)
    meta = obj["metadata"]
    for k in SERVER_SET:
        meta.pop(k, None)
    if "generateName" in meta:
        meta.pop("name", None)
    return obj


def differences(a, b, path=""):
    """The JSON paths where a and b differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            out += differences(a.get(k), b.get(k), f"{path}/{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}/{i}")]
    return [] if a == b else [path or "/"]


class InTreeIsTheWebhookChain(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster("--in-tree")
        cls.tmp = tempfile.mkdtemp()

    @classmethod
    def tearDownClass(cls):
        cls.cluster.down()

    def in_tree(self, action, policy_file=None):
        extra = ["--policy-file", policy_file] if policy_file else []
        self.cluster.script("in-tree", action, *extra)

    def cases(self):
        for name, review, policy in rule_cases():
            yield name, review, policy
        for f in FIXTURES:
            yield f"fixture {f}", json.loads(fixture(f)), {}

    def dry_run(self, obj, label, namespace=None):
        """kubectl create --dry-run=server -o json: (exit code, object or None, stderr)."""
        obj = json.loads(json.dumps(obj))
        if namespace:
            obj["metadata"]["namespace"] = namespace
        self.cluster.ensure_namespace(obj)
        code, out, err = self.cluster.kubectl("create", "--dry-run=server", "-o", "json", "-f",
                                              self.cluster.write(label, obj))
        return code, json.loads(out) if code == 0 else None, err

    def test_every_case_is_stored_and_judged_as_the_webhooks_do(self):
        by_policy = {}
        for name, review, policy in self.cases():
            by_policy.setdefault(json.dumps(policy, sort_keys=True), []).append((name, review))
        compared, objects, found, differ = 0, 0, {}, []
        for i, (policy, cases) in enumerate(sorted(by_policy.items())):
            policy_file = os.path.join(self.tmp, f"policy-{i}.json")
            with open(policy_file, "w") as f:
                f.write(policy)
            self.in_tree("on", policy_file)
            for n, (name, review) in enumerate(cases):
                req = review["request"]
                if req["operation"] not in ("CREATE", "UPDATE") or req.get("subResource"):
                    continue
                obj = plain(req["object"])
                label = f"case-{i}-{n}"
                if req["operation"] == "CREATE":
                    code, out, err = self.dry_run(obj, label)
                    ours, patched = webhook_chain(review, policy_file)
                else:
                    code, err = self.update(obj, plain(req["oldObject"]), label, policy_file)
                    out, (ours, patched) = None, webhook_chain(review, policy_file)
                theirs = in_tree_verdict(code, err)
                compared += 1
                if theirs[0] == "error" and ours[0] == "denied" and any(
                        why in theirs[1] for why in ("is invalid", "cannot be handled as", "unable to decode")):
                    continue  # the API server (or kubectl) cannot take the object: no policy ever sees it
                if name in API_SERVER_REFUSES and theirs[0] == "error" and API_SERVER_REFUSES[name] in theirs[1]:
                    continue
                problems = []
                if theirs[0] != ours[0] or (theirs[0] != "error" and theirs[1] != ours[1]):
                    problems.append(f"in-tree {theirs}, webhooks {ours}")
                elif out is not None and patched is not None:
                    objects += 1
                    code, reference, err = self.dry_run(patched, label + "-webhook", "kube-system")
                    self.assertEqual(code, 0, f"{name}: the webhook's object in kube-system: {err}")
                    paths = differences(stored(out), stored(reference))
                    if paths:
                        problems.append(f"stored objects differ at {paths}")
                if problems:
                    found[name] = problems
                    if name not in NOT_IN_TREE:
                        differ.append(f"{name} (policy {policy}): " + "; ".join(problems))
        print(f"compared {compared} cases, {objects} stored objects", file=sys.stderr)
        self.assertEqual([], differ, "\n".join(differ))
        self.assertEqual(set(NOT_IN_TREE), set(found), "a listed case no longer differs: drop it from NOT_IN_TREE")
        self.assertGreater(compared, 140)
        self.assertGreater(objects, 40)
        metrics = self.cluster.ok("get", "--raw", "/metrics")
        errors = [line for line in metrics.splitlines()
                  if line.startswith("apiserver_mutating_admission_policy_check_total{")
                  and 'error_type="no_error"' not in line]
        self.assertEqual([], errors, "the mutating policy failed to evaluate")

    def update(self, obj, old, label, policy_file):
        """An UPDATE case as kubectl sends an edit: the old object stored and
        applied with no policy in force (it may be one seiguard refuses
        today), then the new one applied as a server-side dry run with the
        policies back. Returns (exit code, stderr); deletes what it stored."""
        self.in_tree("off")
        owners = self.cluster.real_owners(old, obj)
        self.cluster.ensure_namespace(old)
        if "replicas" in old.get("spec", {}):
            old["spec"]["replicas"] = 0
        old_path = self.cluster.write(label + "-old", old)
        self.cluster.ok("apply", "-f", old_path)
        self.in_tree("on", policy_file)
        code, _, err = self.cluster.kubectl("apply", "--dry-run=server", "-f", self.cluster.write(label, obj))
        for p in [old_path] + owners:
            self.cluster.kubectl("delete", "-f", p, "--grace-period=0", "--force", "--wait=true")
        return code, err


if __name__ == "__main__":
    unittest.main()
