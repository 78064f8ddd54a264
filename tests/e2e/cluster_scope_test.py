"""What reaches seiguard, through a real kube-apiserver: only SeiNode objects.

The webhook configurations carry the policy's scope as a matchCondition
(`seiguard webhooks`), so the API server decides, and:

- with seiguard down and every webhook failing closed (`up --no-webhook
  --failure-policy Fail`), an ordinary team's Pods, workloads (and the pods
  their controllers make), Services, NetworkPolicies and edits go through,
  while every SeiNode object fails with the webhook's failure; hostile
  shapes get the API server's own answer, never a condition error;
- with seiguard up, out-of-scope objects cost no call at all: the API
  server's apiserver_admission_webhook_admission_duration_seconds_count for
  both webhooks and seiguard's seiguard_admission_requests_total stay where
  they were, and in-scope objects move both;
- a policy with a scope of its own (`up --policy-file`) comes up and is
  registered with its own conditions.
"""
import json
import os
import re
import tempfile
import time
import unittest

from cluster_admission_test import pod_of, workload
from cluster_harness import Cluster, reach

NS = "team-a"
NGINX = {"name": "web", "image": "nginx"}
WEBHOOK_FAILED = re.compile(r'failed calling webhook "(validate|mutate)\.seiguard\.sei\.io"')
SEINODE_OWNER = {"apiVersion": "sei.io/v1alpha1", "kind": "SeiNode", "name": "pacific-1-rpc-0",
                 "uid": "6f0c8a2e-1111-4c3b-9c53-5a0e8d9e0001"}


def named(obj, name):
    obj = json.loads(json.dumps(obj))
    obj.setdefault("metadata", {})["name"] = name
    return obj


def seinode_pod(fixture_name, name):
    """A SeiNode fixture's pod named `name`, with no service account to need."""
    pod = pod_of(fixture_name)
    pod["metadata"]["name"] = name
    pod["spec"].pop("serviceAccountName", None), pod["spec"].pop("serviceAccount", None)
    return pod


def plain_pod(name, **meta):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": dict({"name": name}, **meta),
            "spec": {"containers": [NGINX]}}


def out_of_scope():
    """An ordinary team's objects: nothing of a SeiNode in them."""
    template = plain_pod("t", labels={"app": "web"})
    return [
        plain_pod("web"),
        workload("Deployment", "web-deploy", template),
        workload("StatefulSet", "web-sts", template),
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once"},
         "spec": {"template": {"spec": {"containers": [NGINX], "restartPolicy": "Never"}}}},
        {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly"},
         "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {
             "spec": {"containers": [NGINX], "restartPolicy": "Never"}}}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
         "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}},
        # Selects pods that are not SeiNode pods, and opens their port.
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "web-ingress"},
         "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{"ports": [{"port": 80}]}]}},
        # Default deny for the whole namespace: opens nothing to anyone.
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "default-deny"},
         "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}},
    ]


def in_scope():
    """SeiNode objects, each in scope for one reason: (what, object)."""
    native = plain_pod("native-sidecar")
    native["spec"]["initContainers"] = [{"name": "sei-sidecar", "image": "ghcr.io/sei-protocol/seictl:v1",
                                         "restartPolicy": "Always"}]
    out = []
    for f in ("seinode-pod-legacy", "seinode-pod-split", "seinode-pod-needs-injection"):
        out.append((f"the fixture {f}", seinode_pod(f, f)))
    out += [
        ("a pod whose only sei-sidecar is a native sidecar", native),
        ("a Deployment whose template carries sei.io/node",
         workload("Deployment", "sei-deploy", plain_pod("t", labels={"sei.io/node": "pacific-1-rpc-0"}))),
        ("a Service owned by a SeiNode",
         {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "owned", "ownerReferences": [SEINODE_OWNER]},
          "spec": {"clusterIP": "None", "ports": [{"name": "api", "port": 8443}]}}),
        ("a NetworkPolicy that selects sei.io/node",
         {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "seinode-ingress"},
          "spec": {"podSelector": {"matchExpressions": [{"key": "sei.io/node", "operator": "Exists"}]},
                   "ingress": [{"ports": [{"port": 26656}]}]}}),
    ]
    return out


