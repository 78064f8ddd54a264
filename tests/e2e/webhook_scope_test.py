"""Only what seiguard judges reaches it: `seiguard webhooks`.

The webhook configurations carry the policy's scope as the matchCondition
seinode-object (the backstop's, from one generator), so the API server
itself decides, and sends seiguard nothing else. Proven here without a
control plane (cluster_scope_test.py proves it through one):

- every fixture and rule case, under its own policy, and what /mutate makes
  of each: the API server would call /validate exactly when seiguard judges
  the object (its answer carries a decision) and /mutate exactly for the Pod
  CREATEs it judges. Evaluated twice: rules, namespaces and condition with a
  real CEL (tests/vap), and the condition with the API server's own code
  (tests/cluster/matchcond, built from the pinned k8s.io/apiserver);
- hostile shapes (no metadata, null labels and lists, a CronJob without a job
  template, a Service without a spec, empty selectors...) are decided, never
  an evaluation error, which under failurePolicy Fail would refuse them;
- the cost the API server charges for the condition stays far inside its
  runtime budget, even for the largest objects etcd can hold;
- the command: YAML and JSON alike, a bad policy refused, options.
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import yaml

import vap_parity_test as vap
from seiguard_e2e import SOURCE, cases_with_mutated, fixture, run

CLUSTER_BIN = os.environ.get("CLUSTER_BIN", os.path.join(SOURCE, "build", "cluster", "bin"))
MATCHCOND = os.path.join(CLUSTER_BIN, "matchcond")
VALIDATE, MUTATE = "validate.seiguard.sei.io", "mutate.seiguard.sei.io"
EXCLUDED = {"kube-system", "seiguard-system"}


def matchcond(conditions, cases):
    """The API server's own evaluation of `conditions` on `cases`."""
    if not os.access(MATCHCOND, os.X_OK):
        raise AssertionError(f"no {MATCHCOND}: `make cluster-bin` (scripts/cluster.sh build) builds it")
    out = subprocess.run([MATCHCOND], input=json.dumps({"conditions": conditions, "cases": cases}).encode(),
                         capture_output=True, timeout=300)
    if out.returncode != 0:
        raise AssertionError(out.stderr.decode())
    return json.loads(out.stdout)


def request_of(obj, operation="CREATE", old=None, namespace="team-a"):
    """An admission request as the API server builds it for `obj`."""
    anyobj = obj if obj is not None else old
    api_version = anyobj.get("apiVersion", "v1")
    group = api_version.split("/")[0] if "/" in api_version else ""
    kind = anyobj["kind"]
    resource = kind.lower()[:-1] + "ies" if kind.endswith("y") else kind.lower() + "s"
    return {"uid": "u", "kind": {"group": group, "version": "v1", "kind": kind},
            "resource": {"group": group, "version": "v1", "resource": resource},
            "name": "x", "namespace": namespace, "operation": operation, "userInfo": {"username": "admin"},
            "object": obj, "oldObject": old, "dryRun": False}


def pod(spec=None, meta=None):
    obj = {"apiVersion": "v1", "kind": "Pod"}
    if meta is not None:
        obj["metadata"] = meta
    if spec is not None:
        obj["spec"] = spec
    return obj


SIDECAR = {"name": "sei-sidecar", "image": "ghcr.io/sei-protocol/seictl:v1"}
NGINX = {"name": "web", "image": "nginx"}
TEMPLATE = {"metadata": {"labels": {"sei.io/node": "n"}}, "spec": {"containers": [NGINX]}}

