"""The rule catalog is complete, and what is generated from it is current.

A rule is one file under rules/, one line of rules/registry.inc and one case
file under tests/data/rules; `make generate` writes the rest. These tests
read the catalog from the binary (`seiguard rules -o json`) and say what to
do when something is missing or stale.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

from seiguard_e2e import BINARY, SOURCE, catalog

GENERATE = os.path.join(SOURCE, "scripts", "generate.py")
GENERATED = ["README.md", "manifests/base/policy.yaml", "manifests/overlays/audit/policy.yaml",
             "manifests/overlays/backstop/backstop.yaml", "manifests/base/webhooks.yaml",
             "manifests/overlays/in-tree/in-tree.yaml"]


def registry():
    """The ids of rules/registry.inc, in order."""
    with open(os.path.join(SOURCE, "rules", "registry.inc")) as f:
        return re.findall(r"^SEIGUARD_RULE\(([a-z0-9_]+)\)$", f.read(), re.M)


def check_generated(root):
    """Runs generate.py --check as if the repository were `root`."""
    script = os.path.join(root, "scripts", "generate.py")
    return subprocess.run([sys.executable, script, "--check", BINARY], capture_output=True, text=True,
                          timeout=60)


def copy_generated(root):
    """A repository at `root` holding only the generator and what it writes."""
    os.makedirs(os.path.join(root, "scripts"))
    shutil.copy(GENERATE, os.path.join(root, "scripts"))
    for path in GENERATED:
        os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
        shutil.copy(os.path.join(SOURCE, path), os.path.join(root, path))


class Catalog(unittest.TestCase):
    def test_the_registry_lists_every_rule_once_in_catalog_order(self):
        ids = registry()
        names = [r["name"] for r in catalog()]
        self.assertEqual(len(set(ids)), len(ids), "a rule is listed twice in rules/registry.inc")
        self.assertEqual([i.replace("_", "-") for i in ids], names,
                         "rules/registry.inc: each line is SEIGUARD_RULE(x) for the rule named x with "
                         "'-' for '_', defined in rules/x.cc")
        for i in ids:
            self.assertTrue(os.path.isfile(os.path.join(SOURCE, "rules", i + ".cc")), "rules/%s.cc" % i)

    def test_every_rule_file_is_in_the_registry(self):
        # A rule file left out of the registry is not even compiled.
        defined = set()
        for f in os.listdir(os.path.join(SOURCE, "rules")):
            if f.endswith(".cc"):
                with open(os.path.join(SOURCE, "rules", f)) as fh:
                    defined |= set(re.findall(r"^const RuleDef registry::(\w+)", fh.read(), re.M))
        for rule in sorted(defined - set(registry())):
            self.fail("rules/%s.cc defines a rule that rules/registry.inc does not list: add "
                      "SEIGUARD_RULE(%s) where it should run" % (rule, rule))
        self.assertEqual(defined, set(registry()))

    def test_every_rule_has_its_case_file_and_every_case_file_a_rule(self):
        rules_dir = os.path.join(SOURCE, "tests", "data", "rules")
        files = {f[:-5] for f in os.listdir(rules_dir) if f.endswith(".yaml")}
        names = {r["name"] for r in catalog()}
        for name in sorted(names - files):
            self.fail("rule %s has no case file: write tests/data/rules/%s.yaml (see "
                      "proxy-ignore-paths.yaml for the form)" % (name, name))
        # decode.yaml pins the decoder, upstream.yaml the real renderer's
        # objects, workload-controllers.yaml the policy's trust in
        # controller-made pods: each spans the rules.
        self.assertEqual(files - names, {"decode", "workload-controllers", "upstream"}, "case files named after no rule")

    def test_every_rule_documents_itself(self):
        for r in catalog():
            for field in ("summary", "description", "fix"):
                self.assertTrue(r[field].strip(), "rule %s has no %s" % (r["name"], field))
            self.assertNotIn("\n", r["summary"], r["name"])
            self.assertIn(r["defaultAction"], r["actions"], r["name"])


class Generated(unittest.TestCase):
    def test_the_generated_files_are_current(self):
        out = check_generated(SOURCE)
        self.assertEqual(out.returncode, 0, out.stderr + out.stdout)

    def test_a_stale_file_is_named_with_what_to_do(self):
        with tempfile.TemporaryDirectory() as root:
            copy_generated(root)
            self.assertEqual(check_generated(root).returncode, 0, "the copy starts current")
            # A rule's default edited in the table by hand, and a backstop
            # edited in place: both are caught, nothing is written.
            readme = os.path.join(root, "README.md")
            with open(readme) as f:
                text = f.read()
            first = catalog()[0]
            row = "| `%s` | %s |" % (first["name"], first["defaultAction"])
            self.assertIn(row, text)
            with open(readme, "w") as f:
                f.write(text.replace(row, "| `%s` | off |" % first["name"]))
            backstop = os.path.join(root, GENERATED[3])
            with open(backstop, "a") as f:
                f.write("# edited\n")
            # Webhooks registered without their scope: every Pod of the
            # cluster would wait on seiguard again.
            webhooks = os.path.join(root, GENERATED[4])
            with open(webhooks) as f:
                text_webhooks = f.read()
            self.assertIn("  matchConditions:\n", text_webhooks)
            with open(webhooks, "w") as f:
                f.write(text_webhooks.replace("  matchConditions:\n", "  matchConditionsRemoved:\n"))
            out = check_generated(root)
            self.assertEqual(out.returncode, 1)
            self.assertIn("README.md is stale: run `make generate`", out.stderr)
            self.assertIn("backstop.yaml is stale: run `make generate`", out.stderr)
            self.assertIn("base/webhooks.yaml is stale: run `make generate`", out.stderr)
            self.assertNotIn("base/policy.yaml", out.stderr)
            with open(readme) as f:
                self.assertIn("| `%s` | off |" % first["name"], f.read(), "--check wrote")
            # Writing makes them current again.
            subprocess.run([sys.executable, os.path.join(root, "scripts", "generate.py"), BINARY],
                           check=True, capture_output=True, timeout=60)
            self.assertEqual(check_generated(root).returncode, 0)
            with open(readme) as f:
                self.assertIn(row, f.read())

    def test_a_readme_without_its_markers_is_an_error_not_a_rewrite(self):
        with tempfile.TemporaryDirectory() as root:
            copy_generated(root)
            with open(os.path.join(root, "README.md"), "w") as f:
                f.write("# no markers\n")
            out = check_generated(root)
            self.assertNotEqual(out.returncode, 0)
            self.assertIn("has no marker", out.stderr)


if __name__ == "__main__":
    unittest.main()