def open_namespace(cluster, ns):
    cluster.ok("create", "namespace", ns)
    cluster.kubectl("-n", ns, "create", "serviceaccount", "default")  # unless its controller was first


def create(cluster, obj, *flags):
    return cluster.kubectl("-n", NS, "create", *flags, "-f", "-", input=obj, timeout=120)


class WhileSeiguardIsDown(unittest.TestCase):
    """Every webhook fails closed and no server answers."""

    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("--no-webhook", "--failure-policy", "Fail")
        open_namespace(cls.c, NS)

    @classmethod
    def tearDownClass(cls):
        cls.c.down()

    def test_an_ordinary_teams_objects_and_edits_go_through(self):
        for obj in out_of_scope():
            code, _, err = create(self.c, obj)
            self.assertEqual(code, 0, f"{obj['kind']} {obj['metadata']['name']}: {err}")
        code, _, err = self.c.kubectl("-n", NS, "label", "pod", "web", "tier=frontend")
        self.assertEqual(code, 0, f"a Pod UPDATE: {err}")
        # The pods the controllers make from them are created too.
        deadline = time.monotonic() + 60
        while True:
            names = self.c.ok("-n", NS, "get", "pods", "-o", "name").split()
            made = {p for p in names if p.startswith(("pod/web-deploy-", "pod/web-sts-", "pod/once-"))}
            if len(made) >= 3:
                break
            self.assertLess(time.monotonic(), deadline, f"controllers made {names}")
            time.sleep(0.5)

    def test_every_seinode_object_fails_with_the_webhook_failure(self):
        for what, obj in in_scope():
            with self.subTest(what):
                code, _, err = create(self.c, obj)
                self.assertNotEqual(code, 0)
                self.assertRegex(err, WEBHOOK_FAILED)
                self.assertIn("connection refused", err)

    def test_an_update_that_removes_the_node_label_fails_with_the_webhook_failure(self):
        pod = plain_pod("labelled", labels={"sei.io/node": "pacific-1-rpc-0"})
        self.store_past_the_webhooks(pod)
        code, _, err = self.c.kubectl("-n", NS, "label", "pod", "labelled", "sei.io/node-")
        self.assertNotEqual(code, 0)
        self.assertRegex(err, WEBHOOK_FAILED)
        self.assertEqual(self.c.get("pod", "labelled", NS)["metadata"]["labels"], {"sei.io/node": "pacific-1-rpc-0"})
        # An edit of the same pod that keeps it a SeiNode pod fails too;
        # nothing about it reaches an ordinary team's pod.
        code, _, err = self.c.kubectl("-n", NS, "annotate", "pod", "labelled", "note=x")
        self.assertRegex(err, WEBHOOK_FAILED)

    def test_hostile_shapes_get_the_api_servers_own_answer(self):
        bodies = [  # (resource, body, created)
            ("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "nulls", "labels": None},
                      "spec": {"containers": [NGINX], "initContainers": None}}, True),
            ("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "empty"},
                      "spec": {"containers": [], "initContainers": []}}, False),
            ("pods", {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [NGINX]}}, False),
            ("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "nospec"}}, False),
            ("services", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "nospec"}}, False),
            ("networkpolicies", {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                                 "metadata": {"name": "empty-selectors"},
                                 "spec": {"podSelector": {"matchLabels": {}, "matchExpressions": []}}}, True),
        ]
        workloads = [
            ("cronjobs", {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nojobtemplate"},
                          "spec": {"schedule": "* * * * *"}}, False),
            ("deployments", {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "nospec"}}, False),
        ]
        for resource, body, created in bodies + workloads:
            group = body["apiVersion"].rpartition("/")[0]
            base = f"/apis/{body['apiVersion']}" if group else "/api/v1"
            path = self.c.write(f"hostile-{resource}-{len(json.dumps(body))}", body)
            code, out, err = self.c.kubectl("create", "--raw", f"{base}/namespaces/{NS}/{resource}", "-f", path)
            with self.subTest(body=json.dumps(body)):
                self.assertNotIn("webhook", err)
                self.assertNotIn("condition", err.lower())
                if created:
                    self.assertEqual(code, 0, err)
                else:
                    self.assertNotEqual(code, 0)
                    self.assertRegex(err, r"is invalid|Required value|BadRequest|Invalid")

    def store_past_the_webhooks(self, obj):
        """Stores an in-scope object while the configurations are away (no
        server can answer), then registers them again and waits until the
        API server fails a SeiNode object with them once more."""
        c = self.c
        c.ok("delete", "validatingwebhookconfiguration,mutatingwebhookconfiguration", "seiguard")
        deadline = time.monotonic() + 30
        while create(c, obj)[0] != 0:
            self.assertLess(time.monotonic(), deadline, "the API server kept the deleted configurations")
            time.sleep(0.2)
        c.ok("apply", "-f", os.path.join(c.dir, "webhooks.yaml"))
        probe = plain_pod("probe", labels={"sei.io/node": "x"})
        while not WEBHOOK_FAILED.search(create(c, probe, "--dry-run=server")[2]):
            self.assertLess(time.monotonic(), deadline, "the API server did not take the configurations back")
            time.sleep(0.2)


