"""The ValidatingAdmissionPolicy backstop agrees with /validate.

Every shared fixture and every rule case of the suite (Pods, templates,
Services; CREATE, UPDATE, DELETE, CONNECT; custom policies) goes through
`seiguard review` (byte-for-byte the server's /validate answer, proven by
server_admission_test) and through the policies `seiguard vap` generates for
the same policy file, evaluated with a real CEL implementation
(tests/vap/evaluate.mjs). Also every object /mutate patches, after the patch:
the VAP runs after the mutating webhook, so that is the object it sees.

Compared per case: allowed or denied, the rules that deny, and the rules that
warn. No CEL expression may fail to evaluate on any of them.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

import yaml

from seiguard_e2e import (FIXTURES, SOURCE, audit_findings, catalog, cases_with_mutated, fixture, rule_cases,
                          run)

HARNESS = os.path.join(SOURCE, "tests", "vap")


def rules_of(messages):
    """The rules a VAP's messages name: a warning names its own, a denial
    every check that denies ("[a] ... | [b] ...")."""
    out = set()
    for m in messages:
        for part in re.split(r" \| (?=\[[a-z-]+\] )", m):
            found = re.match(r"\[([a-z-]+)\] ", part)
            if not found:
                raise AssertionError(f"a VAP message does not start with [rule]: {m!r}")
            out.add(found.group(1))
    return out


def webhook_verdict(response):
    """(allowed, deny rules, warn rules) from a /validate response."""
    findings = audit_findings(response)
    return (response["allowed"], {r for r, a, _ in findings if a == "deny"},
            {r for r, a, _ in findings if a == "warn"})


def vap_verdict(results):
    """(allowed, deny rules, warn rules, errors) from the evaluator's results."""
    deny, warn, errors = set(), set(), []
    for r in results:
        errors += [f"{r['policy']}: {e}" for e in r["errors"]]
        rules = rules_of(r["failures"])
        if "Deny" in r["actions"]:
            deny |= rules
        if "Warn" in r["actions"]:
            warn |= rules
    return not deny, deny, warn, errors


def evaluate(policies, cases):
    """Runs the CEL harness over `cases` ({"id", "policies", "request"})."""
    out = subprocess.run(["node", os.path.join(HARNESS, "evaluate.mjs")],
                         input=json.dumps({"policies": policies, "cases": cases}).encode(),
                         capture_output=True, timeout=300)
    if out.returncode != 0:
        raise AssertionError(out.stderr.decode())
    return json.loads(out.stdout)


class VapParity(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        if not os.path.isdir(os.path.join(HARNESS, "node_modules", "@bufbuild", "cel")):
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--prefix", HARNESS],
                           check=True, capture_output=True, timeout=300)

    def policy_file(self, policy):
        path = os.path.join(self.tmp, f"policy-{abs(hash(json.dumps(policy, sort_keys=True)))}.json")
        with open(path, "w") as f:
            json.dump(policy, f)
        return path

    def gather(self):
        return cases_with_mutated(self.policy_file)

    def test_vap_agrees_with_validate(self):
        cases = self.gather()
        policies, work, expected = {}, [], {}
        for i, (name, review, policy) in enumerate(cases):
            key = json.dumps(policy, sort_keys=True)
            path = self.policy_file(policy)
            if key not in policies:
                code, out, err = run(["vap", "-o", "json", "--policy-file", path])
                self.assertEqual(code, 0, err)
                policies[key] = json.loads(out)["items"]
            code, out, err = run(["review", "--policy-file", path], json.dumps(review).encode())
            self.assertEqual(code, 0, f"{name}: {err}")
            response = json.loads(out)["response"]
            if response.get("status", {}).get("code") == 400:
                continue  # undecodable: the apiserver refuses such a body before admission
            expected[str(i)] = (name, webhook_verdict(response))
            work.append({"id": str(i), "policies": key, "request": review["request"]})

        compared = {"denied": 0, "warned": 0}
        for result in evaluate(policies, work):
            name, (allowed, deny, warn) = expected[result["id"]]
            got_allowed, got_deny, got_warn, errors = vap_verdict(result["results"])
            with self.subTest(case=name):
                self.assertEqual(errors, [], "CEL evaluation errors")
                self.assertEqual(got_allowed, allowed, f"allowed: VAP {got_allowed}, /validate {allowed}")
                self.assertEqual(got_deny, deny, "denying rules")
                self.assertEqual(got_warn, warn, "warning rules")
            compared["denied"] += not allowed
            compared["warned"] += bool(warn)
        # The sweep must really cover both outcomes, not agree on nothing.
        print(f"\nvap parity: {len(expected)} cases, {compared}", file=sys.stderr)
        self.assertGreater(len(expected), 110)
        self.assertGreater(compared["denied"], 50)
        self.assertGreater(compared["warned"], 15)

    def test_the_wording_differs_one_message_per_check(self):
        """The documented difference (README, The in-tree backstop): the
        webhook lists every finding, the VAP one message per check, naming
        the first offending container."""
        (name, review, policy), = [c for c in rule_cases() if c[0].endswith("lists every occurrence")]
        code, out, err = run(["review"], json.dumps(review).encode())
        self.assertEqual(code, 0, err)
        lines = json.loads(out)["response"]["status"]["message"].split("\n")
        self.assertEqual(len([l for l in lines if l.startswith("[proxy-ignore-paths]")]), 2, lines)
        code, out, err = run(["vap", "-o", "json"])
        self.assertEqual(code, 0, err)
        (result,) = evaluate({"p": json.loads(out)["items"]}, [{"id": "x", "policies": "p", "request": review["request"]}])
        (deny,) = [r for r in result["results"] if "Deny" in r["actions"]]
        self.assertEqual(deny["failures"], [
            "[proxy-ignore-paths] kube-rbac-proxy: --ignore-paths serves those paths without authentication; "
            "remove it; serve health and metrics on the sidecar's public port 9100"])


class VapCli(unittest.TestCase):
    def test_yaml_output_is_the_json_output(self):
        code, out_yaml, err = run(["vap"])
        self.assertEqual(code, 0, err)
        self.assertTrue(out_yaml.startswith(b"# Generated by `seiguard vap`"))
        code, out_json, err = run(["vap", "-o", "json"])
        self.assertEqual(code, 0, err)
        docs = [d for d in yaml.safe_load_all(out_yaml) if d]
        self.assertEqual(docs, json.loads(out_json)["items"])
        self.assertEqual([d["kind"] for d in docs], ["ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"] * 2)

    def test_a_bad_policy_file_is_refused_with_every_problem(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            f.write("rules: {proxy-ignore-paths: maybe}\nsidecar: {publicPort: 70000}\n")
            f.flush()
            code, out, err = run(["vap", "--policy-file", f.name])
        self.assertEqual(code, 2)
        self.assertEqual(out, b"")
        self.assertIn("proxy-ignore-paths", err)
        self.assertIn("publicPort", err)

    def test_every_rule_off_prints_no_policy_and_says_so(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            json.dump({"rules": {r["name"]: "off" for r in catalog()}}, f)
            f.flush()
            code, out, err = run(["vap", "--policy-file", f.name, "-o", "json"])
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out)["items"], [])
        self.assertIn("every rule is off", err)


if __name__ == "__main__":
    unittest.main()
