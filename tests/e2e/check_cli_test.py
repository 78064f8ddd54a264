"""`seiguard check` as CI runs it: manifests in YAML and JSON, directories,
stdin, Lists, broken input, every output format, and parity with /validate."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ET

import yaml

from seiguard_e2e import admission_chain, FIXTURES, SEINODE, SOURCE, audit_findings, catalog, fixture, make_review, rule_cases, run


def pod(name):
    obj = json.loads(fixture(name))["request"]["object"]
    obj["metadata"].pop("managedFields", None)
    return obj


def as_review(obj):
    return json.dumps(make_review(obj, "CREATE", None)).encode()


class Check(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, rel, text):
        path = os.path.join(self.tmp, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w" if isinstance(text, str) else "wb") as f:
            f.write(text)
        return path

    def check(self, *args, stdin=b""):
        code, out, err = run(["check", *args], stdin, timeout=60)
        return code, out.decode(), err

    def test_fixtures_as_yaml_and_json_agree_with_the_admission_chain(self):
        for name in FIXTURES:
            obj = pod(name)
            y = self.write(f"{name}.yaml", yaml.safe_dump(obj, sort_keys=False))
            j = self.write(f"{name}.json", json.dumps(obj, indent=2))
            want = admission_chain(json.loads(as_review(obj)))
            for path in (y, j):
                code, out, _ = self.check("-o", "json", path)
                got = {(f["rule"], f["action"], f["path"]) for f in json.loads(out)["findings"]}
                self.assertEqual(got, want, f"{name} via {os.path.basename(path)}")
                self.assertEqual(code, 1 if any(a == "deny" for _, a, _ in want) else 0)

    def test_every_rule_case_object_gets_the_verdict_of_the_admission_chain(self):
        """The per-rule case objects (tests/data), CREATE only: check names
        the findings the API server's chain answers with, the same policy: a
        Pod's /mutate (its denial, or its patch), then /validate."""
        compared = 0
        for name, review, policy_doc in rule_cases():
            request = review["request"]
            if request["operation"] != "CREATE" or "subResource" in request or review["apiVersion"].endswith("v1beta1"):
                continue
            if request["userInfo"]["username"] != "admin":
                continue  # judged by who asks (workloadControllers): check has no requesting user
            policy = self.write("policy.json", json.dumps(policy_doc))
            code, out, err = run(["review", "--policy-file", policy], json.dumps(review).encode())
            self.assertEqual(code, 0, err)
            response = json.loads(out)["response"]
            if response.get("status", {}).get("code") == 400:
                continue  # decode errors: the checker reports them as errors (tested above)
            want = admission_chain(review, policy)
            code, out, _ = self.check("-o", "json", "--policy-file", policy,
                                      self.write("obj.yaml", yaml.safe_dump(request["object"])))
            got = {(f["rule"], f["action"], f["path"]) for f in json.loads(out)["findings"]}
            self.assertEqual(got, want, name)
            compared += 1
        self.assertGreater(compared, 80)

    def test_text_reports_file_line_column_of_the_offending_element(self):
        path = self.write("legacy.yaml", yaml.safe_dump(pod("seinode-pod-legacy"), sort_keys=False))
        code, out, _ = self.check(path)
        self.assertEqual(code, 1)
        with open(path) as f:
            lines = f.read().split("\n")
        for line in out.strip().split("\n")[:-1]:
            if line.startswith("note: "):
                continue  # what the network verdicts rest on
            file, lno, col, rest = line.split(":", 3)
            self.assertEqual(file, path)
            self.assertRegex(rest, r"^ (deny|warn) \[[a-z-]+\] Pod/pacific-1/pacific-1-val-0-0: ")
            text_at = lines[int(lno) - 1][int(col) - 1:]
            if "[proxy-ignore-paths]" in rest:
                self.assertTrue(text_at.startswith("--ignore-paths"), text_at)
            if "[probe-on-proxy-port]" in rest:
                self.assertTrue(text_at.startswith("8443"), text_at)
        self.assertIn("checked 1 object(s) in 1 file(s), skipped 0: 5 denying finding(s)", out)

    def test_directories_mixing_good_bad_and_broken_files(self):
        self.write("a/good.yaml", yaml.safe_dump(pod("seinode-pod-split")))
        self.write("a/b/bad.json", json.dumps(pod("seinode-pod-legacy")))
        self.write("a/b/broken.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: x\n---\n"
                   + yaml.safe_dump(pod("seinode-pod-legacy")))
        self.write("a/notes.txt", "not a manifest")
        self.write("a/empty.yaml", "")
        self.write("a/binary.yaml", bytes(range(256)) * 4)
        os.symlink(os.path.join(self.tmp, "a"), os.path.join(self.tmp, "a", "b", "loop"))
        code, out, _ = self.check("-o", "json", os.path.join(self.tmp, "a"))
        report = json.loads(out)
        self.assertEqual(code, 2)
        self.assertEqual(report["objects"], 3)  # split, legacy, and legacy again after the broken doc
        error_files = {os.path.basename(e["file"]) for e in report["errors"]}
        self.assertEqual(error_files, {"broken.yaml", "binary.yaml"})
        broken = next(e for e in report["errors"] if e["file"].endswith("broken.yaml"))
        self.assertEqual((broken["line"], broken["column"]), (4, 1))
        rules = {f["rule"] for f in report["findings"] if f["file"].endswith("broken.yaml")}
        self.assertIn("proxy-ignore-paths", rules)

    def test_a_json_syntax_error_has_its_position_and_others_are_still_checked(self):
        bad = self.write("j/bad.json", '{\n  "apiVersion": "v1",\n  "kind": "Pod",,\n}\n')
        self.write("j/legacy.json", json.dumps(pod("seinode-pod-legacy")))
        code, out, _ = self.check(os.path.join(self.tmp, "j"))
        self.assertEqual(code, 2)
        self.assertRegex(out, re.escape(bad) + r":3:\d+: error: invalid JSON")
        self.assertIn("5 denying finding(s)", out)

    def test_a_list_of_many_pods_from_stdin(self):
        pods = [pod("seinode-pod-legacy") if i % 2 else pod("seinode-pod-split") for i in range(200)]
        for i, p in enumerate(pods):
            p["metadata"]["name"] = f"pod-{i}"
        listing = {"apiVersion": "v1", "kind": "List", "items": pods + [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}]}
        for text in (yaml.safe_dump(listing), json.dumps(listing)):
            code, out, _ = self.check("-o", "json", "-", stdin=text.encode())
            report = json.loads(out)
            self.assertEqual(code, 1)
            self.assertEqual(report["objects"], 200)
            self.assertEqual(report["skipped"], {"ConfigMap": 1})
            self.assertEqual(report["summary"]["deny"], 500)
            first = next(f for f in report["findings"] if f["action"] == "deny")
            self.assertEqual(first["file"], "<stdin>")
            self.assertTrue(first["path"].startswith("items[1].spec."), first["path"])

    def test_templates_and_services_use_the_template_semantics(self):
        sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "n0", "namespace": "x"},
               "spec": {"template": {"metadata": {"labels": {}}, "spec": {"containers": [
                   {"name": "sei-sidecar", "image": "seictl"},
                   {"name": "kube-rbac-proxy", "image": "quay.io/brancz/kube-rbac-proxy:v0.19.1",
                    "args": ["--ignore-paths=/metrics"]}]}}}}
        svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "n0", "labels": {"sei.io/node": "n0"}},
               "spec": {"clusterIP": "None", "ports": [{"port": 8443}]}}
        path = self.write("w.yaml", yaml.safe_dump_all([sts, svc]))
        code, out, _ = self.check("-o", "json", path)
        got = sorted((f["kind"], f["rule"], f["action"]) for f in json.loads(out)["findings"])
        self.assertEqual(got, [("Service", "service-ports", "warn"),
                               ("StatefulSet", "node-label", "warn"),
                               ("StatefulSet", "proxy-ignore-paths", "deny"),
                               ("StatefulSet", "sidecar-public-port", "warn"),
                               ("StatefulSet", "sidecar-public-port-env", "warn")])
        self.assertEqual(code, 1)

    def test_exit_codes_and_warnings_as_errors(self):
        clean = self.write("clean.yaml", yaml.safe_dump(pod("seinode-pod-split")))
        self.assertEqual(self.check(clean)[0], 0)
        svc = self.write("svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: s, labels: {sei.io/node: s}}\n"
                                     "spec: {clusterIP: None, ports: [{port: 8443}]}\n")
        self.assertEqual(self.check(svc)[0], 0)
        self.assertEqual(self.check("--warnings-as-errors", svc)[0], 1)
        self.assertEqual(self.check(os.path.join(self.tmp, "missing.yaml"))[0], 2)
        self.assertEqual(run(["check"])[0], 2)

    def test_a_quoted_port_is_a_string_kubernetes_refuses(self):
        base = pod("seinode-pod-split")
        text = yaml.safe_dump(base, sort_keys=False)
        quoted = text.replace("containerPort: 9100", "containerPort: '9100'")
        self.assertNotEqual(quoted, text)
        code, out, _ = self.check("-o", "json", self.write("q.yaml", quoted))
        self.assertEqual(code, 2)
        self.assertIn("expected an integer, got a string", json.loads(out)["errors"][0]["message"])
        self.assertEqual(self.check(self.write("u.yaml", text))[0], 0)

    # What issue 14 found: a manifest must mean to check what it means to kubectl.
    SEINODE_POD = """apiVersion: v1
kind: Pod
metadata:
  name: pacific-1-0
  labels:
    sei.io/node: {label}
spec:
  containers:
  - name: sei-sidecar
    image: ghcr.io/sei-protocol/seictl:v1
    ports: [{{name: public, containerPort: 9100}}]
    env: [{{name: SEI_SIDECAR_PUBLIC_PORT, value: "9100"}}]
    readinessProbe: {{httpGet: {{path: /v0/healthz, port: {port}}}}}
"""

    def test_yaml_11_octal_port_is_the_proxy_port(self):
        code, out, _ = self.check(self.write("octal.yaml", self.SEINODE_POD.format(label="pacific-1", port="020373")))
        self.assertEqual(code, 1, out)
        self.assertRegex(out, r"octal\.yaml:13:\d+: deny \[probe-on-proxy-port\]")
        for port in ("0x20FB", "8443.0", "8.443e3", "08443", "0o20373", "8_443"):
            code, out, _ = self.check(self.write("p.yaml", self.SEINODE_POD.format(label="pacific-1", port=port)))
            self.assertEqual(code, 1, port + ": " + out)
        code, out, _ = self.check(self.write("ok.yaml", self.SEINODE_POD.format(label="pacific-1", port="9100")))
        self.assertEqual(code, 0, out)

    def test_yaml_11_boolean_label_is_refused_with_its_position_and_a_fix(self):
        code, out, _ = self.check(self.write("yes.yaml", self.SEINODE_POD.format(label="yes", port="9100")))
        self.assertEqual(code, 2, out)
        self.assertRegex(out, r"yes\.yaml:6:18: error: .*labels.*sei\.io/node.*expected a string, got a boolean.*quote")
        code, out, _ = self.check(self.write("q.yaml", self.SEINODE_POD.format(label="'yes'", port="9100")))
        self.assertEqual(code, 0, out)
        # Any kind's metadata, as kubectl refuses it before sending.
        code, out, _ = self.check(self.write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"
                                                         "  annotations: {enabled: on}\n"))
        self.assertEqual(code, 2, out)
        self.assertRegex(out, r"cm\.yaml:5:\d+: error: cannot decode the ConfigMap: metadata\.annotations\.enabled")

    def test_merged_proxy_args_are_judged_at_the_line_they_are_written(self):
        text = """x-proxy: &proxy
  name: kube-rbac-proxy
  image: quay.io/brancz/kube-rbac-proxy:v0.15.0
  args:
  - --secure-listen-address=0.0.0.0:8443
  - --ignore-paths=/v0/healthz
apiVersion: v1
kind: Pod
metadata: {name: p, labels: {sei.io/node: pacific-1}}
spec:
  containers:
  - <<: *proxy
    ports: [{containerPort: 8443}]
  - {name: sei-sidecar, image: "ghcr.io/sei-protocol/seictl:v0.1.0"}
"""
        code, out, _ = self.check(self.write("merge.yaml", text))
        self.assertEqual(code, 1, out)
        self.assertRegex(out, r"merge\.yaml:6:5: deny \[proxy-ignore-paths\] Pod/p: spec\.containers\[0\]\.args\[1\]")
        # --fix writes the merge out and drops the flag; kubectl reads it as fixed.
        serving = self.write("serving.yaml", "sidecar: {publicListenerImages: ['>=v0.1.0']}\n")
        code, fixed, err = run(["check", "--fix", "--policy-file", serving, os.path.join(self.tmp, "merge.yaml")])
        self.assertNotIn(b"<<", fixed)
        doc = yaml.safe_load(fixed)
        self.assertEqual(doc["spec"]["containers"][0]["args"], ["--secure-listen-address=0.0.0.0:8443"])
        self.assertIn("--ignore-paths=/v0/healthz", doc["x-proxy"]["args"])  # not part of the Pod

    def test_empty_files_hold_no_objects_whatever_their_name(self):
        for name in ("empty.json", "empty.yaml", "blank.json", "comments.yaml"):
            text = {"blank.json": " \n\n", "comments.yaml": "# nothing\n---\n"}.get(name, "")
            code, out, _ = self.check("-o", "json", self.write(name, text))
            self.assertEqual(code, 0, name + ": " + out)
            self.assertEqual(json.loads(out)["errors"], [], name)

    def test_replication_controllers_are_judged(self):
        legacy = pod("seinode-pod-legacy")
        rc = {"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "rc", "namespace": "sei"},
              "spec": {"replicas": 1, "template": {"metadata": legacy["metadata"], "spec": legacy["spec"]}}}
        code, out, _ = self.check("-o", "json", self.write("rc.yaml", yaml.safe_dump(rc)))
        self.assertEqual(code, 1, out)
        report = json.loads(out)
        self.assertEqual(report["objects"], 1)
        self.assertIn("proxy-ignore-paths", {f["rule"] for f in report["findings"]})

    def test_nesting_beyond_the_limit_is_an_error_not_a_crash(self):
        deep = self.write("deep.yaml", "[" * 2_000_000)
        code, out, _ = self.check(deep)
        self.assertEqual(code, 2)
        self.assertIn("nested deeper than 64 levels", out)

    def test_junit_is_one_testcase_per_object_with_failures(self):
        self.write("x/legacy.yaml", yaml.safe_dump(pod("seinode-pod-legacy")))
        self.write("x/split.yaml", yaml.safe_dump(pod("seinode-pod-split")))
        code, out, _ = self.check("-o", "junit", os.path.join(self.tmp, "x"))
        root = ET.fromstring(out)
        cases = root.findall(".//testcase")
        self.assertEqual(len(cases), 2)
        failures = root.findall(".//failure")
        self.assertEqual(len(failures), 5)
        self.assertEqual(root.get("failures"), "5")
        self.assertTrue(all(f.get("type") in {r["name"] for r in catalog()} for f in failures))

    def test_sarif_has_rule_metadata_and_physical_locations(self):
        path = self.write("legacy.yaml", yaml.safe_dump(pod("seinode-pod-legacy"), sort_keys=False))
        code, out, _ = self.check("-o", "sarif", path)
        sarif = json.loads(out)
        self.assertEqual(sarif["version"], "2.1.0")
        run0 = sarif["runs"][0]
        rules = run0["tool"]["driver"]["rules"]
        self.assertEqual([r["id"] for r in rules], [r["name"] for r in catalog()])
        for r in rules:
            self.assertTrue(r["shortDescription"]["text"] and r["fullDescription"]["text"] and r["help"]["text"])
        self.assertEqual(len([r for r in run0["results"] if r["level"] == "error"]), 5)  # the legacy denials
        for res in run0["results"]:
            loc = res["locations"][0]["physicalLocation"]
            self.assertEqual(loc["artifactLocation"]["uri"], path)
            self.assertGreater(loc["region"]["startLine"], 1)
            self.assertEqual(rules[res["ruleIndex"]]["id"], res["ruleId"])

    def test_fix_prints_documents_that_pass_and_keep_every_value(self):
        original = pod("seinode-pod-needs-injection")
        original["metadata"]["annotations"]["tricky"] = "yes"  # must stay a string
        original["metadata"]["labels"]["version"] = "1.10"
        legacy = pod("seinode-pod-legacy")
        path = self.write("two.yaml", yaml.safe_dump_all([original, legacy], sort_keys=False))
        # A policy naming the sidecars that serve :9100, from a version: the
        # legacy pod's digest-pinned sidecar has no tag to read, so its probes
        # stay where they are and the findings say what to roll out first.
        versioned = self.write("versioned.yaml", "sidecar: {publicListenerImages: ['>=v0.0.71']}\n")
        code, out, err = self.check("--fix", "--policy-file", versioned, path)
        self.assertEqual(code, 1, err)
        kept = list(yaml.safe_load_all(out))[1]["spec"]["initContainers"][2]
        self.assertEqual(kept["livenessProbe"]["httpGet"]["port"], 8443)
        self.assertTrue(any("--ignore-paths" in a for a in kept["args"]))
        self.assertIn('(not rewritten: sei-sidecar image "ghcr.io/sei-protocol/seictl@sha256:', err)
        self.assertIn("roll out one that does first: >=v0.0.71)", err)
        # By default (publicListenerImages ["*"]) and with the digest listed,
        # the legacy pod loses --ignore-paths and its probes move to 9100.
        # ... and stderr says, for that pod alone, that the rewrite rests on "*".
        code, _, err = self.check("--fix", path)
        self.assertEqual(code, 0, err)
        digest = legacy["spec"]["initContainers"][1]["image"]
        assumed = [l for l in err.splitlines() if l.startswith("note: --fix rewrote ")]
        self.assertEqual(len(assumed), 1, err)
        self.assertIn("Pod/%s/%s: container sei-sidecar (image \"%s\") is taken to serve port 9100 only by the \"*\""
                      % (legacy["metadata"].get("namespace", "default"), legacy["metadata"]["name"], digest), assumed[0])
        self.assertIn("list there the sidecar images that serve it", assumed[0])
        self.assertEqual(legacy["spec"]["initContainers"][1]["name"], "sei-sidecar")
        serving = self.write("serving.yaml", yaml.safe_dump({"sidecar": {"publicListenerImages": [digest]}}))
        code, out, err = self.check("--fix", "--policy-file", serving, path)
        self.assertEqual(code, 0, err)
        self.assertNotIn("--fix rewrote", err)  # listed: nothing assumed
        fixed = list(yaml.safe_load_all(out))
        self.assertEqual(len(fixed), 2)
        code, review_out, _ = run(["review", "--mutate"], as_review(original))
        from seiguard_e2e import apply_patch, decode_patch
        self.assertEqual(fixed[0], apply_patch(original, decode_patch(json.loads(review_out)["response"])))
        self.assertEqual(fixed[0]["metadata"]["annotations"]["tricky"], "yes")
        # Remediation: the legacy pod loses --ignore-paths, its probes move to 9100.
        proxy = fixed[1]["spec"]["initContainers"][2]
        self.assertFalse(any("--ignore-paths" in a for a in proxy["args"]))
        self.assertEqual(proxy["livenessProbe"]["httpGet"]["port"], 9100)
        again = self.write("fixed.yaml", out)
        self.assertEqual(self.check("--policy-file", serving, again)[0], 0)

    def test_live_objects_make_the_inputs_updates_that_ratchet(self):
        """check --live: an input with the kind, namespace and name of a
        running object is judged as an UPDATE of it, as the controller's
        reconcile is at admission (tests/data/bases/upstream: the real
        renderer's full node, then its image bump)."""
        base = os.path.join(SOURCE, "tests", "data", "bases", "upstream")
        with open(os.path.join(base, "full-node.yaml")) as f:
            running = yaml.safe_load(f)
        running["metadata"]["resourceVersion"] = "4711"  # as kubectl get prints it
        live = self.write("live.yaml", yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [running]}))
        bump = os.path.join(base, "full-node-image-bump.yaml")
        self.assertEqual(self.check(bump)[0], 1)
        code, out, _ = self.check("--live", live, bump)
        self.assertEqual(code, 0, out)
        self.assertIn("warn [proxy-ignore-paths] StatefulSet/default/pacific-1-full-node", out)
        self.assertIn("already so before this update: --ignore-paths=", out)
        self.assertIn("1 object(s) judged as an UPDATE of the live object", out)
        # What the update adds is still denied; another name matches nothing.
        with open(bump) as f:
            worse = yaml.safe_load(f)
        worse["spec"]["template"]["spec"]["containers"][0]["livenessProbe"] = {"httpGet": {"path": "/v0/livez", "port": 8443}}
        code, out, _ = self.check("--live", live, self.write("worse.yaml", yaml.safe_dump(worse)))
        self.assertEqual(code, 1, out)
        self.assertRegex(out, r"deny \[probe-on-proxy-port\] .*containers\[0\]\.livenessProbe")
        self.assertNotIn("deny [proxy-ignore-paths]", out)
        worse["metadata"]["name"] = "pacific-1-other"
        code, out, _ = self.check("--live", live, self.write("other.yaml", yaml.safe_dump(worse)))
        self.assertEqual(code, 1, out)
        self.assertIn("deny [proxy-ignore-paths]", out)
        self.assertIn("0 object(s) judged as an UPDATE", out)
        code, _, err = self.check("--live", "-", "-")
        self.assertEqual(code, 2)
        self.assertIn("stdin (-) can be the input or --live, not both", err)

    def test_policy_file_applies(self):
        policy = self.write("p.yaml", "rules:\n  proxy-ignore-paths: warn\n  probe-on-proxy-port: warn\n"
                                      "  sidecar-public-port: warn\n  sidecar-public-port-env: warn\n")
        legacy = self.write("l.json", json.dumps(pod("seinode-pod-legacy")))
        self.assertEqual(self.check("--policy-file", policy, legacy)[0], 0)
        self.assertEqual(self.check("--policy-file", policy, "--warnings-as-errors", legacy)[0], 1)


if __name__ == "__main__":
    unittest.main()
