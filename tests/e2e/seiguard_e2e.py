"""Shared helpers for the end-to-end tests: they run the real binary."""
import base64
import contextlib
import copy
import glob
import json
import os
import subprocess
import tempfile

import yaml

BINARY = os.environ.get("SEIGUARD", os.path.join(os.path.dirname(__file__), "../../build/seiguard"))
SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
FIXTURE_DIR = os.path.join(SOURCE, "tests", "fixtures")
SEINODE = os.path.join(FIXTURE_DIR, "seinode")
FIXTURES = ["seinode-pod-legacy", "seinode-pod-split", "seinode-pod-needs-injection", "plain-pod"]


def fixture(name):
    with open(os.path.join(SEINODE, name + ".review.json"), "rb") as f:
        return f.read()


def run(args, stdin=b"", timeout=30):
    """Runs seiguard; returns (exit code, stdout bytes, stderr text)."""
    p = subprocess.run([BINARY] + args, input=stdin, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def catalog():
    """Every rule as the binary lists it (`seiguard rules -o json`): tests
    take rule names, defaults and counts from here, never from literals."""
    code, out, err = run(["rules", "-o", "json"])
    if code != 0:
        raise AssertionError("seiguard rules -o json failed: " + err)
    return json.loads(out)


def decode_patch(response):
    return json.loads(base64.b64decode(response["patch"], validate=True))


def _pointer(path):
    return [t.replace("~1", "/").replace("~0", "~") for t in path.split("/")[1:]]


def apply_patch(doc, ops):
    """A small RFC 6902 applier (add, replace, remove), independent of the
    C++ side: fails loudly on a missing parent, as the API server does."""
    doc = copy.deepcopy(doc)
    for op in ops:
        tokens = _pointer(op["path"])
        parent = doc
        for t in tokens[:-1]:
            parent = parent[int(t)] if isinstance(parent, list) else parent[t]
        last = tokens[-1]
        if isinstance(parent, list):
            if op["op"] == "add":
                parent.insert(len(parent) if last == "-" else int(last), op["value"])
            elif op["op"] == "replace":
                parent[int(last)] = op["value"]
            else:
                del parent[int(last)]
        else:
            if op["op"] == "replace" and last not in parent:
                raise KeyError(op["path"])
            if op["op"] == "remove":
                del parent[last]
            else:
                parent[last] = op["value"]
    return doc


@contextlib.contextmanager
def temp_file(text, suffix=".yaml"):
    """A file holding `text`, removed afterwards; yields its path."""
    with tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False) as f:
        f.write(text)
    try:
        yield f.name
    finally:
        os.unlink(f.name)


def audit_findings(response):
    """(rule, action, path) triples from a review's auditAnnotations."""
    out = set()
    for rule, value in response.get("auditAnnotations", {}).items():
        if rule == "decision":
            continue
        for item in value.split(", "):
            action, _, path = item.partition(" ")
            out.add((rule, action, path))
    return out


def make_review(obj, operation, old, version="v1", user="admin"):
    """The review tests/test_util.cc MakeReview builds, for one case."""
    anyobj = obj if obj is not None else old
    api_version = anyobj.get("apiVersion", "v1")
    group = api_version.split("/")[0] if "/" in api_version else ""
    kind = anyobj.get("kind", "")
    meta = anyobj.get("metadata", {})
    resource = kind.lower()[:-1] + "ies" if kind.endswith("y") else kind.lower() + "s"
    return {"apiVersion": "admission.k8s.io/" + version, "kind": "AdmissionReview", "request": {
        "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
        "kind": {"group": group, "version": "v1", "kind": kind},
        "resource": {"group": group, "version": "v1", "resource": resource},
        "name": meta.get("name", ""), "namespace": meta.get("namespace", ""),
        "operation": operation, "userInfo": {"username": user},
        "object": obj, "oldObject": old, "dryRun": False}}


def load_yaml(path):
    with open(path) as f:
        return yaml.safe_load(f)


def rule_cases():
    """(name, review, policy document) for every case in tests/data/rules."""
    bases = os.path.join(SOURCE, "tests", "data", "bases")
    for case_file in sorted(glob.glob(os.path.join(SOURCE, "tests", "data", "rules", "*.yaml"))):
        for case in load_yaml(case_file)["cases"]:
            obj = apply_patch(load_yaml(os.path.join(bases, case["base"] + ".yaml")), case.get("patch", []))
            op = case.get("operation", "CREATE")
            old = None
            if op == "UPDATE":
                o = case.get("old", {})
                old = apply_patch(load_yaml(os.path.join(bases, o.get("base", case["base"]) + ".yaml")),
                                  o.get("patch", []))
            if op == "DELETE":
                obj, old = old, obj
            review = make_review(obj, op, old, case.get("version", "v1"), case.get("user", "admin"))
            if op == "CONNECT":
                review["request"]["object"] = None
            if "subResource" in case:
                review["request"]["subResource"] = case["subResource"]
            # PyYAML reads YAML 1.1, where an unquoted `off` is false.
            policy = case.get("policy", {})
            if "rules" in policy:
                policy = dict(policy, rules={k: ("off" if v is False else v) for k, v in policy["rules"].items()})
            yield f"{os.path.basename(case_file)}: {case['name']}", review, policy


def cases_with_mutated(policy_file):
    """Every fixture and rule case as (name, review, policy document), with
    what /mutate makes of each CREATE it patches added as a case of its own
    ("... (after /mutate)"): the object the validating side then sees.
    `policy_file(policy)` gives a file holding a policy document."""
    cases = [(f"fixture {n}", json.loads(fixture(n)), {}) for n in FIXTURES]
    cases += list(rule_cases())
    mutated = []
    for name, review, policy in cases:
        request = review["request"]
        if request["operation"] != "CREATE" or request.get("subResource"):
            continue
        code, out, err = run(["review", "--mutate", "--policy-file", policy_file(policy)],
                             json.dumps(review).encode())
        assert code == 0, f"{name}: {err}"
        response = json.loads(out)["response"]
        if "patch" in response:
            after = json.loads(json.dumps(review))
            after["request"]["object"] = apply_patch(request["object"], decode_patch(response))
            mutated.append((name + " (after /mutate)", after, policy))
    return cases + mutated


def admission_chain(review, policy_file=None):
    """What the API server's chain answers for a Pod CREATE, from the
    binary's two endpoints (and only /validate for any other request): /mutate
    first, and its denial is the answer; otherwise /validate judges the
    patched object. Returns the findings (rule, action, path) of the answer,
    both webhooks' together, as `seiguard check` must report them."""
    policy = ["--policy-file", policy_file] if policy_file else []
    request = review["request"]
    if request["kind"]["kind"] != "Pod" or request["operation"] != "CREATE":
        code, out, err = run(["review"] + policy, json.dumps(review).encode())
        assert code == 0, err
        return audit_findings(json.loads(out)["response"])
    code, out, err = run(["review", "--mutate"] + policy, json.dumps(review).encode())
    assert code == 0, err
    mutated = json.loads(out)["response"]
    found = audit_findings(mutated)
    if not mutated["allowed"]:
        return found
    if "patch" in mutated:
        review = copy.deepcopy(review)
        review["request"]["object"] = apply_patch(request["object"], decode_patch(mutated))
    code, out, err = run(["review"] + policy, json.dumps(review).encode())
    assert code == 0, err
    return found | audit_findings(json.loads(out)["response"])