# (name, request, is the object in scope): shapes no well-formed manifest
# has, as the API server may still hold them when it evaluates the condition
# (the mutating webhooks run before the object is validated).
HOSTILE = [
    ("a Pod with no metadata", request_of(pod({"containers": [NGINX]})), False),
    ("a Pod with no metadata and a sidecar", request_of(pod({"containers": [SIDECAR]})), True),
    ("a Pod with labels: null", request_of(pod({"containers": [NGINX]}, {"name": "p", "labels": None})), False),
    ("a Pod with no spec", request_of(pod(None, {"name": "p"})), False),
    ("a Pod with spec: null", request_of(dict(pod(None, {"name": "p"}), spec=None)), False),
    ("a Pod with empty container lists", request_of(pod({"containers": [], "initContainers": []}, {})), False),
    ("a Pod with initContainers: null", request_of(pod({"containers": [NGINX], "initContainers": None}, {})), False),
    ("a Pod with containers: null and a native sidecar",
     request_of(pod({"containers": None, "initContainers": [dict(SIDECAR, restartPolicy="Always")]}, {})), True),
    ("a Pod with ownerReferences: null", request_of(pod({"containers": [NGINX]}, {"ownerReferences": None})), False),
    ("a Pod with annotations and labels empty",
     request_of(pod({"containers": [NGINX]}, {"labels": {}, "annotations": {}})), False),
    ("a CronJob with no jobTemplate",
     request_of({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
                 "spec": {"schedule": "* * * * *"}}), False),
    ("a CronJob whose jobTemplate has no spec",
     request_of({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
                 "spec": {"schedule": "* * * * *", "jobTemplate": {}}}), False),
    ("a CronJob with no spec", request_of({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {}}), False),
    ("a CronJob owned by a SeiNode, with no jobTemplate",
     request_of({"apiVersion": "batch/v1", "kind": "CronJob",
                 "metadata": {"ownerReferences": [{"apiVersion": "sei.io/v1alpha1", "kind": "SeiNode",
                                                   "name": "n", "uid": "1"}]},
                 "spec": {"schedule": "* * * * *"}}), True),
    ("a CronJob whose template carries the node label",
     request_of({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {},
                 "spec": {"jobTemplate": {"spec": {"template": TEMPLATE}}}}), True),
    ("a Deployment with no spec", request_of({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {}}),
     False),
    ("a Deployment whose template has no metadata and containers: null",
     request_of({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {},
                 "spec": {"template": {"spec": {"containers": None}}}}), False),
    ("a Deployment whose template carries the node label",
     request_of({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": TEMPLATE}}), True),
    ("a Service with no spec", request_of({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}),
     False),
    ("a Service with no metadata", request_of({"apiVersion": "v1", "kind": "Service", "spec": {}}), False),
    ("a Service with no spec, owned by a SeiNode",
     request_of({"apiVersion": "v1", "kind": "Service",
                 "metadata": {"ownerReferences": [{"apiVersion": "sei.io/v1alpha1", "kind": "SeiNode",
                                                   "name": "n", "uid": "1"}]}}), True),
    ("a NetworkPolicy with no spec",
     request_of({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {}}), False),
    ("a NetworkPolicy with empty selectors and no ingress rule (default deny)",
     request_of({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                 "spec": {"podSelector": {"matchLabels": {}, "matchExpressions": []}}}), False),
    ("a NetworkPolicy with ingress: null",
     request_of({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                 "spec": {"podSelector": {}, "ingress": None, "policyTypes": None}}), False),
    ("a NetworkPolicy with no podSelector and an ingress rule (every pod)",
     request_of({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "spec": {"ingress": [{}]}}), True),
    ("a NetworkPolicy with matchExpressions: null and an ingress rule",
     request_of({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                 "spec": {"podSelector": {"matchExpressions": None, "matchLabels": {"app": "web"}},
                          "ingress": [{}]}}), False),
    ("a NetworkPolicy that selects pods without the node label",
     request_of({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                 "spec": {"podSelector": {"matchExpressions": [{"key": "sei.io/node", "operator": "DoesNotExist"}]},
                          "ingress": [{}]}}), False),
    ("an UPDATE from an object with no metadata to one with the node label",
     request_of(pod({"containers": [NGINX]}, {"labels": {"sei.io/node": "n"}}), "UPDATE",
                pod({"containers": [NGINX]})), True),
    ("an UPDATE that drops the node label into labels: null",
     request_of(pod({"containers": [NGINX]}, {"labels": None}), "UPDATE",
                pod({"containers": [NGINX]}, {"labels": {"sei.io/node": "n"}})), True),
    ("an UPDATE between two pods with no metadata",
     request_of(pod({"containers": [NGINX]}), "UPDATE", pod({"containers": [NGINX]})), False),
]


def largest(kind, items):
    """An object of about 1.5 MiB (etcd's default request limit) whose size
    is all in the lists the condition walks, none of them in scope."""
    if kind == "Pod":
        return pod({"initContainers": [{"name": f"i{i}", "image": "busybox"} for i in range(items)],
                    "containers": [{"name": f"c{i}", "image": "busybox"} for i in range(items)]},
                   {"name": "big", "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": f"o{i}",
                                                        "uid": str(i)} for i in range(items)]})
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "big"},
            "spec": {"podSelector": {"matchExpressions": [{"key": f"k{i}", "operator": "Exists"}
                                                          for i in range(items)]},
                     "ingress": [{}]}}


