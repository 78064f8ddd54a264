"""A real control plane for the end-to-end tests: scripts/cluster.sh up/down.

`Cluster(*options)` starts etcd, kube-apiserver, kube-controller-manager and
seiguard (scripts/cluster.sh up, options as that takes them) with its state in
a fresh temporary directory, and `down()` stops every process by pid. down is
also registered with atexit and on SIGTERM, so a failing or interrupted test
leaves nothing running. The binaries come from CLUSTER_BIN (default
build/cluster/bin; `scripts/cluster.sh build` makes them).
"""
import atexit
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

from seiguard_e2e import BINARY, SOURCE

sys.path.insert(0, os.path.join(SOURCE, "tests", "cluster"))
import reach  # noqa: E402  (tests/cluster/reach.py: what scripts/cluster.sh waits on)

CLUSTER_SH = os.path.join(SOURCE, "scripts", "cluster.sh")
CLUSTER_BIN = os.environ.get("CLUSTER_BIN", os.path.join(SOURCE, "build", "cluster", "bin"))
KUBECTL = os.path.join(CLUSTER_BIN, "kubectl")
REACH = os.path.join(SOURCE, "tests", "cluster", "reach.py")

_live = []


def _down_all(*_):
    for c in list(_live):
        c.down()


atexit.register(_down_all)


def _on_term(signum, frame):
    _down_all()
    sys.exit(128 + signum)


signal.signal(signal.SIGTERM, _on_term)

DENIED = re.compile(r'admission webhook "([a-z.]+)" denied the request')
RULE_LINE = re.compile(r"^(?:Warning: )?\[([a-z-]+)\] ", re.M)


