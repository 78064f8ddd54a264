#!/usr/bin/env python3
"""Whether the API server sends seiguard what its policy puts in scope.

    reach.py DIR called|skipped [--timeout S] [--in-tree]

DIR is a cluster made by scripts/cluster.sh up (its kubeconfig, ports and
policy.json: the effective policy seiguard runs, `seiguard policy -o json`).
The probe is an object the policy judges: a Pod carrying the policy's node
label with a container named as its sidecar (or, when the policy judges no
Pods, the first kind it judges, shaped alike), sent as a server-side dry run
(nothing is stored) into `default`, or into `seiguard-reach-probe` when the
policy exempts `default`. Whether seiguard was called is read from its own
seiguard_admission_requests_total, never from its verdict, so any policy
works, whatever its rules say.

`called` waits until a probe reaches seiguard; `skipped` until one does not
(the API server has let go of configurations just deleted). Exit 0 once so,
1 after the timeout (default 30 s), saying what it saw.

In-tree mode (--in-tree; scripts/cluster.sh up --in-tree: DIR/in-tree.json
holds the admission policies applied, a v1 List) there is no seiguard to count: the
probe reaches the policies when the API server's own
apiserver_{mutating,validating}_admission_policy_check_total goes up for
every one of them (`called`), and for none (`skipped`). A validating policy
counts only what fails it, so the probe is made to fail what a Pod can
(violating_probe); a policy it still cannot fail (one whose checks the
policy's actions leave to other kinds) is taken as in force PARTIAL_GRACE
seconds after the others, applied in the same request, were seen.
"""
import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request

PROBE = "seiguard-reach-probe"
TEMPLATE_KINDS = {  # kind: (apiVersion, pod restartPolicy)
    "StatefulSet": ("apps/v1", "Always"), "Deployment": ("apps/v1", "Always"),
    "DaemonSet": ("apps/v1", "Always"), "ReplicaSet": ("apps/v1", "Always"),
    "Job": ("batch/v1", "Never"), "CronJob": ("batch/v1", "Never"), "ReplicationController": ("v1", "Always"),
}
ORDER = ["Pod", *TEMPLATE_KINDS, "Service", "NetworkPolicy"]


def probe_object(policy, namespace):
    """An object `policy` (the effective policy, as JSON) puts in scope."""
    label = {policy["nodeLabel"]: PROBE}
    kinds = policy["scope"]["kinds"]
    kind = next((k for k in ORDER if k in kinds), None)
    if kind is None:
        raise SystemExit("reach: the policy judges no kind (scope.kinds is empty): nothing can reach seiguard")
    meta = {"name": PROBE, "namespace": namespace, "labels": label}
    pod_spec = {"automountServiceAccountToken": False,
                "containers": [{"name": policy["sidecar"]["containerName"], "image": "registry.invalid/probe"}]}
    if kind == "Pod":
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": pod_spec}
    if kind in TEMPLATE_KINDS:
        api_version, restart = TEMPLATE_KINDS[kind]
        template = {"metadata": {"labels": label}, "spec": dict(pod_spec, restartPolicy=restart)}
        spec = {"selector": label if kind == "ReplicationController" else {"matchLabels": label},
                "template": template}
        if kind == "StatefulSet":
            spec["serviceName"] = PROBE
        if kind == "Job":
            spec = {"template": template}
        if kind == "CronJob":
            spec = {"schedule": "0 0 * * *", "jobTemplate": {"spec": {"template": template}}}
        return {"apiVersion": api_version, "kind": kind, "metadata": meta, "spec": spec}
    if kind == "Service":
        return {"apiVersion": "v1", "kind": "Service", "metadata": meta,
                "spec": {"clusterIP": "None", "ports": [{"name": "p", "port": 80}]}}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta,
            "spec": {"podSelector": {"matchLabels": label}, "ingress": [{}]}}


POLICY_KINDS = ("MutatingAdmissionPolicy", "ValidatingAdmissionPolicy")
PARTIAL_GRACE = 3.0


def admission_policy_checks(metrics_text):
    """{policy name: evaluations} from the API server's /metrics text:
    apiserver_mutating_admission_policy_check_total and
    apiserver_validating_admission_policy_check_total, every other label
    (binding, error type, enforcement action) summed."""
    out = {}
    for line in metrics_text.splitlines():
        if not line.startswith(("apiserver_mutating_admission_policy_check_total{",
                                "apiserver_validating_admission_policy_check_total{")):
            continue
        labels, value = line.rsplit(" ", 1)
        name = labels.split('policy="', 1)[1].split('"', 1)[0]
        out[name] = out.get(name, 0.0) + float(value)
    return out


