"""seiguard reads YAML exactly as kubectl does: differential tests against an
oracle built on kubectl's own YAML library (tests/oracle/kubectl_json.go,
sigs.k8s.io/yaml over go-yaml v2, as Debian packages it).

For every input, both sides print, per document, the JSON kubectl would send
(`seiguard read` and the oracle), and the two sequences must be equal value
for value and type for type (8443 is not 8443.0, "8443" is not 8443). Where
the oracle fails, seiguard must fail too. One divergence is by design and
allowed: seiguard refuses a key written twice in one mapping, where kubectl
silently keeps the last value (or, for 1 next to "1", one at random).

The inputs: every YAML file of this repository, a corpus of real manifests
(tests/data/corpus, see its NOTICE), and a few thousand generated documents
that mutate scalars and structure (anchors, merge keys, quoting, octal and
hex, YAML 1.1 booleans, block scalars, document separators). And for
`check --fix`: kubectl's reading of the fixed output equals its reading of
the input with the patches applied, and nothing else.
"""
import json
import os
import random
import shutil
import subprocess
import tempfile
import unittest

from seiguard_e2e import BINARY, SOURCE, apply_patch, run

ORACLE = os.environ.get("KUBECTL_JSON", os.path.join(SOURCE, "build", "tests", "kubectl-json"))
CORPUS = os.path.join(SOURCE, "tests", "data", "corpus")
SKIP_DIRS = {".git", "build", "build-asan", "node_modules", ".gocache"}


def typed(v):
    """A value whose equality also compares JSON types (bool is not int,
    int is not float)."""
    if isinstance(v, dict):
        return ("object", {k: typed(x) for k, x in v.items()})
    if isinstance(v, list):
        return ("array", [typed(x) for x in v])
    return (type(v).__name__, v)


def read_lines(cmd):
    p = subprocess.run(cmd, capture_output=True, timeout=600)
    if p.returncode not in (0, 2):
        raise AssertionError("%s exited %d: %s" % (cmd[0], p.returncode, p.stderr.decode()[-2000:]))
    per_file = {}
    for line in p.stdout.decode("utf-8").splitlines():
        d = json.loads(line)
        per_file.setdefault(d["file"], []).append(d)
    return per_file


def kubectl(files):
    """The oracle's documents, per file: ("obj", value) or ("err", text)."""
    out = {}
    for f, docs in read_lines([ORACLE] + files).items():
        out[f] = [("obj", d["object"]) if "object" in d else ("err", d["error"]) for d in docs]
    return out


def seiguard(files, patches=False):
    out = {}
    for f, docs in read_lines([BINARY, "read"] + (["--patches"] if patches else []) + files).items():
        out[f] = [("obj", d["object"], d.get("patch")) if "object" in d else ("err", d["error"], None)
                  for d in docs]
    return out


def disagreements(files):
    """Files whose documents seiguard reads differently from kubectl, and
    kubectl's reading."""
    theirs = kubectl(files)
    ours = seiguard(files)
    bad = []
    for f in files:
        a, b = ours.get(f, []), theirs.get(f, [])
        same = len(a) == len(b)
        for x, y in zip(a, b):
            if x[0] == "err" and y[0] == "err":
                continue
            if x[0] == "err" and y[0] == "obj" and x[1].startswith(("duplicate key", "two keys of this mapping")):
                continue  # the divergence by design: kubectl keeps the last, or one at random
            if x[0] != y[0] or typed(x[1]) != typed(y[1]):
                same = False
        if not same:
            bad.append((f, a[:3], b[:3]))
    return bad, theirs


def yaml_files(root):
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        found += [os.path.join(dirpath, n) for n in sorted(filenames) if n.endswith((".yaml", ".yml"))]
    return found


# --- the generator ----------------------------------------------------------