def webhook_calls(cluster):
    """The API server's own count of its calls to each seiguard webhook."""
    seen = cluster.webhook_admissions()
    return {name: seen.get(name, {}).get("count", 0.0) for name in ("validate.seiguard.sei.io",
                                                                     "mutate.seiguard.sei.io")}


class WhileSeiguardIsUp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster()
        open_namespace(cls.c, NS)

    @classmethod
    def tearDownClass(cls):
        cls.c.down()

    def test_out_of_scope_objects_cost_no_call_and_seinode_objects_do(self):
        before = webhook_calls(self.c), self.c.seiguard_requests()
        for i in range(20):
            code, _, err = create(self.c, plain_pod(f"batch-{i}"))
            self.assertEqual(code, 0, err)
        for obj in out_of_scope():
            code, _, err = create(self.c, named(obj, obj["metadata"]["name"] + "-up"))
            self.assertEqual(code, 0, err)
        self.c.ok("-n", NS, "label", "pod", "batch-0", "tier=frontend")
        deadline = time.monotonic() + 60
        while len([p for p in self.c.ok("-n", NS, "get", "pods", "-o", "name").split()
                   if p.startswith(("pod/web-deploy-up-", "pod/web-sts-up-"))]) < 2:
            self.assertLess(time.monotonic(), deadline, "the controllers made no pods")
            time.sleep(0.5)
        after = webhook_calls(self.c), self.c.seiguard_requests()
        self.assertEqual(after, before, "an out-of-scope object reached seiguard")

        code, _, err = create(self.c, seinode_pod("seinode-pod-split", "split"))
        self.assertEqual(code, 0, err)
        service = {"apiVersion": "v1", "kind": "Service",
                   "metadata": {"name": "seinode", "labels": {"sei.io/node": "pacific-1-rpc-0"}},
                   "spec": {"clusterIP": "None", "ports": [{"name": "api", "port": 8443},
                                                           {"name": "public", "port": 9100}]}}
        code, _, err = create(self.c, service)
        self.assertEqual(code, 0, err)
        calls, requests = webhook_calls(self.c), self.c.seiguard_requests()
        self.assertEqual(calls["mutate.seiguard.sei.io"] - before[0]["mutate.seiguard.sei.io"], 1)
        self.assertEqual(calls["validate.seiguard.sei.io"] - before[0]["validate.seiguard.sei.io"], 2)
        self.assertEqual(requests - before[1], 3)


    def test_the_reach_probe_of_every_kind_is_valid_and_reaches_seiguard(self):
        """scripts/cluster.sh waits on a probe of the first kind a policy
        judges (tests/cluster/reach.py): each shape must be an object the
        API server takes and sends to seiguard."""
        with open(os.path.join(self.c.dir, "policy.json")) as f:
            policy = json.load(f)
        for kind in reach.ORDER:
            with self.subTest(kind):
                probe = reach.probe_object(dict(policy, scope=dict(policy["scope"], kinds=[kind])), NS)
                self.assertEqual(probe["kind"], kind)
                before = self.c.seiguard_requests()
                code, _, err = create(self.c, probe, "--dry-run=server")
                self.assertTrue(code == 0 or re.search(r'admission webhook "\w+\.seiguard\.sei\.io" denied', err), err)
                self.assertGreater(self.c.seiguard_requests(), before)