def violating_probe(policy, namespace):
    """probe_object, made to fail checks of both the deny and the warn
    policies whatever the rules' actions, since a ValidatingAdmissionPolicy
    is seen in the API server's metrics only when a validation fails: an
    empty node label (node-label), a proxy whose --ignore-paths hides in an
    sh -c string (proxy-ignore-paths; remediation never rewrites it
    in-tree) and a gRPC probe on the proxy port (probe-on-proxy-port, never
    remediated), and the env var from valueFrom (sidecar-public-port-env:
    always a warning)."""
    obj = probe_object(policy, namespace)
    if obj["kind"] != "Pod":
        return obj
    proxy = policy["proxy"]
    obj["metadata"]["labels"][policy["nodeLabel"]] = ""
    spec = obj["spec"]
    spec["containers"][0]["env"] = [{"name": policy["sidecar"]["publicPortEnv"],
                                     "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]
    spec["containers"].append({
        "name": proxy["containerName"], "image": "registry.invalid/kube-rbac-proxy",
        "command": ["sh", "-c", "exec kube-rbac-proxy --ignore-paths=/probe"],
        "readinessProbe": {"grpc": {"port": proxy["port"]}}})
    return obj


def seiguard_requests(health_port):
    """seiguard_admission_requests_total, every label summed, from the
    metrics of the seiguard whose health listener is on `health_port`."""
    with urllib.request.urlopen(f"http://127.0.0.1:{health_port}/metrics", timeout=5) as r:
        text = r.read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("seiguard_admission_requests_total"))


class Cluster:
    def __init__(self, directory, in_tree=False):
        self.dir = directory
        with open(os.path.join(directory, "ports")) as f:
            self.ports = dict(line.split() for line in f)
        with open(os.path.join(directory, "policy.json")) as f:
            self.policy = json.load(f)
        self.kubectl = [os.environ.get("KUBECTL", os.path.join(os.path.dirname(__file__), "..", "..", "build",
                                                               "cluster", "bin", "kubectl")),
                        "--kubeconfig", os.path.join(directory, "kubeconfig")]

        path = os.path.join(directory, "in-tree.json")
        self.policies = None  # the in-tree policies' names, in in-tree mode
        if in_tree:
            with open(path) as f:
                self.policies = [d["metadata"]["name"] for d in json.load(f)["items"] if d["kind"] in POLICY_KINDS]

    def requests(self):
        """seiguard's request count, or in in-tree mode each policy's
        evaluations (a tuple, in the order of in-tree.json)."""
        if self.policies is None:
            return seiguard_requests(self.ports["health"])
        p = subprocess.run([*self.kubectl, "get", "--raw", "/metrics"], capture_output=True, text=True, timeout=30)
        if p.returncode != 0:
            raise OSError(p.stderr)
        checks = admission_policy_checks(p.stdout)
        return tuple(checks.get(n, 0.0) for n in self.policies)

    def reached(self, before, after):
        """Whether the probe reached seiguard, or every in-tree policy (None:
        only some of them, neither called nor skipped yet)."""
        if self.policies is None:
            return after > before
        went_up = [a > b for a, b in zip(after, before)]
        return True if all(went_up) else False if not any(went_up) else None

    def namespace(self):
        if "default" not in self.policy.get("exemptNamespaces", []):
            return "default"
        subprocess.run([*self.kubectl, "create", "namespace", PROBE], capture_output=True, timeout=30)
        return PROBE

    def send(self, obj):
        p = subprocess.run([*self.kubectl, "create", "--dry-run=server", "-f", "-"], input=json.dumps(obj),
                           capture_output=True, text=True, timeout=30)
        return (p.stdout + p.stderr).strip()

    def wait(self, want, timeout):
        obj = (probe_object if self.policies is None else violating_probe)(self.policy, self.namespace())
        deadline = time.monotonic() + timeout
        seen, partial = "", None
        while True:
            try:
                before = self.requests()
                answer = self.send(obj)
                called = self.reached(before, self.requests())
                if called == (want == "called"):
                    return 0
                if called is None and want == "called":
                    partial = partial or time.monotonic()
                    if time.monotonic() - partial > PARTIAL_GRACE:
                        return 0
                what = "seiguard" if self.policies is None else "every in-tree policy"
                seen = f"{what} {'was' if called else 'was not'} called; the API server answered: {answer}"
            except (OSError, subprocess.SubprocessError) as e:
                seen = str(e)
            if time.monotonic() > deadline:
                print(f"reach: a {obj['kind']} the policy judges was not {want} within {timeout}s: {seen}",
                      file=sys.stderr)
                return 1
            time.sleep(0.2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("want", choices=["called", "skipped"])
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--in-tree", action="store_true", help="count the in-tree policies' evaluations, not seiguard's")
    args = ap.parse_args()
    return Cluster(args.dir, args.in_tree).wait(args.want, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