# Scalars that kubectl and a naive reader may see differently, as written.
TRICKY = [
    "8443", "020373", "0o20373", "0x20FB", "0x_20_FB", "8_443", "+8443", "8443.0", "8.443e3", "08443",
    "9100", "021614", "0x238C", "'8443'", '"9100"', "!!int '8443'", "!!str 8443", "!!float 8443",
    "yes", "no", "on", "off", "y", "n", "Y", "N", "True", "FALSE", "On", "OFF", "yEs", "'yes'", '"on"',
    "~", "null", "Null", "NULL", "", "'null'", '"~"', "!!null ''",
    "1e3", "1.", ".5", "-.5", "+.5", "1_000", "1__0", "0b101", "-0b11", "0x", "0o", "0b", "00", "-0", "-0.0",
    "1:30", "2024-01-01", "2001-12-14t21:59:43.10-05:00", "12:30:45", "1e400", "1e-400",
    "123456789012345678901234", "18446744073709551615", "9223372036854775807", "-9223372036854775809",
    "._5", ".5_5", "<<", "'<<'", "=", "-", "--ignore-paths=/metrics", "'--ignore-paths=/metrics,/healthz'",
    "kube-rbac-proxy", "sei-sidecar", "a b", "'a: b'", '"tab\\there"', '"\\u00e9t\\u00e9"', "été",
    "!!binary aGVsbG8=", "!custom x", "!!str yes", "!!bool 'yes'",
]
WORDS = ["name", "args", "port", "ports", "labels", "value", "key", "sei.io/node", "containerPort", "image",
         "x", "y", "on", "yes", "1", "0x10", "1.5", "1e3", "true", "~", "<<", "'<<'", "'1'"]


class Gen:
    """Random YAML text with anchors, aliases and merge keys."""

    def __init__(self, rnd):
        self.r = rnd
        self.anchors = []  # (name, kind)
        self.n = 0

    def anchor(self, kind):
        if self.r.random() < 0.2:
            self.n += 1
            name = "a%d" % self.n
            self.anchors.append((name, kind))
            return "&%s " % name
        return ""

    def alias(self, kind=None):
        pool = [a for a, k in self.anchors if kind is None or k == kind]
        return "*" + self.r.choice(pool) if pool else None

    def scalar(self):
        return self.r.choice(TRICKY)

    def key(self):
        return self.r.choice(WORDS + ["k%d" % self.r.randrange(6)])

    def flow(self, depth):
        c = self.r.random()
        if depth > 2 or c < 0.5:
            a = self.alias() if self.r.random() < 0.1 else None
            return a or (self.anchor("scalar") + self.scalar()).strip() or "''"
        if c < 0.75:
            return self.anchor("seq") + "[" + ", ".join(self.flow(depth + 1) for _ in range(self.r.randrange(4))) + "]"
        items = ["%s: %s" % (self.key(), self.flow(depth + 1)) for _ in range(self.r.randrange(4))]
        return self.anchor("map") + "{" + ", ".join(items) + "}"

    def block(self, indent, depth):
        """Lines of a block mapping at `indent`."""
        pad = " " * indent
        lines = []
        used = set()
        for _ in range(self.r.randrange(1, 5)):
            c = self.r.random()
            if c < 0.12 and self.alias("map"):
                lines.append(pad + "<<: " + self.alias("map"))
                continue
            if c < 0.17 and len([a for a, k in self.anchors if k == "map"]) >= 2:
                pool = [a for a, k in self.anchors if k == "map"]
                lines.append(pad + "<<: [%s]" % ", ".join("*" + a for a in self.r.sample(pool, 2)))
                continue
            k = self.key()
            if k in used:
                continue
            used.add(k)
            c = self.r.random()
            if depth < 3 and c < 0.25:
                lines.append(pad + k + ": " + self.anchor("map").strip())
                lines += self.block(indent + 2, depth + 1)
            elif depth < 3 and c < 0.4:
                lines.append(pad + k + ": " + self.anchor("seq").strip())
                for _ in range(self.r.randrange(1, 4)):
                    if self.r.random() < 0.3:
                        sub = self.block(indent + 4, depth + 1)
                        sub[0] = pad + "  - " + sub[0].lstrip()
                        lines += sub
                    else:
                        lines.append(pad + "  - " + self.flow(depth + 1))
            elif c < 0.47:
                style = self.r.choice(["|", "|-", "|+", ">", ">-"])
                lines.append(pad + k + ": " + style)
                lines += [pad + "  " + self.r.choice(["line", "--ignore-paths=/x", "yes", "  more", "8443"])
                          for _ in range(self.r.randrange(1, 3))]
            else:
                lines.append(pad + k + ": " + self.flow(depth + 1))
        return lines or [pad + "k: v"]