class ACustomScope(unittest.TestCase):
    """`up --policy-file` with another label key, sidecar name, kinds and an
    exempt namespace comes up (its reach probe follows the policy) and is
    registered with conditions of its own."""

    @classmethod
    def setUpClass(cls):
        cls.policy = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
        cls.policy.write("nodeLabel: example.com/chain-node\nsidecar: {containerName: node-sidecar}\n"
                         "scope: {kinds: [Pod, Service]}\nexemptNamespaces: [lab]\n")
        cls.policy.close()
        cls.c = Cluster("--policy-file", cls.policy.name)
        for ns in (NS, "lab"):
            open_namespace(cls.c, ns)

    @classmethod
    def tearDownClass(cls):
        cls.c.down()
        os.unlink(cls.policy.name)

    def legacy(self, name):
        pod = seinode_pod("seinode-pod-legacy", name)
        pod["metadata"]["labels"].pop("sei.io/node")
        for c in pod["spec"]["initContainers"]:
            if c["name"] == "sei-sidecar":
                c["name"] = "node-sidecar"
        return pod

    def test_the_registered_conditions_are_the_policys(self):
        for kind in ("validatingwebhookconfiguration", "mutatingwebhookconfiguration"):
            (hook,) = json.loads(self.c.ok("get", kind, "seiguard", "-o", "json"))["webhooks"]
            (condition,) = hook["matchConditions"]
            self.assertIn("'example.com/chain-node'", condition["expression"])
            self.assertIn("'node-sidecar'", condition["expression"])
            self.assertNotIn("sei.io/node", condition["expression"])
            self.assertIn("lab", hook["namespaceSelector"]["matchExpressions"][0]["values"])
        (validate,) = json.loads(self.c.ok("get", "validatingwebhookconfiguration", "seiguard", "-o", "json"))[
            "webhooks"]
        self.assertEqual(sorted(r for rule in validate["rules"] for r in rule["resources"]), ["pods", "services"])

    def test_what_the_policy_judges_reaches_seiguard_and_nothing_else(self):
        before = webhook_calls(self.c), self.c.seiguard_requests()
        # The default scope's marks mean nothing to this policy.
        code, _, err = create(self.c, plain_pod("default-label", labels={"sei.io/node": "n"}))
        self.assertEqual(code, 0, err)
        # Deployments are not judged (the pods they make would be: none here).
        code, _, err = create(self.c, workload("Deployment", "d", plain_pod("t", labels={"example.com/chain-node": "n"}),
                                               replicas=0))
        self.assertEqual(code, 0, err)
        code, _, err = self.c.kubectl("-n", "lab", "create", "-f", "-", input=self.legacy("exempt"))
        self.assertEqual(code, 0, err)  # an exempt namespace
        self.assertEqual((webhook_calls(self.c), self.c.seiguard_requests()), before)
        code, _, err = create(self.c, self.legacy("legacy"))
        self.assertNotEqual(code, 0)
        self.assertRegex(err, r'admission webhook "(mutate|validate)\.seiguard\.sei\.io" denied the request')
        self.assertIn("[proxy-ignore-paths] spec.initContainers[2].args[3] (container kube-rbac-proxy)", err)
        self.assertIn("label example.com/chain-node is missing", err)


if __name__ == "__main__":
    unittest.main()
