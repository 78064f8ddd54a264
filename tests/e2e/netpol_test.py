"""`seiguard check` over a set of objects: SeiNode pods judged against every
NetworkPolicy (and Namespace) of the input, as the reach rules define it.
Each hole of the issue that asked for it leaves :8443 open, and check says
which policy and rule grants it."""
import copy
import json
import os
import shutil
import tempfile
import unittest

import yaml

from seiguard_e2e import fixture, run

PLATFORM = {
    "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
    "metadata": {"name": "seinode-split-listener", "namespace": "pacific-1"},
    "spec": {
        "podSelector": {"matchExpressions": [{"key": "sei.io/node", "operator": "Exists"}]},
        "policyTypes": ["Ingress"],
        "ingress": [
            {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "sei-k8s-controller-system"}},
                       "podSelector": {"matchLabels": {"control-plane": "controller-manager"}}}],
             "ports": [{"port": 8443, "protocol": "TCP"}]},
            {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}},
                      {"ipBlock": {"cidr": "10.0.0.0/16"}}],
             "ports": [{"port": 9100, "protocol": "TCP"}]},
        ]}}


def pod():
    return json.loads(fixture("seinode-pod-split"))["request"]["object"]


def policy(name, ingress, selector=None):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": "pacific-1"},
            "spec": {"podSelector": selector if selector is not None else {}, "ingress": ingress}}