def generated_documents(rnd, count):
    docs = []
    for i in range(count):
        g = Gen(rnd)
        kind = rnd.random()
        if kind < 0.4:
            docs.append("\n".join(g.block(0, 0)) + "\n")
        elif kind < 0.6:
            docs.append(merge_case(rnd))
        else:
            docs.append(seinode_case(rnd))
    return docs


def merge_case(rnd):
    """Anchored mappings over a few shared keys, merged singly or as a list,
    with keys before and after the merge key: precedence is the point."""
    keys = ["a", "b", "c", "args", "port"]
    lines = []
    for n in range(3):
        items = ", ".join("%s: %s%d" % (k, rnd.choice(["v", "8443", "yes"]), n) for k in rnd.sample(keys, 3))
        lines.append("m%d: &m%d {%s}" % (n, n, items))
    lines.append("x:")
    for k in rnd.sample(keys, rnd.randrange(3)):
        lines.append("  %s: before" % k)
    merged = rnd.sample(["*m0", "*m1", "*m2", "{a: inline, c: inline}"], rnd.randrange(1, 4))
    lines.append("  <<: " + (merged[0] if len(merged) == 1 and rnd.random() < 0.5 else "[%s]" % ", ".join(merged)))
    for k in rnd.sample(keys, rnd.randrange(3)):
        lines.append("  %s: after" % k)
    return "\n".join(lines) + "\n"


def seinode_case(rnd):
    """A SeiNode pod or StatefulSet whose security-relevant values take
    tricky forms: ports, args, labels, through anchors and merges."""
    port = rnd.choice(["8443", "020373", "0x20FB", "8443.0", "8.443e3", "08443", "'8443'", "9100", "http",
                       "0o20373", "8_443", "!!int '8443'"])
    label = rnd.choice(["pacific-1", "yes", "'yes'", "on", "1", "'1'", "~", "0755", "pacific-1 # c"])
    ignore = rnd.choice(["--ignore-paths=/v0/healthz", "--upstream=http://127.0.0.1:7777/", "'--ignore-paths'",
                         "--ignore-paths=/a,/b"])
    proxy_inline = rnd.random() < 0.5
    stateful = rnd.random() < 0.4
    proxy = [
        "name: kube-rbac-proxy",
        "image: quay.io/brancz/kube-rbac-proxy:v0.15.0",
        "args: [--secure-listen-address=0.0.0.0:8443, %s]" % ignore,
        "ports: [{containerPort: %s, name: https}]" % rnd.choice(["8443", "020373", "0x20FB"]),
    ]
    sidecar = [
        "name: sei-sidecar",
        "image: ghcr.io/sei-protocol/seictl:v1",
        "env: [{name: SEI_SIDECAR_PUBLIC_PORT, value: %s}]" % rnd.choice(["'9100'", "\"9100\"", "9100", "'0x238C'"]),
        "readinessProbe: {httpGet: {path: /v0/healthz, port: %s}}" % port,
    ]
    lines = []
    if not proxy_inline:
        lines += ["x-proxy: &proxy"] + ["  " + l for l in proxy]
    if stateful:
        lines += ["apiVersion: apps/v1", "kind: StatefulSet", "metadata: {name: pacific-1, namespace: sei}",
                  "spec:", "  template:", "    metadata:", "      labels: {sei.io/node: %s}" % label, "    spec:"]
        ind = "      "
    else:
        lines += ["apiVersion: v1", "kind: Pod", "metadata:", "  name: pacific-1-0", "  namespace: sei",
                  "  labels:", "    sei.io/node: %s" % label, "spec:"]
        ind = "  "
    lines.append(ind + "containers:")
    lines.append(ind + "- " + sidecar[0])
    lines += [ind + "  " + l for l in sidecar[1:]]
    if proxy_inline:
        lines.append(ind + "- " + proxy[0])
        lines += [ind + "  " + l for l in proxy[1:]]
    else:
        lines.append(ind + "- <<: *proxy")
        if rnd.random() < 0.5:
            lines.append(ind + "  args: [--secure-listen-address=0.0.0.0:8443]")
    if rnd.random() < 0.3:
        lines.insert(0, rnd.choice(["---", "--- # a SeiNode", "# leading comment", "---   "]))
    return "\n".join(lines) + "\n"


class KubectlYamlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(ORACLE, os.X_OK):
            raise AssertionError("the oracle %s is missing: it is built with Go "
                                 "(golang-go, golang-k8s-sigs-yaml-dev; scripts/setup.sh installs them)" % ORACLE)
        cls.tmp = tempfile.mkdtemp(prefix="seiguard-yaml-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def assertAgree(self, files):
        """Returns kubectl's reading of `files`."""
        bad, theirs = disagreements(files)
        msg = "\n".join("%s\n  seiguard: %s\n  kubectl:  %s" % (f, str(a)[:600], str(b)[:600]) for f, a, b in bad[:5])
        self.assertEqual(len(bad), 0, "%d of %d files read differently:\n%s" % (len(bad), len(files), msg))
        return theirs

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_oracle_sees_what_the_issue_describes(self):
        # The oracle is a test of its own: the readings the fix is about.
        f = self.write("facts.yaml", "a: 020373\nb: yes\nc: 1e3\nd: 0x20FB\ne: '0755'\nf: 0755\n")
        self.assertEqual(kubectl([f])[f], [("obj", {"a": 8443, "b": True, "c": 1000, "d": 8443, "e": "0755",
                                                    "f": 493})])

    def test_repository_yaml_reads_as_kubectl_reads_it(self):
        files = [f for f in yaml_files(SOURCE) if not f.startswith(CORPUS)]
        self.assertGreater(len(files), 30)
        self.assertAgree(files)

    def test_real_world_corpus_reads_as_kubectl_reads_it(self):
        files = yaml_files(CORPUS)
        self.assertGreaterEqual(len(files), 300)
        self.assertAgree(files)

    def test_generated_documents_read_as_kubectl_reads_them(self):
        rnd = random.Random(20261201)
        docs = generated_documents(rnd, 3000)
        files = [self.write("gen-%04d.yaml" % i, d) for i, d in enumerate(docs)]
        theirs = self.assertAgree(files)
        # The generator must reach what matters: merges, aliases, objects and
        # refusals alike, or this test proves little.
        objects = sum(1 for docs in theirs.values() for d in docs if d[0] == "obj")
        errors = sum(1 for docs in theirs.values() for d in docs if d[0] == "err")
        self.assertGreater(objects, 2000)
        self.assertGreater(errors, 50)
        self.assertGreater(sum("<<:" in d for d in docs), 500)

    def test_json_streams_read_as_kubectl_reads_them(self):
        # kubectl's stream sniffing: JSON values one after another, a turn to
        # YAML when decoding fails before a second value, JSON numbers held
        # as int64 or float64.
        rnd = random.Random(3)
        values = ['{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"x": 8443.0}}',
                  '{"a": 1e3, "b": [1, 2.5, -0.0, 18446744073709551615], "c": "\\u00e9"}', '{}', 'null',
                  '{"n": null, "t": true}', '[1, 2]', '"text"', '{"k": 123456789012345678}']
        yaml_tails = ["---\nb: yes\n", "b: 020373\n", "- a\n", "{a: on}\n", ""]
        broken = ['{"a": 1,}', '{a: 1}', '{"a": 1', '{"a": 01}']
        texts = []
        for _ in range(400):
            parts = [rnd.choice(values) for _ in range(rnd.randrange(1, 4))]
            sep = rnd.choice(["\n", " ", "", "\n\n  "])
            text = rnd.choice(["", " ", "\n"]) + sep.join(parts)
            c = rnd.random()
            if c < 0.3:
                text += "\n" + rnd.choice(yaml_tails)
            elif c < 0.5:
                text = rnd.choice(broken) + "\n" + rnd.choice(yaml_tails)
            texts.append(text if text.lstrip().startswith("{") else "{}" + text)
        files = [self.write("stream-%03d.json" % i, t) for i, t in enumerate(texts)]
        self.assertAgree(files)

    def test_fix_reads_back_as_the_input_plus_its_patches(self):
        rnd = random.Random(7)
        cases = [seinode_case(rnd) for _ in range(400)]
        files = [self.write("fix-%03d.yaml" % i, d) for i, d in enumerate(cases)]
        files += [f for f in yaml_files(os.path.join(SOURCE, "tests", "data")) if not f.startswith(CORPUS)]
        files += yaml_files(os.path.join(CORPUS, "kubernetes-examples"))[:150]
        ours = seiguard(files, patches=True)
        theirs = kubectl(files)
        readable = [f for f in files if ours.get(f) and all(d[0] == "obj" for d in ours[f])
                    and all(d[0] == "obj" for d in theirs.get(f, []))]
        self.assertGreater(len(readable), 300)
        patched = 0
        for f in readable:
            code, out, err = run(["check", "--fix", f])
            # 2: an object that cannot be judged (a boolean label); it is
            # printed unpatched, and must read back unchanged like the rest.
            self.assertIn(code, (0, 1, 2), "%s: %s" % (f, err))
            self.assertTrue(code != 2 or "cannot decode" in err, "%s: %s" % (f, err))
            fixed = self.write("fixed.yaml", out.decode("utf-8"))
            after = kubectl([fixed]).get(fixed, [])
            expected = [apply_patch(doc, patch or []) for (_, doc), (_, _, patch) in zip(theirs[f], ours[f])]
            patched += sum(1 for d in ours[f] if d[2])
            self.assertEqual([d[0] for d in after], ["obj"] * len(expected), "%s: %s" % (f, after[:2]))
            self.assertEqual([typed(d[1]) for d in after], [typed(e) for e in expected],
                             "%s: --fix changed more than its patches" % f)
        self.assertGreater(patched, 100)

    def test_oracle_agrees_with_kubectl_itself(self):
        # Where kubectl is installed, the oracle is checked against it on
        # valid objects (kubectl annotate --local prints what it would send).
        kubectl_bin = shutil.which("kubectl")
        if kubectl_bin is None:
            self.skipTest("kubectl is not installed; the oracle stands on sigs.k8s.io/yaml alone")
        rnd = random.Random(11)
        checked = 0
        for i in range(40):
            f = self.write("kubectl-%02d.yaml" % i, seinode_case(rnd))
            p = subprocess.run([kubectl_bin, "annotate", "--local", "-f", f, "-o", "json", "seiguard-oracle=1"],
                               capture_output=True, timeout=60)
            ours = kubectl([f]).get(f, [])
            if p.returncode != 0:
                continue  # kubectl refuses (a boolean label): nothing to compare
            sent = json.loads(p.stdout)
            sent["metadata"]["annotations"].pop("seiguard-oracle")
            if not sent["metadata"]["annotations"]:
                del sent["metadata"]["annotations"]
            self.assertEqual(typed(ours[0][1]), typed(sent), f)
            checked += 1
        self.assertGreater(checked, 10)


if __name__ == "__main__":
    unittest.main()