class Cluster:
    def __init__(self, *options):
        self.dir = tempfile.mkdtemp(prefix="seiguard-cluster-")
        self.env = dict(os.environ, SEIGUARD=BINARY, CLUSTER_BIN=CLUSTER_BIN)
        _live.append(self)
        p = subprocess.run(["bash", CLUSTER_SH, "up", self.dir, *options], env=self.env,
                           capture_output=True, text=True, timeout=240)
        if p.returncode != 0:
            logs = self.logs()
            self.down()
            raise RuntimeError(f"cluster.sh up {' '.join(options)} failed ({p.returncode}):\n{p.stderr}\n{logs}")
        self.up_output = p.stdout
        self.files = tempfile.mkdtemp(dir=self.dir, prefix="files-")
        self.namespaces = set()
        self.kubeconfig = os.path.join(self.dir, "kubeconfig")
        with open(os.path.join(self.dir, "ports")) as f:
            self.ports = dict(line.split() for line in f)

    def logs(self, tail=40):
        out = []
        logdir = os.path.join(self.dir, "logs")
        for name in sorted(os.listdir(logdir)) if os.path.isdir(logdir) else []:
            with open(os.path.join(logdir, name), errors="replace") as f:
                lines = f.readlines()[-tail:]
            out.append(f"--- {name}\n" + "".join(lines))
        return "\n".join(out)

    def down(self):
        if self in _live:
            _live.remove(self)
            subprocess.run(["bash", CLUSTER_SH, "down", self.dir], env=self.env, capture_output=True, timeout=60)

    def kubectl(self, *args, input=None, timeout=60):
        """Runs the real kubectl against this cluster: (exit code, stdout, stderr)."""
        p = subprocess.run([KUBECTL, "--kubeconfig", self.kubeconfig, *args], capture_output=True, text=True,
                           input=json.dumps(input) if isinstance(input, (dict, list)) else input, timeout=timeout)
        return p.returncode, p.stdout, p.stderr

    def ok(self, *args, input=None):
        code, out, err = self.kubectl(*args, input=input)
        if code != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {err}")
        return out

    def get(self, kind, name, namespace):
        return json.loads(self.ok("-n", namespace, "get", kind, name, "-o", "json"))

    def reach(self, want, seconds=30):
        """Waits until an object the running policy judges reaches seiguard
        through the API server (want "called"), or no longer does
        ("skipped"): tests/cluster/reach.py, as scripts/cluster.sh waits."""
        p = subprocess.run([sys.executable, REACH, self.dir, want, "--timeout", str(seconds)],
                           env=dict(self.env, KUBECTL=KUBECTL), capture_output=True, text=True,
                           timeout=seconds + 30)
        if p.returncode != 0:
            raise AssertionError(p.stderr)

    def webhook_admissions(self, admitted_only=False):
        """The API server's own account of its webhook calls,
        apiserver_admission_webhook_admission_duration_seconds: {webhook
        name: {"sum": seconds, "count": calls}}, of every call, or only of
        those whose answer admitted the request."""
        out = {}
        for line in self.ok("get", "--raw", "/metrics").splitlines():
            m = re.match(r"apiserver_admission_webhook_admission_duration_seconds_(sum|count)\{(.*)\} (\S+)$", line)
            if m and (not admitted_only or 'rejected="false"' in m.group(2)):
                name = re.search(r'name="([^"]+)"', m.group(2)).group(1)
                out.setdefault(name, {"sum": 0.0, "count": 0.0})[m.group(1)] += float(m.group(3))
        return out

    def seiguard_requests(self):
        """seiguard's own count of the AdmissionReviews it answered."""
        return reach.seiguard_requests(self.ports["health"])

    def wait_for_webhook(self, seconds=30):
        """Waits until the API server calls seiguard again (after the
        configurations were re-registered)."""
        self.reach("called", seconds)

    def script(self, command, action, *options):
        """scripts/cluster.sh COMMAND DIR ACTION [options]: webhook
        start|stop, in-tree on|off."""
        p = subprocess.run(["bash", CLUSTER_SH, command, self.dir, action, *options], env=self.env,
                           capture_output=True, text=True, timeout=90)
        if p.returncode != 0:
            raise AssertionError(f"cluster.sh {command} {action} failed: {p.stderr}")

    def webhook(self, action, *options):
        """scripts/cluster.sh webhook DIR start|stop [--policy-file F]."""
        self.script("webhook", action, *options)


    def write(self, name, obj):
        """Writes `obj` as JSON into the cluster's directory: a file to
        apply with -f."""
        path = os.path.join(self.files, name + ".json")
        with open(path, "w") as f:
            json.dump(obj, f)
        return path

    def ensure_namespace(self, obj):
        """Creates the namespace `obj` lives in (default when it names none)
        and the service account its pod spec runs as, once each. Returns the
        namespace."""
        ns = obj.get("metadata", {}).get("namespace") or "default"
        if ns not in self.namespaces:
            self.kubectl("create", "namespace", ns)
            self.namespaces.add(ns)
        spec = obj.get("spec", {})
        template = spec.get("template", spec.get("jobTemplate", {}).get("spec", {}).get("template", {}))
        pod_spec = template.get("spec", spec) if isinstance(template, dict) else spec
        sa = pod_spec.get("serviceAccountName") if isinstance(pod_spec, dict) else None
        if isinstance(sa, str) and sa:
            self.kubectl("-n", ns, "create", "serviceaccount", sa)
        return ns

    def real_owners(self, old, new):
        """Stores a StatefulSet for each StatefulSet owner the old object
        names, and points both objects' references at its real uid: the
        garbage collector deletes a dependent whose owner does not exist,
        and the rules read the owner's kind and name, never its uid. Returns
        the owners' files, to delete after the case."""
        paths = []
        ns = old["metadata"].get("namespace", "default")
        for ref in old["metadata"].get("ownerReferences", []):
            if ref.get("kind") != "StatefulSet":
                continue
            owner = {"apiVersion": "apps/v1", "kind": "StatefulSet",
                     "metadata": {"name": ref["name"], "namespace": ns},
                     "spec": {"replicas": 0, "selector": {"matchLabels": {"app": ref["name"]}},
                              "template": {"metadata": {"labels": {"app": ref["name"]}},
                                           "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}
            path = self.write(f"owner-{ref['name']}", owner)
            self.ok("apply", "-f", path)
            uid = self.get("statefulset", ref["name"], ns)["metadata"]["uid"]
            for o in (old, new):
                for r in o["metadata"].get("ownerReferences", []):
                    if r.get("kind") == "StatefulSet" and r.get("name") == ref["name"]:
                        r["uid"] = uid
            paths.append(path)
        return paths


def plain(obj):
    """The object as a person would apply it: no server-set metadata."""
    obj = json.loads(json.dumps(obj))
    meta = obj.setdefault("metadata", {})
    for k in ("uid", "resourceVersion", "creationTimestamp", "managedFields", "generation"):
        meta.pop(k, None)
    obj.pop("status", None)
    return obj


def verdict(code, stderr):
    """What the API server answered: ("allowed", warn rules) or ("denied", deny
    rules) from a seiguard webhook, else ("error", stderr)."""
    warned = {m.group(1) for m in re.finditer(r"^Warning: \[([a-z-]+)\] ", stderr, re.M)}
    if code == 0:
        return "allowed", warned
    if DENIED.search(stderr):
        body = stderr[DENIED.search(stderr).end():]
        return "denied", set(re.findall(r"\[([a-z-]+)\] ", body))
    return "error", stderr
