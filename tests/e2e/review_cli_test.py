"""`seiguard review`, `rules` and `policy` as a user runs them."""
import json
import unittest

from seiguard_e2e import FIXTURES, apply_patch, catalog, decode_patch, fixture, run, temp_file


class ReviewFixtures(unittest.TestCase):
    def review(self, name, *flags):
        code, out, err = run(["review", *flags], fixture(name))
        self.assertEqual(code, 0, err)
        answer = json.loads(out)
        request = json.loads(fixture(name))["request"]
        self.assertEqual(answer["apiVersion"], "admission.k8s.io/v1")
        self.assertEqual(answer["kind"], "AdmissionReview")
        self.assertEqual(answer["response"]["uid"], request["uid"])
        return answer["response"]

    def test_legacy_is_denied_with_every_finding(self):
        r = self.review("seinode-pod-legacy")
        self.assertFalse(r["allowed"])
        self.assertEqual(r["status"]["code"], 403)
        lines = r["status"]["message"].split("\n")
        rules = [l[1:l.index("]")] for l in lines]
        self.assertEqual(rules.count("proxy-ignore-paths"), 1)
        self.assertEqual(rules.count("probe-on-proxy-port"), 4)
        self.assertIn("sidecar-public-port", rules)
        self.assertIn("sidecar-public-port-env", rules)
        self.assertNotIn("patch", r)

    def test_split_is_allowed_without_patch_on_both_endpoints(self):
        # The split pod is the target posture: a rule that finds anything in
        # it contradicts the design, whichever of the two is to change.
        for flags in ([], ["--mutate"]):
            r = self.review("seinode-pod-split", *flags)
            self.assertTrue(r["allowed"])
            self.assertNotIn("patch", r)
            self.assertNotIn("warnings", r, "a rule fires on the target posture (seinode-pod-split)")

    def test_needs_injection_is_patched_and_then_validates(self):
        r = self.review("seinode-pod-needs-injection", "--mutate")
        self.assertTrue(r["allowed"])
        self.assertEqual(r["patchType"], "JSONPatch")
        ops = decode_patch(r)
        self.assertEqual(ops, [
            {"op": "add", "path": "/spec/initContainers/1/ports/-",
             "value": {"containerPort": 9100, "name": "public", "protocol": "TCP"}},
            {"op": "add", "path": "/spec/initContainers/1/env/-",
             "value": {"name": "SEI_SIDECAR_PUBLIC_PORT", "value": "9100"}},
            {"op": "add", "path": "/metadata/labels/sei.io~1node", "value": "pacific-1-val-0"},
        ])
        review = json.loads(fixture("seinode-pod-needs-injection"))
        review["request"]["object"] = apply_patch(review["request"]["object"], ops)
        body = json.dumps(review).encode()
        for flags in ([], ["--mutate"]):
            code, out, err = run(["review", *flags], body)
            self.assertEqual(code, 0, err)
            again = json.loads(out)["response"]
            self.assertTrue(again["allowed"], again)
            self.assertNotIn("patch", again)

    def test_plain_pod_is_untouched(self):
        for flags in ([], ["--mutate"]):
            r = self.review("plain-pod", *flags)
            self.assertEqual(set(r), {"uid", "allowed"})
            self.assertTrue(r["allowed"])

    def test_validate_never_carries_a_patch(self):
        for name in FIXTURES:
            r = self.review(name)
            self.assertNotIn("patch", r)
            self.assertNotIn("patchType", r)

    def test_warnings_are_short_single_lines_naming_the_rule(self):
        warned = ["proxy-ignore-paths", "probe-on-proxy-port", "sidecar-public-port", "sidecar-public-port-env"]
        with temp_file("rules:\n" + "".join("  %s: warn\n" % rule for rule in warned)) as path:
            r = self.review("seinode-pod-legacy", "--policy-file", path)
        self.assertTrue(r["allowed"])
        # The legacy pod's findings of these rules (other rules may add theirs).
        self.assertEqual(len([w for w in r["warnings"] if w[1:w.index("]")] in warned]), 7)
        for w in r["warnings"]:
            self.assertTrue(w.startswith("["), w)
            self.assertLessEqual(len(w.encode()), 120, w)
            self.assertNotIn("\n", w)


class ReviewErrors(unittest.TestCase):
    def test_input_that_is_not_an_admission_review_exits_2(self):
        for body in (b"", b"not json", b'{"apiVersion":"v1","kind":"Pod"}', b"[" * 100000):
            code, out, err = run(["review"], body)
            self.assertEqual(code, 2, body[:40])
            self.assertEqual(out, b"")
            self.assertTrue(err.startswith("seiguard review: "), err)

    def test_depth_bomb_is_refused_not_crashed(self):
        code, _, err = run(["review"], b"[" * 1000000 + b"]" * 1000000)
        self.assertEqual(code, 2)
        self.assertIn("deeper than 64", err)

    def test_oversized_input_is_refused(self):
        code, _, err = run(["review", "--max-request-bytes", "1000"], fixture("seinode-pod-legacy"))
        self.assertEqual(code, 2)
        self.assertIn("larger than 1000 bytes", err)

    def test_bad_policy_file_names_the_key_and_file(self):
        with temp_file("proxy:\n  prot: 8443\nrules:\n  node-label: block\n") as path:
            code, out, err = run(["review", "--policy-file", path], fixture("seinode-pod-split"))
        self.assertEqual(code, 2)
        self.assertEqual(out, b"")
        self.assertIn(path + ': unknown key "proxy.prot"', err)
        self.assertIn("rules.node-label: must be one of", err)

    def test_yaml_syntax_error_in_policy_has_a_line(self):
        with temp_file("rules:\n  a: 1\n  a: 2\n") as path:
            code, _, err = run(["review", "--policy-file", path], fixture("seinode-pod-split"))
        self.assertEqual(code, 2)
        self.assertIn(path + ':3:3: duplicate key "a"', err)

    def test_missing_policy_file_is_a_usage_error(self):
        code, _, err = run(["review", "--policy-file", "/nonexistent/policy.yaml"], b"")
        self.assertEqual(code, 2)
        self.assertIn("/nonexistent/policy.yaml", err)


