"""Shared helpers for the end-to-end tests: they run the real binary."""
import base64
import contextlib
import copy
import json
import os
import subprocess
import tempfile

BINARY = os.environ.get("SEIGUARD", os.path.join(os.path.dirname(__file__), "../../build/seiguard"))
SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
SHARED = os.path.abspath(os.path.join(SOURCE, "..", "shared"))
SEINODE = os.path.join(SHARED, "fixtures", "seinode")
FIXTURES = ["seinode-pod-legacy", "seinode-pod-split", "seinode-pod-needs-injection", "plain-pod"]


def fixture(name):
    with open(os.path.join(SEINODE, name + ".review.json"), "rb") as f:
        return f.read()


def run(args, stdin=b"", timeout=30):
    """Runs seiguard; returns (exit code, stdout bytes, stderr text)."""
    p = subprocess.run([BINARY] + args, input=stdin, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


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