class NetworkCheck(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def check(self, *objects, args=()):
        path = os.path.join(self.tmp, "input.yaml")
        with open(path, "w") as f:
            yaml.safe_dump_all(list(objects), f)
        code, out, err = run(["check", "-o", "json", *args, path])
        self.assertIn(code, (0, 1), err)
        return json.loads(out)

    def reach_findings(self, report, rule="proxy-port-reach", kind="Pod"):
        return [f["message"] for f in report["findings"] if f["rule"] == rule and f["kind"] == kind]

    def test_the_platform_policy_leaves_nothing_open(self):
        report = self.check(pod(), PLATFORM)
        self.assertEqual([f for f in report["findings"] if f["rule"].endswith("-port-reach")], [])

    def test_every_hole_is_found_with_the_policy_and_rule_that_grants_it(self):
        holes = {
            "a rule with from: []": [{"from": [], "ports": [{"port": 8443}]}],
            "a rule with no from": [{"ports": [{"port": 8443}]}],
            "namespaceSelector: {}": [{"from": [{"namespaceSelector": {}}], "ports": [{"port": 8443}]}],
            "an ipBlock of 0.0.0.0/0": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 8443}]}],
            "a rule with no ports": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}]}],
            "the port named api": [{"from": [{"podSelector": {}}], "ports": [{"port": "api"}]}],
        }
        for name, ingress in holes.items():
            with self.subTest(hole=name):
                # A second policy that adds a broad allow: policies are additive.
                report = self.check(pod(), PLATFORM, policy("extra", ingress))
                found = self.reach_findings(report)
                self.assertEqual(len(found), 1, found)
                self.assertTrue(found[0].startswith("NetworkPolicy pacific-1/extra ingress[0] lets "), found[0])
                self.assertIn("reach :8443", found[0])
                # The policy itself is judged too, as the webhook judges it.
                self.assertEqual(len(self.reach_findings(report, kind="NetworkPolicy")), 1, name)
        report = self.check(pod(), PLATFORM, policy("extra", holes["the port named api"]))
        self.assertIn("(port api)", self.reach_findings(report)[0])

    def test_a_namespace_with_no_policy_at_all(self):
        ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "pacific-1"}}
        report = self.check(pod(), ns)
        for rule, port in (("proxy-port-reach", ":8443"), ("public-port-reach", ":9100")):
            (msg,) = self.reach_findings(report, rule)
            self.assertEqual(msg, "no NetworkPolicy selects this pod: every pod in the cluster reaches " + port +
                             "; apply the platform NetworkPolicy (manifests/platform) in namespace pacific-1")

    def test_workloads_alone_are_not_judged_and_the_report_says_so(self):
        report = self.check(pod())
        self.assertEqual([f for f in report["findings"] if f["rule"].endswith("-port-reach")], [])
        self.assertEqual(len(report["notes"]), 1)
        self.assertIn("holds no NetworkPolicy or Namespace", report["notes"][0])
        # Policies of another namespace say nothing of this one.
        other = copy.deepcopy(PLATFORM)
        other["metadata"]["namespace"] = "atlantic-2"
        report = self.check(pod(), other)
        self.assertEqual([f for f in report["findings"] if f["rule"].endswith("-port-reach") and f["kind"] == "Pod"], [])
        self.assertTrue(any("namespace(s) pacific-1" in n for n in report["notes"]), report["notes"])

    def test_namespace_labels_come_from_namespace_objects(self):
        by_team = policy("scrape", [{"from": [{"namespaceSelector": {"matchLabels": {"team": "obs"}}}],
                                     "ports": [{"port": 9100}]}], {"matchLabels": {"sei.io/node": "pacific-1-val-0"}})
        # Without Namespace objects, namespaces carry only their name label,
        # and the report says that is what it assumed.
        report = self.check(pod(), PLATFORM, by_team)
        self.assertEqual(self.reach_findings(report, "public-port-reach"), [])
        self.assertTrue(any("only its kubernetes.io/metadata.name label" in n for n in report["notes"]))
        namespaces = [{"apiVersion": "v1", "kind": "Namespace",
                       "metadata": {"name": n, "labels": {"team": "obs"}}} for n in ("monitoring", "logging")]
        report = self.check(pod(), PLATFORM, by_team, *namespaces)
        (msg,) = self.reach_findings(report, "public-port-reach")
        self.assertIn("NetworkPolicy pacific-1/scrape ingress[0] lets namespace logging", msg)
        self.assertEqual(report["notes"], [])

    def test_a_template_is_judged_like_its_pods(self):
        sts = {"apiVersion": "apps/v1", "kind": "StatefulSet",
               "metadata": {"name": "pacific-1-val-0", "namespace": "pacific-1"},
               "spec": {"template": {"metadata": {"labels": {"sei.io/node": "pacific-1-val-0"}},
                                     "spec": pod()["spec"]}}}
        report = self.check(sts, PLATFORM, policy("extra", [{"from": [{"namespaceSelector": {}}]}]))
        found = self.reach_findings(report, kind="StatefulSet")
        self.assertEqual(len(found), 1, report["findings"])

    def test_the_knobs_come_from_the_policy_file(self):
        path = os.path.join(self.tmp, "policy.yaml")
        with open(path, "w") as f:
            f.write("network:\n  controllerNamespace: sei-system\n  monitoringNamespaces: [observability]\n"
                    "  nodeCIDRs: [10.0.0.0/16]\nrules:\n  proxy-port-reach: deny\n")
        code, out, _ = run(["check", "--policy-file", path, "-o", "json", self.write(pod(), PLATFORM)])
        self.assertEqual(code, 1, "deny makes it a failing finding")
        report = json.loads(out)
        self.assertTrue(any(f["rule"] == "proxy-port-reach" and f["action"] == "deny" for f in report["findings"]))
        self.assertTrue(any(f["rule"] == "public-port-reach" and f["action"] == "warn" for f in report["findings"]))

    def write(self, *objects):
        path = os.path.join(self.tmp, "w.yaml")
        with open(path, "w") as f:
            yaml.safe_dump_all(list(objects), f)
        return path

    def test_a_live_cluster_list_from_stdin(self):
        # What `kubectl get pods,statefulsets,networkpolicies,namespaces -A -o yaml` prints.
        items = [pod(), PLATFORM, policy("extra", [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]),
                 {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "pacific-1"}}]
        listing = yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items})
        code, out, err = run(["check", "-o", "json", "-"], listing.encode())
        self.assertEqual(code, 0, err)
        report = json.loads(out)
        self.assertEqual(report["notes"], [])
        found = self.reach_findings(report)
        self.assertEqual(found[0].split(";")[0],
                         "NetworkPolicy pacific-1/extra ingress[0] lets addresses in 0.0.0.0/0 reach :8443 (every port)")

    def test_a_shortened_warning_still_names_the_port_it_is_about(self):
        """A rule with no from has a long explanation that the 120-byte
        warning cuts: the fix it keeps names :8443 (kubectl printed
        "...; narrow the rule to the controller's pods" and never the port)."""
        from seiguard_e2e import make_review
        hole = policy("extra", [{"ports": [{"port": 8443}]}])
        code, out, err = run(["review"], json.dumps(make_review(hole, "CREATE", None)).encode())
        self.assertEqual(code, 0, err)
        (warning,) = json.loads(out)["response"]["warnings"]
        self.assertTrue(warning.startswith("[proxy-port-reach] "), warning)
        self.assertTrue(warning.endswith("; narrow :8443 to the controller and task clients"), warning)

    def test_the_webhook_warning_says_what_is_open_and_what_to_do(self):
        from seiguard_e2e import make_review
        hole = policy("extra", [{"from": [{"namespaceSelector": {}}], "ports": [{"port": 8443}]}])
        code, out, err = run(["review"], json.dumps(make_review(hole, "CREATE", None)).encode())
        self.assertEqual(code, 0, err)
        response = json.loads(out)["response"]
        self.assertTrue(response["allowed"])
        (warning,) = response["warnings"]
        self.assertLessEqual(len(warning.encode()), 120)
        self.assertTrue(warning.startswith("[proxy-port-reach] ingress[0] lets every namespace reach :8443"), warning)
        self.assertTrue(warning.endswith("; narrow :8443 to the controller and task clients"), warning)
        self.assertEqual(response["auditAnnotations"]["proxy-port-reach"], "warn spec.ingress[0].from[0]")

    def test_the_reach_table(self):
        code, out, err = run(["check", "--reach", self.write(pod(), PLATFORM, policy("extra", [{}]))])
        self.assertEqual(code, 0, err)
        lines = out.decode().splitlines()
        self.assertEqual(lines[0].split()[:2], ["OBJECT", "PORT"])
        self.assertTrue(lines[1].startswith("Pod/pacific-1/pacific-1-val-0-0  :8443"), lines[1])
        wide = [l for l in lines if l.endswith("TOO WIDE")]
        self.assertEqual(len(wide), 2, out)  # the extra rule, on both ports
        self.assertTrue(all("pacific-1/extra ingress[0] (every port)" in l for l in wide))
        code, out, _ = run(["check", "--reach", self.write(pod())])
        self.assertIn(b"not judged", out)


if __name__ == "__main__":
    unittest.main()