class OtherCommands(unittest.TestCase):
    def test_rules_lists_every_rule_with_its_default(self):
        code, out, _ = run(["rules"])
        self.assertEqual(code, 0)
        text = out.decode()
        rules = catalog()
        self.assertGreater(len(rules), 0)
        for r in rules:
            line = next((l for l in text.splitlines() if l.split() and l.split()[0] == r["name"]), None)
            self.assertIsNotNone(line, "seiguard rules does not list " + r["name"])
            self.assertEqual(line.split()[1], r["defaultAction"], line)

    def test_rules_as_json(self):
        code, out, _ = run(["rules", "-o", "json"])
        self.assertEqual(code, 0)
        rules = json.loads(out)
        self.assertEqual(len({r["name"] for r in rules}), len(rules), "rule names repeat")
        for r in rules:
            self.assertTrue(r["summary"] and r["description"] and r["help"] and r["fix"], r["name"])
            self.assertIn(r["defaultAction"], r["actions"], r["name"])

    def test_the_readme_rule_reference_matches_the_binary(self):
        import os, re
        from seiguard_e2e import SOURCE
        with open(os.path.join(SOURCE, "README.md")) as f:
            readme = f.read()
        table = dict(re.findall(r"^\| `([a-z-]+)` \| (deny|warn|mutate|off) \|", readme, re.M))
        code, out, _ = run(["rules", "-o", "json"])
        self.assertEqual(table, {r["name"]: r["defaultAction"] for r in json.loads(out)})
        policy = json.loads(run(["policy"])[1])
        for rule, action in policy["rules"].items():  # the policy example in the README
            self.assertIn(f"  {rule}: {action}", readme)

    def test_policy_prints_the_defaults_and_accepts_its_own_output(self):
        code, out, _ = run(["policy"])
        self.assertEqual(code, 0)
        policy = json.loads(out)
        self.assertEqual(policy["proxy"]["port"], 8443)
        self.assertEqual(policy["sidecar"]["publicPort"], 9100)
        with temp_file(out.decode(), ".json") as path:
            code, again, err = run(["policy", "--policy-file", path])
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(again), policy)

    def test_policy_as_yaml_reads_back_as_the_same_policy(self):
        _, as_json, _ = run(["policy"])
        code, out, err = run(["policy", "-o", "yaml"])
        self.assertEqual(code, 0, err)
        self.assertIn(b"# ", out, "each field is annotated")
        with temp_file(out.decode(), ".yaml") as path:
            code, again, err = run(["policy", "--policy-file", path])
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(again), json.loads(as_json))
        # Each rule's line names the actions the rule accepts.
        for r in catalog():
            line = next(l for l in out.decode().splitlines() if l.strip().startswith(r["name"] + ":"))
            self.assertTrue(line.endswith("# " + " | ".join(r["actions"])), line)

    def test_all_rules_sets_every_rule_and_keeps_the_rest(self):
        with temp_file("sidecar: {publicPort: 9200}\n", ".yaml") as path:
            code, out, err = run(["policy", "--policy-file", path, "--all-rules", "warn"])
        self.assertEqual(code, 0, err)
        policy = json.loads(out)
        self.assertEqual(policy["rules"], {r["name"]: "warn" for r in catalog()})
        self.assertEqual(policy["sidecar"]["publicPort"], 9200)
        self.assertEqual(run(["policy", "--all-rules", "mutate"])[0], 2, "not every rule can mutate")

    def test_rules_as_markdown_is_one_row_per_rule(self):
        code, out, _ = run(["rules", "-o", "markdown"])
        self.assertEqual(code, 0)
        rows = [l for l in out.decode().splitlines() if l.startswith("| `")]
        self.assertEqual([l.split("`")[1] for l in rows], [r["name"] for r in catalog()])
        for row, r in zip(rows, catalog()):
            self.assertEqual(row.count(" | "), 3, row)  # no stray column break in the text
            self.assertIn(r["fix"].replace("|", "\\|"), row)

    def test_every_subcommand_has_help(self):
        for cmd in (["--help"], ["review", "--help"], ["rules", "--help"], ["policy", "--help"]):
            code, out, _ = run(cmd)
            self.assertEqual(code, 0, cmd)
            self.assertIn(b"Usage", out)

    def test_unknown_subcommand_or_flag_is_a_usage_error(self):
        self.assertEqual(run(["frobnicate"])[0], 2)
        self.assertEqual(run(["review", "--no-such-flag"])[0], 2)
        self.assertEqual(run([])[0], 2)


if __name__ == "__main__":
    unittest.main()
