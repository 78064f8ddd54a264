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
import time
import unittest

from cluster_harness import RULE_LINE, Cluster, plain
from seiguard_e2e import FIXTURES, SOURCE, apply_patch, audit_findings, decode_patch, fixture, rule_cases, run
from cluster_admission_test import pod_of, workload
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


class InTreeAlone(unittest.TestCase):
    """The base policy in-tree (manifests/overlays/in-tree, as cluster.sh up
    --in-tree applies it), with no seiguard: what kube-controller-manager
    makes, what a second apply stores, what the API server says of the
    policies; then the webhook added beside it, the migration path."""

    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("--in-tree")

    @classmethod
    def tearDownClass(cls):
        cls.c.down()

    def namespace(self):
        ns = re.sub(r"[^a-z0-9-]", "-", self._testMethodName.lower())[:50].strip("-")
        self.c.ok("create", "namespace", ns)
        self.c.ok("-n", ns, "create", "serviceaccount", "seid-node")
        return ns

    def apply(self, ns, obj):
        return self.c.kubectl("-n", ns, "apply", "-f", "-", input=obj)

    def pods(self, ns, count, seconds=60):
        deadline = time.monotonic() + seconds
        pods = []
        while time.monotonic() < deadline and len(pods) != count:
            time.sleep(0.3)
            pods = json.loads(self.c.ok("-n", ns, "get", "pods", "-o", "json"))["items"]
        return pods

    def test_runs_no_seiguard_and_registers_no_webhook(self):
        self.assertEqual(self.c.ok("get", "validatingwebhookconfigurations,mutatingwebhookconfigurations",
                                   "-o", "name"), "")
        with open(os.path.join(self.c.dir, "pids")) as f:
            self.assertNotIn("seiguard", [line.split()[0] for line in f if line.strip()])
        names = self.c.ok("get", "mutatingadmissionpolicies,validatingadmissionpolicies", "-o", "name").split()
        self.assertEqual(sorted(names), ["mutatingadmissionpolicy.admissionregistration.k8s.io/seiguard-inject",
                                         "validatingadmissionpolicy.admissionregistration.k8s.io/seiguard-backstop-deny",
                                         "validatingadmissionpolicy.admissionregistration.k8s.io/seiguard-backstop-warn"])

    def test_the_policies_are_accepted_with_no_type_checking_warning(self):
        # kube-controller-manager type-checks ValidatingAdmissionPolicies
        # against the resources' schemas; MutatingAdmissionPolicies have no
        # such controller (the API server compiled them when it took them).
        deadline = time.monotonic() + 60
        while True:
            policies = json.loads(self.c.ok("get", "validatingadmissionpolicies", "-o", "json"))["items"]
            checked = [p for p in policies
                       if p.get("status", {}).get("observedGeneration") == p["metadata"]["generation"]]
            if len(checked) == len(policies) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.assertEqual(len(checked), 2, policies)
        for p in checked:
            self.assertEqual(p["status"].get("typeChecking", {}).get("expressionWarnings", []), [],
                             p["metadata"]["name"])
        mutating = json.loads(self.c.ok("get", "mutatingadmissionpolicy", "seiguard-inject", "-o", "json"))
        self.assertEqual(mutating["spec"]["failurePolicy"], "Ignore")

    def test_statefulset_pods_get_the_label_from_their_owner_and_their_injections(self):
        ns = self.namespace()
        template = pod_of("seinode-pod-needs-injection")
        sts = workload("StatefulSet", "atlantic-2-rpc-0", template, replicas=2)
        sts["spec"]["podManagementPolicy"] = "Parallel"  # no kubelet: pod 0 never gets Ready
        code, _, err = self.apply(ns, sts)
        self.assertEqual(code, 0, err)
        # The template lacks what the pods get: warned, as /validate warns.
        self.assertIn("'seiguard-backstop-warn': [node-label]", err)
        pods = self.pods(ns, 2)
        self.assertEqual(len(pods), 2, self.c.logs())
        for p in pods:
            self.assertEqual(p["metadata"]["labels"]["sei.io/node"], "atlantic-2-rpc-0")
            sidecar = next(c for c in p["spec"]["initContainers"] if c["name"] == "sei-sidecar")
            self.assertEqual([q for q in sidecar["ports"] if q.get("name") == "public"],
                             [{"name": "public", "containerPort": 9100, "protocol": "TCP"}])
            self.assertEqual([e for e in sidecar["env"] if e["name"] == "SEI_SIDECAR_PUBLIC_PORT"],
                             [{"name": "SEI_SIDECAR_PUBLIC_PORT", "value": "9100"}])

    def test_applying_again_stores_nothing_new(self):
        ns = self.namespace()
        pod = pod_of("seinode-pod-needs-injection")
        pod["metadata"]["labels"]["sei.io/node"] = "pacific-1-val-0"
        self.assertEqual(self.apply(ns, pod)[0], 0)
        first = self.c.get("pod", pod["metadata"]["name"], ns)
        sidecar = next(c for c in first["spec"]["initContainers"] if c["name"] == "sei-sidecar")
        self.assertIn({"name": "SEI_SIDECAR_PUBLIC_PORT", "value": "9100"}, sidecar["env"])
        code, out, err = self.apply(ns, pod)
        self.assertEqual(code, 0, err)
        second = self.c.get("pod", pod["metadata"]["name"], ns)
        self.assertEqual(second["metadata"]["resourceVersion"], first["metadata"]["resourceVersion"])
        self.assertEqual(second["spec"], first["spec"])

    def test_the_legacy_pod_is_refused_with_every_rule_that_denies(self):
        ns = self.namespace()
        code, _, err = self.apply(ns, pod_of("seinode-pod-legacy"))
        self.assertNotEqual(code, 0)
        self.assertIn(VAP_DENIED + "[proxy-ignore-paths]", err)
        self.assertIn(" | [probe-on-proxy-port]", err)
        self.assertIn("point it at the public port 9100", err)

    def test_with_the_webhook_beside_it_nothing_changes_but_who_answers(self):
        """The migration path: the webhooks still registered while the
        in-tree policies go in. The mutating policy runs before the mutating
        webhook, which then finds nothing to add: the same object is stored.
        A pod both refuse is refused by the mutating webhook, which answers
        before any validation, with the same rules."""
        ns = self.namespace()
        pod = pod_of("seinode-pod-needs-injection")
        pod["metadata"]["labels"]["sei.io/node"] = "pacific-1-val-0"
        alone = self.c.kubectl("-n", ns, "create", "--dry-run=server", "-o", "json", "-f", "-", input=pod)
        self.assertEqual(alone[0], 0, alone[2])
        try:
            self.c.webhook("start")
            before = self.c.seiguard_requests()
            both = self.c.kubectl("-n", ns, "create", "--dry-run=server", "-o", "json", "-f", "-", input=pod)
            self.assertEqual(both[0], 0, both[2])
            self.assertGreater(self.c.seiguard_requests(), before)  # the webhooks were called
            self.assertEqual(differences(stored(json.loads(both[1])), stored(json.loads(alone[1]))), [])
            code, _, err = self.apply(ns, pod_of("seinode-pod-legacy"))
            self.assertNotEqual(code, 0)
            self.assertIn('admission webhook "mutate.seiguard.sei.io" denied the request: [proxy-ignore-paths]', err)
            self.assertIn("\n[probe-on-proxy-port]", err)
        finally:
            self.c.webhook("stop")
            self.c.ok("delete", "validatingwebhookconfiguration,mutatingwebhookconfiguration", "seiguard")


if __name__ == "__main__":
    unittest.main()
