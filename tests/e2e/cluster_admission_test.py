"""seiguard through a real kube-apiserver and the real kubectl.

One control plane (scripts/cluster.sh up: etcd, kube-apiserver with RBAC and
its default admission plugins, kube-controller-manager, seiguard registered as
manifests/base ships it) serves every test here; each test works in a
namespace of its own.
"""
import json
import os
import re
import subprocess
import tempfile
import time
import unittest

from cluster_harness import CLUSTER_SH, Cluster, verdict
from seiguard_e2e import SOURCE, fixture, run

CERTS_SH = os.path.join(SOURCE, "certs", "gen-certs.sh")


def pod_of(name, **meta):
    """A fixture's pod as a person would apply it: no server-set fields, no owner."""
    obj = json.loads(fixture(name))["request"]["object"]
    m = obj["metadata"]
    for k in ("generateName", "namespace", "creationTimestamp", "ownerReferences", "managedFields", "uid"):
        m.pop(k, None)
    obj.pop("status", None)
    m.update(meta)
    return obj


def workload(kind, name, pod, replicas=1):
    """A StatefulSet or Deployment whose template is `pod`'s."""
    labels = {"app": name}
    template = {"metadata": {"labels": dict(pod["metadata"].get("labels", {}), **labels)}, "spec": pod["spec"]}
    spec = {"replicas": replicas, "selector": {"matchLabels": labels}, "template": template}
    if kind == "StatefulSet":
        spec["serviceName"] = name
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name}, "spec": spec}


def findings_of(obj, mutate=False):
    """The lines seiguard's answer names for a CREATE of obj: (rule, text)."""
    group = obj["apiVersion"].rpartition("/")[0]
    review = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "1", "kind": {"group": group, "version": "v1", "kind": obj["kind"]},
        "resource": {"group": group, "version": "v1", "resource": obj["kind"].lower() + "s"},
        "namespace": "n", "operation": "CREATE", "userInfo": {"username": "u"}, "object": obj}}
    code, out, err = run(["review"] + (["--mutate"] if mutate else []), json.dumps(review).encode())
    assert code == 0, err
    return json.loads(out)["response"]


class ThroughTheApiServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster()
        cls.tmp = tempfile.mkdtemp()

    @classmethod
    def tearDownClass(cls):
        cls.c.down()

    def namespace(self):
        ns = re.sub(r"[^a-z0-9-]", "-", self._testMethodName.lower())[:50].strip("-")
        self.c.ok("create", "namespace", ns)
        self.c.ok("-n", ns, "create", "serviceaccount", "seid-node")
        return ns

    def apply(self, ns, obj, *extra):
        return self.c.kubectl("-n", ns, "apply", *extra, "-f", "-", input=obj)

    def test_up_printed_the_kubeconfig_export_last(self):
        self.assertEqual(self.c.up_output.strip().splitlines()[-1], f"export KUBECONFIG={self.c.kubeconfig}")

    def test_the_legacy_pod_and_workloads_are_denied_with_every_finding_and_its_fix(self):
        ns = self.namespace()
        legacy = pod_of("seinode-pod-legacy")
        response = findings_of(legacy, mutate=True)
        lines = [line for line in response["status"]["message"].split("\n") if line]
        self.assertGreaterEqual(len(lines), 5)
        code, _, err = self.apply(ns, legacy)
        self.assertNotEqual(code, 0)
        self.assertIn('admission webhook "mutate.seiguard.sei.io" denied the request', err)
        for line in lines:
            self.assertIn(line, err)  # each finding, with its fix ("point it at the public port 9100")
        for kind in ("StatefulSet", "Deployment"):
            obj = workload(kind, "pacific-1-val-0", legacy)
            code, _, err = self.apply(ns, obj)
            self.assertNotEqual(code, 0, kind)
            self.assertIn('admission webhook "validate.seiguard.sei.io" denied the request', err)
            self.assertIn("[proxy-ignore-paths] spec.template.spec.initContainers[2].args[3]", err)
            self.assertIn("remove it", err)
            self.assertIn("[probe-on-proxy-port]", err)
            self.assertIn("point it at the public port 9100", err)
        self.assertEqual(self.c.ok("-n", ns, "get", "pods,statefulsets,deployments", "-o", "name"), "")

    def owner(self, ns, name):
        """A real StatefulSet named `name` with no replicas: an owner that the
        garbage collector finds."""
        obj = workload("StatefulSet", name, pod_of("seinode-pod-split"), replicas=0)
        code, _, err = self.apply(ns, obj)
        self.assertEqual(code, 0, err)
        sts = self.c.get("statefulset", name, ns)
        return {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": name, "uid": sts["metadata"]["uid"],
                "controller": True, "blockOwnerDeletion": True}

    def test_the_needs_injection_pod_gets_its_port_env_and_label_and_a_second_apply_changes_nothing(self):
        ns = self.namespace()
        pod = pod_of("seinode-pod-needs-injection")
        pod["metadata"]["ownerReferences"] = [self.owner(ns, "pacific-1-val-0")]
        code, out, err = self.apply(ns, pod)
        self.assertEqual(code, 0, err)
        got = self.c.get("pod", pod["metadata"]["name"], ns)
        self.assertEqual(got["metadata"]["labels"]["sei.io/node"], "pacific-1-val-0")
        sidecar = next(c for c in got["spec"]["initContainers"] if c["name"] == "sei-sidecar")
        self.assertIn({"name": "public", "containerPort": 9100, "protocol": "TCP"}, sidecar["ports"])
        self.assertIn({"name": "SEI_SIDECAR_PUBLIC_PORT", "value": "9100"}, sidecar["env"])
        code, out, err = self.apply(ns, pod)
        self.assertEqual(code, 0, err)
        # kubectl sends a patch from its last applied configuration; what
        # the pod holds stays as it was: /mutate adds nothing the second time.
        again = self.c.get("pod", pod["metadata"]["name"], ns)
        self.assertEqual(again["spec"], got["spec"])
        self.assertEqual(again["metadata"]["labels"], got["metadata"]["labels"])
        # Nothing is even written: with its label declared (the owner above
        # makes the pod's resourceVersion move on its own, as the
        # StatefulSet controller releases a pod its selector does not
        # match), the second apply is a no-op the API server stores nothing
        # for. kubectl still says "configured": its patch lists the order of
        # the env and ports, which hold what /mutate added.
        declared = pod_of("seinode-pod-needs-injection")
        declared["metadata"].pop("ownerReferences", None)
        declared["metadata"]["name"] += "-declared"
        declared["metadata"]["labels"]["sei.io/node"] = "pacific-1-val-0"
        self.assertEqual(self.apply(ns, declared)[0], 0)
        first = self.c.get("pod", declared["metadata"]["name"], ns)
        self.assertEqual(self.apply(ns, declared)[0], 0)
        second = self.c.get("pod", declared["metadata"]["name"], ns)
        self.assertEqual(second["metadata"]["resourceVersion"], first["metadata"]["resourceVersion"])
        self.assertIn({"name": "SEI_SIDECAR_PUBLIC_PORT", "value": "9100"},
                      next(c for c in second["spec"]["initContainers"] if c["name"] == "sei-sidecar")["env"])

    def test_pods_the_statefulset_controller_makes_get_the_label_from_their_owner(self):
        ns = self.namespace()
        template = pod_of("seinode-pod-split")
        del template["metadata"]["labels"]["sei.io/node"]
        sts = workload("StatefulSet", "atlantic-2-rpc-0", template, replicas=2)
        sts["spec"]["podManagementPolicy"] = "Parallel"  # no kubelet: pod 0 never gets Ready
        code, _, err = self.apply(ns, sts)
        self.assertEqual(code, 0, err)
        self.assertIn("Warning: [node-label]", err)  # the template lacks it; the pods get it
        deadline = time.monotonic() + 60
        pods = []
        while time.monotonic() < deadline and len(pods) < 2:
            pods = json.loads(self.c.ok("-n", ns, "get", "pods", "-o", "json"))["items"]
            time.sleep(0.5)
        self.assertEqual(len(pods), 2, self.c.logs())
        for p in pods:
            refs = p["metadata"]["ownerReferences"]
            self.assertEqual([(r["kind"], r["name"], r["controller"]) for r in refs],
                             [("StatefulSet", "atlantic-2-rpc-0", True)])
            self.assertEqual(p["metadata"]["labels"]["sei.io/node"], "atlantic-2-rpc-0")
        name = pods[0]["metadata"]["name"]
        code, _, err = self.c.kubectl("-n", ns, "label", "pod", name, "sei.io/node-")
        self.assertNotEqual(code, 0)
        self.assertIn('admission webhook "validate.seiguard.sei.io" denied the request', err)
        self.assertIn("[node-label-immutable]", err)
        self.assertEqual(self.c.get("pod", name, ns)["metadata"]["labels"]["sei.io/node"], "atlantic-2-rpc-0")

    def pods(self, ns):
        return json.loads(self.c.ok("-n", ns, "get", "pods", "-o", "json"))["items"]

    def wait_for_pods(self, ns, count, seconds=30):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and len(self.pods(ns)) != count:
            time.sleep(0.3)
        return self.pods(ns)

    def test_a_legacy_statefulset_admitted_before_enforcement_replaces_its_pods_once_its_controller_is_trusted(self):
        """seiguard installed on today's fleet: the StatefulSet was admitted in
        audit mode (rollout step 1), enforcement comes with workloadControllers
        trusting the StatefulSet controller (kube-controller-manager runs with
        --use-service-account-credentials, so the pod's CREATE comes from its
        own user). An image bump is ratcheted, a deleted pod is re-created,
        warned and injected; without the trust it is refused and stays gone."""
        ns = self.namespace()
        sts = workload("StatefulSet", "pacific-1-val-0", pod_of("seinode-pod-legacy"), replicas=1)
        sts["spec"]["podManagementPolicy"] = "Parallel"
        # As sei-k8s-controller renders it (tests/data/bases/upstream): the
        # image bump replaces no pod by itself; the test's delete does.
        sts["spec"]["updateStrategy"] = {"type": "OnDelete"}
        trusting = os.path.join(self.tmp, "trusting.yaml")
        with open(trusting, "w") as f:
            f.write('workloadControllers: ["system:serviceaccount:kube-system:statefulset-controller"]\n')
        try:
            self.c.webhook("start", "--policy-file", os.path.join(SOURCE, "manifests", "overlays", "audit", "policy.yaml"))
            code, _, err = self.apply(ns, sts)
            self.assertEqual(code, 0, err)
            self.assertIn("Warning: [proxy-ignore-paths]", err)
            (pod,) = self.wait_for_pods(ns, 1)

            self.c.webhook("start", "--policy-file", trusting)
            bumped = json.loads(json.dumps(sts))
            bumped["spec"]["template"]["spec"]["containers"][0]["image"] = "ghcr.io/sei-protocol/sei:v6.4.0"
            code, _, err = self.apply(ns, bumped)
            self.assertEqual(code, 0, err)
            self.assertIn("Warning: [probe-on-proxy-port] seid: already so before this update:", err)
            self.c.ok("-n", ns, "delete", "pod", pod["metadata"]["name"], "--wait=false")
            deadline = time.monotonic() + 30
            pods = []
            while time.monotonic() < deadline and not any(p["metadata"]["uid"] != pod["metadata"]["uid"] for p in pods):
                pods = self.pods(ns)
                time.sleep(0.3)
            (again,) = [p for p in pods if p["metadata"]["uid"] != pod["metadata"]["uid"]]
            self.assertEqual(again["spec"]["containers"][0]["image"], "ghcr.io/sei-protocol/sei:v6.4.0")
            sidecar = next(c for c in again["spec"]["initContainers"] if c["name"] == "sei-sidecar")
            self.assertIn(9100, [p["containerPort"] for p in sidecar.get("ports", [])])
            self.assertEqual(again["metadata"]["labels"]["sei.io/node"], "pacific-1-val-0")

            self.c.webhook("start")
            self.c.ok("-n", ns, "delete", "pod", again["metadata"]["name"], "--wait=false")
            deadline = time.monotonic() + 30
            events = ""
            while time.monotonic() < deadline and "[proxy-ignore-paths]" not in events:
                events = self.c.ok("-n", ns, "get", "events", "--field-selector", "reason=FailedCreate", "-o", "json")
                time.sleep(0.3)
            self.assertIn("seiguard.sei.io\\\" denied the request", events)
            self.assertEqual(self.pods(ns), [])
        finally:
            self.c.webhook("start")

    def test_warn_mode_rules_are_kubectl_warnings_that_keep_their_fix(self):
        ns = self.namespace()
        template = pod_of("seinode-pod-needs-injection")
        sts = workload("StatefulSet", "pacific-1-val-0", template, replicas=0)
        expected = findings_of(sts)["warnings"]
        self.assertTrue(expected)
        code, _, err = self.apply(ns, sts)
        self.assertEqual(code, 0, err)
        for w in expected:
            self.assertIn("Warning: " + w, err)
        self.assertIn("Warning: [sidecar-public-port] sei-sidecar: no containerPort 9100 named public; "
                      "added when the pod is admitted", err)

    def test_an_allow_all_networkpolicy_is_warned_about_and_the_platform_template_is_not(self):
        ns = self.namespace()
        allow_all = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                     "metadata": {"name": "allow-all"},
                     "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{}]}}
        code, _, err = self.apply(ns, allow_all)
        self.assertEqual(code, 0, err)
        self.assertIn("Warning: [proxy-port-reach]", err)
        self.assertIn(":8443 to the controller and task clients", err)
        self.assertIn("Warning: [public-port-reach]", err)
        code, out, err = self.c.kubectl("apply", "-k", os.path.join(SOURCE, "manifests", "platform"))
        self.assertEqual(code, 0, err)
        self.assertNotIn("Warning:", err)
        self.assertIn("networkpolicy", out)

    def test_every_shipped_overlay_passes_a_server_side_dry_run(self):
        # cert-manager's CRDs come from no package registry here: stand-ins
        # of ours (group, kinds, any schema) let the API server take the
        # overlays that use them; their objects' fields are not checked.
        stand_ins = []
        for kind, plural in (("Certificate", "certificates"), ("Issuer", "issuers")):
            stand_ins.append({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                              "metadata": {"name": f"{plural}.cert-manager.io"},
                              "spec": {"group": "cert-manager.io", "scope": "Namespaced",
                                       "names": {"kind": kind, "plural": plural, "singular": kind.lower()},
                                       "versions": [{"name": "v1", "served": True, "storage": True,
                                                     "schema": {"openAPIV3Schema": {
                                                         "type": "object",
                                                         "x-kubernetes-preserve-unknown-fields": True}}}]}})
        self.c.ok("apply", "-f", "-", input={"apiVersion": "v1", "kind": "List", "items": stand_ins})
        self.c.ok("wait", "--for=condition=Established", "crd/certificates.cert-manager.io", "crd/issuers.cert-manager.io")
        # A dry run creates no namespace for the objects after it.
        self.c.kubectl("create", "namespace", "seiguard-system", "--save-config")
        overlays = os.path.join(SOURCE, "manifests", "overlays")
        self_managed = os.path.join(overlays, "self-managed")
        made = not os.path.exists(os.path.join(self_managed, "ca-bundle.yaml"))
        subprocess.run(["bash", os.path.join(SOURCE, "certs", "self-managed.sh"), self_managed],
                       check=True, capture_output=True, timeout=60)
        try:
            for overlay in sorted(os.listdir(overlays)) + ["../base", "../platform"]:
                code, out, err = self.c.kubectl("apply", "--dry-run=server", "-k", os.path.join(overlays, overlay))
                self.assertEqual(code, 0, f"{overlay}: {err}")
                self.assertNotIn("Warning:", err, overlay)
        finally:
            if made:
                subprocess.run(["rm", "-rf", os.path.join(self_managed, "ca-bundle.yaml"),
                                os.path.join(self_managed, "certs")])

    def test_the_serving_certificate_rotates_under_load_with_no_failed_request(self):
        ns = self.namespace()
        split = pod_of("seinode-pod-split")
        failures, created = [], 0
        rotated_at = None
        start = time.monotonic()
        serial_before = subprocess.run(["openssl", "x509", "-noout", "-serial", "-in",
                                        os.path.join(self.c.dir, "certs", "tls.crt")],
                                       capture_output=True, text=True).stdout
        while time.monotonic() - start < 12:
            if rotated_at is None and time.monotonic() - start > 3:
                subprocess.run(["bash", CERTS_SH, os.path.join(self.c.dir, "certs")], check=True,
                               capture_output=True, timeout=30)
                rotated_at = created
            split["metadata"]["name"] = f"rotate-{created}"
            code, _, err = self.apply(ns, split)
            if code != 0:
                failures.append(err)
            created += 1
        serial_after = subprocess.run(["openssl", "x509", "-noout", "-serial", "-in",
                                       os.path.join(self.c.dir, "certs", "tls.crt")],
                                      capture_output=True, text=True).stdout
        self.assertNotEqual(serial_before, serial_after)
        self.assertEqual([], failures)
        self.assertGreater(created - (rotated_at or created), 5, "too few requests after the rotation")
        # seiguard now serves the new certificate.
        port = self.c.ports["webhook"]
        served = subprocess.run(f"openssl s_client -connect 127.0.0.1:{port} </dev/null 2>/dev/null | "
                                "openssl x509 -noout -serial", shell=True, capture_output=True, text=True).stdout
        self.assertEqual(served, serial_after)


if __name__ == "__main__":
    unittest.main()
