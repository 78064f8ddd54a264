"""Renders every kustomize overlay (kubectl kustomize) and asserts what makes
the webhook safe to run; judges the platform NetworkPolicy with seiguard's own
evaluator: who reaches the proxy and the public listener of a SeiNode pod."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import yaml

from seiguard_e2e import BINARY, SOURCE, fixture

MANIFESTS = os.path.join(SOURCE, "manifests")
EXCLUDED = {"kube-system", "seiguard-system"}


def render(path):
    out = subprocess.run(["kubectl", "kustomize", path], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise AssertionError(f"kubectl kustomize {path}: {out.stderr}")
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def one(docs, kind, name=None):
    found = [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    assert len(found) == 1, f"want one {kind} {name or ''}, found {len(found)}"
    return found[0]


class Overlays(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        copy = os.path.join(cls.tmp, "manifests")
        shutil.copytree(MANIFESTS, copy)
        # The self-managed overlay's documented step, on a copy.
        subprocess.run([os.path.join(SOURCE, "certs", "self-managed.sh"),
                        os.path.join(copy, "overlays", "self-managed")],
                       check=True, capture_output=True, timeout=60)
        cls.rendered = {name: render(os.path.join(copy, "overlays", name))
                        for name in ("cert-manager", "self-managed", "audit")}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def each(self):
        for name, docs in self.rendered.items():
            with self.subTest(overlay=name):
                yield name, docs

    def test_webhook_configurations(self):
        for name, docs in self.each():
            validating = one(docs, "ValidatingWebhookConfiguration")
            mutating = one(docs, "MutatingWebhookConfiguration")
            for config, hook_name in ((validating, "validate.seiguard.sei.io"), (mutating, "mutate.seiguard.sei.io")):
                (hook,) = config["webhooks"]
                self.assertEqual(hook["name"], hook_name)
                self.assertGreaterEqual(hook_name.count("."), 2, "names must be fully qualified")
                self.assertEqual(hook["sideEffects"], "None")
                self.assertEqual(hook["admissionReviewVersions"], ["v1"])
                self.assertEqual(hook["matchPolicy"], "Equivalent")
                self.assertLessEqual(hook["timeoutSeconds"], 5)
                svc = hook["clientConfig"]["service"]
                self.assertEqual((svc["name"], svc["namespace"], svc["port"]), ("seiguard", "seiguard-system", 443))
                (expr,) = hook["namespaceSelector"]["matchExpressions"]
                self.assertEqual((expr["key"], expr["operator"]), ("kubernetes.io/metadata.name", "NotIn"))
                self.assertEqual(set(expr["values"]), EXCLUDED)
                if name == "self-managed":
                    self.assertTrue(hook["clientConfig"]["caBundle"])
                else:
                    self.assertEqual(config["metadata"]["annotations"]["cert-manager.io/inject-ca-from"],
                                     "seiguard-system/seiguard-serving-cert")
            self.assertEqual(validating["webhooks"][0]["failurePolicy"], "Fail")
            self.assertEqual(mutating["webhooks"][0]["failurePolicy"], "Ignore")
            self.assertEqual(mutating["webhooks"][0]["reinvocationPolicy"], "IfNeeded")
            self.assertEqual(validating["webhooks"][0]["clientConfig"]["service"]["path"], "/validate")
            self.assertEqual(mutating["webhooks"][0]["clientConfig"]["service"]["path"], "/mutate")
            # What each side sees.
            covered = {(g, r, op) for rule in validating["webhooks"][0]["rules"]
                       for g in rule["apiGroups"] for r in rule["resources"] for op in rule["operations"]}
            for group, resource in [("", "pods"), ("", "services"), ("apps", "deployments"), ("apps", "statefulsets"),
                                    ("apps", "daemonsets"), ("apps", "replicasets"), ("batch", "jobs"),
                                    ("batch", "cronjobs"), ("networking.k8s.io", "networkpolicies")]:
                for op in ("CREATE", "UPDATE"):
                    self.assertIn((group, resource, op), covered)
            for config in (validating, mutating):
                (condition,) = config["webhooks"][0]["matchConditions"]
                self.assertEqual(condition["name"], "seinode-object")
            (mrule,) = mutating["webhooks"][0]["rules"]
            self.assertEqual((mrule["apiGroups"], mrule["resources"], mrule["operations"]), ([""], ["pods"], ["CREATE"]))

    def test_deployment_is_highly_available_restricted_and_probed_on_the_plain_port(self):
        for name, docs in self.each():
            dep = one(docs, "Deployment", "seiguard")
            self.assertEqual(dep["metadata"]["namespace"], "seiguard-system")
            self.assertGreaterEqual(dep["spec"]["replicas"], 2)
            pod = dep["spec"]["template"]["spec"]
            self.assertFalse(pod["automountServiceAccountToken"])
            self.assertTrue(any(c["topologyKey"] == "kubernetes.io/hostname" for c in pod["topologySpreadConstraints"]))
            psc = pod["securityContext"]
            self.assertTrue(psc["runAsNonRoot"])
            self.assertEqual(psc["seccompProfile"]["type"], "RuntimeDefault")
            (c,) = pod["containers"]
            sc = c["securityContext"]
            self.assertFalse(sc["allowPrivilegeEscalation"])
            self.assertTrue(sc["readOnlyRootFilesystem"])
            self.assertEqual(sc["capabilities"]["drop"], ["ALL"])
            self.assertTrue(c["resources"]["requests"] and c["resources"]["limits"])
            ports = {p["name"]: p["containerPort"] for p in c["ports"]}
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                port = c[probe]["httpGet"]["port"]
                self.assertEqual(ports.get(port, port), 8080, probe)
            for m in c["volumeMounts"]:
                self.assertNotIn("subPath", m, "a subPath mount never sees a rotated Secret")
            volumes = {v["name"]: v for v in pod["volumes"]}
            tls_mount = next(m for m in c["volumeMounts"] if m["name"] == "tls")
            self.assertEqual(volumes["tls"]["secret"]["secretName"], "seiguard-tls")
            args = c["args"]
            self.assertIn(f"--tls-cert-file={tls_mount['mountPath']}/tls.crt", args)
            policy_cm = volumes["policy"]["configMap"]["name"]
            one(docs, "ConfigMap", policy_cm)  # the generated name resolves
            sa = one(docs, "ServiceAccount", pod["serviceAccountName"])
            self.assertFalse(sa["automountServiceAccountToken"])

    def test_pdb_service_and_own_network_policy(self):
        for name, docs in self.each():
            pdb = one(docs, "PodDisruptionBudget", "seiguard")
            self.assertGreaterEqual(pdb["spec"]["minAvailable"], 1)
            svc = one(docs, "Service", "seiguard")
            self.assertIn({"name": "webhook", "port": 443, "targetPort": "webhook", "protocol": "TCP"}, svc["spec"]["ports"])
            self.assertTrue(any(p["port"] == 8080 for p in svc["spec"]["ports"]))
            np = one(docs, "NetworkPolicy", "seiguard")
            by_port = {r["ports"][0]["port"]: r for r in np["spec"]["ingress"]}
            self.assertNotIn("from", by_port[9443])  # the API server's addresses vary
            self.assertEqual(by_port[8080]["from"], [{"namespaceSelector": {"matchLabels": {
                "kubernetes.io/metadata.name": "monitoring"}}}])
            ns = one(docs, "Namespace", "seiguard-system")
            self.assertEqual(ns["metadata"]["labels"]["kubernetes.io/metadata.name"], "seiguard-system")

    def test_certificates(self):
        docs = self.rendered["cert-manager"]
        cert = one(docs, "Certificate", "seiguard-serving-cert")
        self.assertEqual(cert["spec"]["secretName"], "seiguard-tls")
        self.assertIn("seiguard.seiguard-system.svc", cert["spec"]["dnsNames"])
        secret = one(self.rendered["self-managed"], "Secret", "seiguard-tls")
        self.assertEqual(secret["type"], "kubernetes.io/tls")

    def test_audit_overlay_puts_every_rule_in_warn_mode(self):
        docs = self.rendered["audit"]
        (cm,) = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("seiguard-policy")]
        policy = yaml.safe_load(cm["data"]["policy.yaml"])
        out = subprocess.run([BINARY, "rules", "-o", "json"],
                             capture_output=True, text=True, check=True).stdout
        import json
        self.assertEqual(policy["rules"], {r["name"]: "warn" for r in json.loads(out)})

    def test_network_policy_ports_have_only_schema_fields(self):
        docs = [d for docs in self.rendered.values() for d in docs] + render(os.path.join(MANIFESTS, "platform"))
        for d in docs:
            if d["kind"] != "NetworkPolicy":
                continue
            for rule in d["spec"].get("ingress", []):
                for p in rule.get("ports", []):
                    self.assertLessEqual(set(p), {"port", "protocol", "endPort"}, d["metadata"]["name"])


# -- the platform policy, evaluated ------------------------------------------

class Backstop(unittest.TestCase):
    """The ValidatingAdmissionPolicy overlays (issue: the in-tree backstop)."""

    def test_committed_backstop_is_what_seiguard_vap_prints_now(self):
        out = subprocess.run([BINARY, "vap", "--policy-file", "manifests/base/policy.yaml"],
                             cwd=SOURCE, capture_output=True, check=True, timeout=30).stdout
        with open(os.path.join(MANIFESTS, "overlays", "backstop", "backstop.yaml"), "rb") as f:
            committed = f.read()
        self.assertEqual(committed.decode(), out.decode(),
                         "manifests/overlays/backstop/backstop.yaml is stale: run `make generate`")

    def test_backstop_renders_policies_that_match_the_webhook(self):
        docs = render(os.path.join(MANIFESTS, "overlays", "backstop"))
        self.assertEqual(sorted(d["kind"] for d in docs), ["ValidatingAdmissionPolicy"] * 2 +
                         ["ValidatingAdmissionPolicyBinding"] * 2)
        deny = one(docs, "ValidatingAdmissionPolicy", "seiguard-backstop-deny")
        warn = one(docs, "ValidatingAdmissionPolicy", "seiguard-backstop-warn")
        self.assertEqual(deny["spec"]["failurePolicy"], "Fail")
        self.assertEqual(warn["spec"]["failurePolicy"], "Ignore")
        self.assertEqual(one(docs, "ValidatingAdmissionPolicyBinding", "seiguard-backstop-deny")["spec"],
                         {"policyName": "seiguard-backstop-deny", "validationActions": ["Deny"]})
        self.assertEqual(one(docs, "ValidatingAdmissionPolicyBinding", "seiguard-backstop-warn")["spec"],
                         {"policyName": "seiguard-backstop-warn", "validationActions": ["Warn", "Audit"]})
        with open(os.path.join(MANIFESTS, "base", "webhooks.yaml")) as f:
            (validating,) = [d for d in yaml.safe_load_all(f) if d["kind"] == "ValidatingWebhookConfiguration"]
        hook = validating["webhooks"][0]
        webhook_resources = {(g, r) for rule in hook["rules"] for g in rule["apiGroups"] for r in rule["resources"]}
        for policy in (deny, warn):
            constraints = policy["spec"]["matchConstraints"]
            # The same namespaces left out as the webhook, the same resources judged.
            self.assertEqual(constraints["namespaceSelector"], hook["namespaceSelector"])
            self.assertEqual(set(constraints["namespaceSelector"]["matchExpressions"][0]["values"]), EXCLUDED)
            self.assertEqual({(g, r) for rule in constraints["resourceRules"] for g in rule["apiGroups"]
                              for r in rule["resources"]}, webhook_resources)
            self.assertEqual([c["name"] for c in policy["spec"]["matchConditions"]], ["seinode-object"])
            # One scope: the webhooks are called for exactly what the backstop judges.
            self.assertEqual(policy["spec"]["matchConditions"], hook["matchConditions"])

    def test_fail_open_overlay_pairs_an_ignoring_webhook_with_the_fail_closed_policy(self):
        docs = render(os.path.join(MANIFESTS, "overlays", "backstop-fail-open"))
        self.assertEqual(one(docs, "ValidatingWebhookConfiguration")["webhooks"][0]["failurePolicy"], "Ignore")
        self.assertEqual(one(docs, "ValidatingAdmissionPolicy", "seiguard-backstop-deny")["spec"]["failurePolicy"],
                         "Fail")
        one(docs, "Deployment", "seiguard")

    def test_in_tree_overlay_holds_the_policies_and_nothing_to_run(self):
        docs = render(os.path.join(MANIFESTS, "overlays", "in-tree"))
        self.assertEqual(sorted(d["kind"] for d in docs),
                         ["MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding"]
                         + ["ValidatingAdmissionPolicy"] * 2 + ["ValidatingAdmissionPolicyBinding"] * 2)
        # Its validating policies are the backstop's, object for object.
        backstop = render(os.path.join(MANIFESTS, "overlays", "backstop"))
        self.assertEqual([d for d in docs if d["kind"].startswith("Validating")], backstop)
        mutating = one(docs, "MutatingAdmissionPolicy", "seiguard-inject")
        deny = one(backstop, "ValidatingAdmissionPolicy", "seiguard-backstop-deny")
        spec = mutating["spec"]
        self.assertEqual((spec["failurePolicy"], spec["reinvocationPolicy"]), ("Ignore", "IfNeeded"))
        # The Pod branch of the backstop's condition, then the skip of pods
        # that carry everything already.
        self.assertEqual([c["name"] for c in spec["matchConditions"]], ["seinode-object", "seinode-needs-mutation"])
        self.assertIn(spec["matchConditions"][0]["expression"].replace("object.", "t."),
                      deny["spec"]["matchConditions"][0]["expression"])
        self.assertEqual(spec["matchConstraints"]["namespaceSelector"],
                         deny["spec"]["matchConstraints"]["namespaceSelector"])
        self.assertEqual(spec["matchConstraints"]["resourceRules"],
                         [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"],
                           "resources": ["pods"], "scope": "Namespaced"}])
        self.assertEqual([m["patchType"] for m in spec["mutations"]], ["JSONPatch"])
        self.assertEqual(one(docs, "MutatingAdmissionPolicyBinding")["spec"], {"policyName": "seiguard-inject"})

    def test_committed_in_tree_overlay_is_what_seiguard_in_tree_prints_now(self):
        out = subprocess.run([BINARY, "in-tree", "--policy-file", "manifests/base/policy.yaml"],
                             cwd=SOURCE, capture_output=True, check=True, timeout=30).stdout
        with open(os.path.join(MANIFESTS, "overlays", "in-tree", "in-tree.yaml"), "rb") as f:
            self.assertEqual(f.read().decode(), out.decode(),
                             "manifests/overlays/in-tree/in-tree.yaml is stale: run `make generate`")


class PlatformPolicy(unittest.TestCase):
    """The shipped platform policy, judged by the product itself (`seiguard
    check`, the NetworkPolicy evaluator of rules/netpol.h)."""

    @classmethod
    def setUpClass(cls):
        path = os.path.join(tempfile.mkdtemp(), "platform")
        shutil.copytree(os.path.join(MANIFESTS, "platform"), path)
        with open(os.path.join(path, "kustomization.yaml"), "a") as f:
            f.write("namespace: pacific-1\n")
        cls.policies = render(path)
        shutil.rmtree(os.path.dirname(path))
        cls.tmp = tempfile.mkdtemp()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def check(self, *objects, reach=False):
        path = os.path.join(self.tmp, "cluster.yaml")
        with open(path, "w") as f:
            yaml.safe_dump_all(list(self.policies) + list(objects), f)
        args = [BINARY, "check"] + (["--reach"] if reach else ["-o", "json"]) + [path]
        out = subprocess.run(args, capture_output=True, text=True, timeout=30)
        self.assertIn(out.returncode, (0, 1), out.stderr)
        return out.stdout if reach else json.loads(out.stdout)

    def seinode_pod(self):
        return json.loads(fixture("seinode-pod-split"))["request"]["object"]

    def test_only_params_render(self):
        self.assertEqual([d["kind"] for d in self.policies], ["NetworkPolicy"], "params must stay local")
        # The chain's own ports stay open to everyone (p2p, rpc, ...).
        chain = self.policies[0]["spec"]["ingress"][2]
        self.assertNotIn("from", chain)
        self.assertLessEqual({26656, 26657, 8545, 9090, 1317}, {p["port"] for p in chain["ports"]})

    def test_the_policy_defaults_are_the_platform_params(self):
        with open(os.path.join(MANIFESTS, "platform", "params.yaml")) as f:
            params = yaml.safe_load(f)["data"]
        network = json.loads(subprocess.run([BINARY, "policy"], capture_output=True, check=True).stdout)["network"]
        self.assertEqual(network["controllerNamespace"], params["controllerNamespace"])
        self.assertEqual(network["controllerPodLabels"], {"control-plane": params["controllerPodLabelValue"]})
        self.assertEqual(network["monitoringNamespaces"], [params["monitoringNamespace"]])
        self.assertEqual(network["nodeCIDRs"], [params["nodeCIDR"]])

    def test_the_platform_policy_is_clean(self):
        report = self.check(self.seinode_pod())
        network = [f for f in report["findings"] if f["rule"].endswith("-port-reach")]
        self.assertEqual(network, [])

    def test_who_reaches_the_proxy_and_the_public_listener(self):
        table = self.check(self.seinode_pod(), reach=True).splitlines()
        self.assertTrue(table[0].startswith("OBJECT"), table)
        rows = [r for r in table[1:] if not r.startswith("note:")]
        proxy = [r for r in rows if ":8443" in r]
        self.assertEqual(len(proxy), 1, rows)
        self.assertIn("pods control-plane=controller-manager in namespace sei-k8s-controller-system", proxy[0])
        public = rows[rows.index(next(r for r in rows if ":9100" in r)):]
        self.assertEqual(len(public), 2, rows)
        self.assertIn("every pod in namespace monitoring", public[0])
        self.assertIn("addresses in 10.0.0.0/16", public[1])
        self.assertTrue(all(r.endswith(" ok") for r in rows), rows)

    def test_a_pod_that_lost_its_label_falls_out_of_the_policy(self):
        pod = self.seinode_pod()
        del pod["metadata"]["labels"]["sei.io/node"]
        report = self.check(pod)
        reach = sorted(f["rule"] for f in report["findings"] if f["rule"].endswith("-port-reach"))
        self.assertEqual(reach, ["proxy-port-reach", "public-port-reach"])
        self.assertTrue(all("no NetworkPolicy selects this pod" in f["message"]
                            for f in report["findings"] if f["rule"].endswith("-port-reach")))


class Dockerfile(unittest.TestCase):
    """The image: built from the sources with the build package set, shipped
    on an empty base with the root scripts/runtime-root.sh lays out. Building
    it takes minutes and apt (make image, make image-test); here the root is
    laid out from the tested binary and run, so it cannot drift from it."""

    def dockerfile(self):
        with open(os.path.join(SOURCE, "Dockerfile")) as f:
            return f.read()

    def test_builds_with_the_build_set_and_ships_a_distroless_root(self):
        d = self.dockerfile()
        self.assertIn("./scripts/setup.sh build", d)
        self.assertIn("-DSEIGUARD_TESTS=OFF", d)
        self.assertIn("./scripts/runtime-root.sh build/seiguard /rootfs", d)
        final = d.split("\nFROM ")[-1]
        self.assertTrue(final.startswith("scratch"), final[:40])
        self.assertIn("COPY --from=build /rootfs/ /", final)
        self.assertRegex(final, r"USER 65532:65532")

    def test_runtime_root_runs_the_binary_as_65532(self):
        if os.geteuid() != 0:
            self.skipTest("chroot needs root")
        with tempfile.TemporaryDirectory() as tmp:
            root = os.path.join(tmp, "root")
            subprocess.run([os.path.join(SOURCE, "scripts/runtime-root.sh"), BINARY, root], check=True)
            for shell in ("bin/sh", "bin/bash", "usr/bin/apt-get"):
                self.assertFalse(os.path.exists(os.path.join(root, shell)), shell)
            # /proc as a container runtime mounts it (a sanitizer build reads it).
            subprocess.run(["mount", "-t", "proc", "proc", os.path.join(root, "proc")], check=True)
            try:
                p = subprocess.run(["chroot", "--userspec=65532:65532", root, "/usr/local/bin/seiguard", "--version"],
                                   capture_output=True, text=True, timeout=30)
                self.assertEqual(p.returncode, 0, p.stderr)
                p = subprocess.run(["chroot", "--userspec=65532:65532", root, "/usr/local/bin/seiguard", "review"],
                                   input=fixture("seinode-pod-legacy").decode(), capture_output=True, text=True,
                                   timeout=30)
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                self.assertIn('"allowed":false', p.stdout)
            finally:
                subprocess.run(["umount", os.path.join(root, "proc")], check=True)

    def test_runtime_package_set_owns_every_library_the_binary_links(self):
        runtime = subprocess.run([os.path.join(SOURCE, "scripts/setup.sh"), "list", "runtime"],
                                 capture_output=True, text=True, check=True).stdout.split()
        self.assertIn("ca-certificates", runtime)
        ldd = subprocess.run(["ldd", BINARY], capture_output=True, text=True).stdout
        libs = [l.split("=>")[1].split()[0] for l in ldd.splitlines() if "=>" in l and "/" in l.split("=>")[1]]
        packages = set()
        for lib in libs:
            owner = subprocess.run(["dpkg", "-S", os.path.realpath(lib)], capture_output=True, text=True).stdout
            if not owner:
                owner = subprocess.run(["dpkg", "-S", lib], capture_output=True, text=True).stdout
            pkg = owner.split(":")[0].strip()
            if pkg and pkg not in ("libc6", "libgcc-s1", "libstdc++6"):
                packages.add(pkg)
        self.assertTrue(packages)
        self.assertEqual(sorted(packages - set(runtime)), [], "scripts/setup.sh's runtime set lacks these")


if __name__ == "__main__":
    unittest.main()