class WebhookScope(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        if not os.path.isdir(os.path.join(vap.HARNESS, "node_modules", "@bufbuild", "cel")):
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--prefix", vap.HARNESS],
                           check=True, capture_output=True, timeout=300)
        cls.configs = {}

    def policy_file(self, policy):
        path = os.path.join(self.tmp, f"policy-{abs(hash(json.dumps(policy, sort_keys=True)))}.json")
        with open(path, "w") as f:
            json.dump(policy, f)
        return path

    def configurations(self, policy):
        key = json.dumps(policy, sort_keys=True)
        if key not in self.configs:
            code, out, err = run(["webhooks", "-o", "json", "--policy-file", self.policy_file(policy)])
            self.assertEqual(code, 0, err)
            self.configs[key] = json.loads(out)["items"]
        return self.configs[key]

    def judged(self, review, policy):
        """Whether seiguard judges the request (/validate answers with a
        decision); None when the API server could not even send it."""
        code, out, err = run(["review", "--policy-file", self.policy_file(policy)], json.dumps(review).encode())
        self.assertEqual(code, 0, err)
        response = json.loads(out)["response"]
        if response.get("status", {}).get("code") == 400:
            return None  # undecodable: the API server refuses such a body before admission
        return "decision" in response.get("auditAnnotations", {})

    def test_each_webhook_is_called_exactly_for_what_seiguard_judges(self):
        policies, work, expected = {}, [], {}
        for i, (name, review, policy) in enumerate(cases_with_mutated(self.policy_file)):
            judged = self.judged(review, policy)
            if judged is None:
                continue
            key = json.dumps(policy, sort_keys=True)
            policies[key] = self.configurations(policy)
            request = review["request"]
            excluded = request.get("namespace") in EXCLUDED
            pod_create = (request["kind"]["kind"] == "Pod" and request["operation"] == "CREATE"
                          and not request.get("subResource"))
            expected[str(i)] = (name, judged and not excluded, judged and not excluded and pod_create)
            work.append({"id": str(i), "policies": key, "request": request})
        counts = {"called": 0, "not called": 0}
        for result in vap.evaluate(policies, work):
            name, validate, mutate = expected[result["id"]]
            called = {r["policy"]: r["matched"] for r in result["results"]}
            with self.subTest(case=name):
                self.assertEqual([e for r in result["results"] for e in r["errors"]], [], "evaluation errors")
                self.assertEqual(called[VALIDATE], validate, "/validate called")
                self.assertEqual(called.get(MUTATE, False), mutate, "/mutate called")
            counts["called" if validate else "not called"] += 1
        print(f"\nwebhook scope: {len(expected)} cases, {counts}", file=sys.stderr)
        self.assertGreater(counts["called"], 150)
        self.assertGreaterEqual(counts["not called"], 10)

    def test_the_api_servers_own_evaluator_agrees_within_its_budget(self):
        by_policy = {}
        for name, review, policy in cases_with_mutated(self.policy_file):
            request = review["request"]
            if (request["operation"] not in ("CREATE", "UPDATE") or request.get("subResource")
                    or request.get("namespace") in EXCLUDED):
                continue
            judged = self.judged(review, policy)
            if judged is None:
                continue
            by_policy.setdefault(json.dumps(policy, sort_keys=True), (policy, []))[1].append((name, request, judged))
        compared, costs = 0, {}
        for policy, cases in by_policy.values():
            (validate,) = self.configurations(policy)[0]["webhooks"]
            kinds = {r for rule in validate["rules"] for r in rule["resources"]}
            left_out = set(validate["namespaceSelector"]["matchExpressions"][0]["values"])
            cases = [c for c in cases if c[1]["resource"]["resource"] in kinds and c[1]["namespace"] not in left_out]
            out = matchcond(validate["matchConditions"], [dict(r, id=str(n)) for n, (_, r, _) in enumerate(cases)])
            self.assertEqual(out["compileErrors"], [], "the API server would refuse the configuration")
            for (name, _, judged), got in zip(cases, out["cases"]):
                with self.subTest(case=name):
                    self.assertNotIn("decodeError", got)
                    (r,) = got["results"]
                    self.assertNotIn("error", r)
                    self.assertEqual(r["value"], judged)
                    costs[name] = r["cost"]
                    compared += 1
        self.assertGreater(compared, 150)
        legacy = costs["fixture seinode-pod-legacy"]
        print(f"\nmatchCondition cost as the API server charges it (budget {out['budget']:,}): "
              f"legacy SeiNode pod {legacy}, plain pod {costs['fixture plain-pod']}, "
              f"most of {compared} cases {max(costs.values())}", file=sys.stderr)
        self.assertLess(max(costs.values()), out["budget"] / 1000)

    def test_hostile_shapes_are_decided_never_an_error(self):
        (validate,) = self.configurations({})[0]["webhooks"]
        got = vap.evaluate({"p": self.configurations({})},
                           [{"id": str(i), "policies": "p", "request": r} for i, (_, r, _) in enumerate(HOSTILE)])
        ours = matchcond(validate["matchConditions"], [dict(r, id=str(i)) for i, (_, r, _) in enumerate(HOSTILE)])
        self.assertEqual(ours["compileErrors"], [])
        for (name, request, in_scope), js, go in zip(HOSTILE, got, ours["cases"]):
            with self.subTest(case=name):
                (called,) = [r for r in js["results"] if r["policy"] == VALIDATE]
                self.assertEqual(called["errors"], [])
                self.assertEqual(called["matched"], in_scope, "CEL (tests/vap)")
                self.assertNotIn("decodeError", go)
                (r,) = go["results"]
                self.assertNotIn("error", r)
                self.assertEqual(r["value"], in_scope, "the API server's evaluator")
        # Where the engine can read the object, it agrees.
        for name, request, in_scope in HOSTILE:
            review = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}
            judged = self.judged(review, {})
            if judged is not None:
                self.assertEqual(judged, in_scope, name)

    def test_the_largest_objects_are_decided_inside_the_budget(self):
        (validate,) = self.configurations({})[0]["webhooks"]
        cases = []
        for kind in ("Pod", "NetworkPolicy"):
            items = 1
            while len(json.dumps(largest(kind, items * 2))) < 1536 * 1024:
                items *= 2
            cases.append(dict(request_of(largest(kind, items)), id=f"{kind} of {items} items"))
        out = matchcond(validate["matchConditions"], cases)
        for case, got in zip(cases, out["cases"]):
            (r,) = got["results"]
            self.assertEqual((r["value"], r.get("error")), (False, None), case["id"])
            print(f"\nmatchCondition cost of a {case['id']} ({len(json.dumps(case['object'])) // 1024} KiB): "
                  f"{r['cost']:,} of {out['budget']:,}", file=sys.stderr)
            self.assertLess(r["cost"], out["budget"] / 2, case["id"])


class WebhooksCli(unittest.TestCase):
    def test_yaml_output_is_the_json_output_and_the_shipped_file(self):
        code, out_yaml, err = run(["webhooks"])
        self.assertEqual(code, 0, err)
        self.assertTrue(out_yaml.startswith(b"# Generated by `seiguard webhooks`"))
        code, out_json, err = run(["webhooks", "-o", "json"])
        self.assertEqual(code, 0, err)
        docs = [d for d in yaml.safe_load_all(out_yaml) if d]
        self.assertEqual(docs, json.loads(out_json)["items"])
        with open(os.path.join(SOURCE, "manifests", "base", "webhooks.yaml")) as f:
            self.assertEqual([d for d in yaml.safe_load_all(f) if d], docs)

    def test_a_bad_policy_file_is_refused_with_every_problem(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            f.write("scope: {kinds: [Pod, Widget]}\nnodeLabel: 'not a key!'\n")
            f.flush()
            code, out, err = run(["webhooks", "--policy-file", f.name])
        self.assertEqual(code, 2)
        self.assertEqual(out, b"")
        self.assertIn("Widget", err)
        self.assertIn("nodeLabel", err)

    def test_options_and_a_policy_that_judges_no_pods(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            f.write("scope: {kinds: [Service]}\nexemptNamespaces: [lab]\n")
            f.flush()
            code, out, err = run(["webhooks", "-o", "json", "--policy-file", f.name, "--service-namespace", "guard",
                                  "--timeout-seconds", "3", "--exclude-namespace", "kube-system"])
        self.assertEqual(code, 0, err)
        self.assertIn("judges no Pods", err)
        validating, mutating = json.loads(out)["items"]
        self.assertEqual(mutating["webhooks"], [])
        (hook,) = validating["webhooks"]
        self.assertEqual(hook["clientConfig"]["service"]["namespace"], "guard")
        self.assertEqual(hook["timeoutSeconds"], 3)
        self.assertEqual(hook["namespaceSelector"]["matchExpressions"][0]["values"], ["kube-system", "guard", "lab"])
        self.assertEqual([r["resources"] for r in hook["rules"]], [["services"]])
        code, _, err = run(["webhooks", "--timeout-seconds", "31"])
        self.assertEqual(code, 2)


if __name__ == "__main__":
    unittest.main()
