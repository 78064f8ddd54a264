"""Every file in tests/fixtures through the real `seiguard review`, as is
and (for JSON objects) wrapped as a Pod review on CREATE and UPDATE: never a
crash, always an answer echoing the uid (exit 0) or a clear error (exit 2)."""
import glob
import json
import os
import unittest

from seiguard_e2e import FIXTURE_DIR, run


def wrap(obj, operation):
    return {
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {
            "uid": "sweep-uid", "operation": operation,
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "namespace": "sweep", "object": obj,
            "oldObject": obj if operation == "UPDATE" else None, "dryRun": False,
        },
    }


class FixtureSweep(unittest.TestCase):
    def check(self, body, label):
        for flags in ([], ["--mutate"]):
            code, out, err = run(["review", *flags], body)
            self.assertIn(code, (0, 2), f"{label} {flags}: exit {code} {err}")
            if code == 0:
                answer = json.loads(out)
                self.assertIn("uid", answer["response"], label)
                self.assertIsInstance(answer["response"]["allowed"], bool, label)
            else:
                self.assertTrue(err.startswith("seiguard review: ") and len(err) > 20, label)
                self.assertEqual(out, b"", label)

    def test_every_shared_fixture(self):
        files = sorted(glob.glob(os.path.join(FIXTURE_DIR, "*", "*.*")))
        files = [f for f in files if not f.endswith(".md")]
        self.assertGreaterEqual(len(files), 20)
        for path in files:
            with open(path, "rb") as f:
                body = f.read()
            self.check(body, os.path.basename(path))
            if path.endswith(".json"):
                obj = json.loads(body)
                if obj.get("kind") != "AdmissionReview":
                    for op in ("CREATE", "UPDATE"):
                        self.check(json.dumps(wrap(obj, op)).encode(), f"{os.path.basename(path)} as Pod {op}")

    def test_review_fixtures_answer_with_their_own_uid(self):
        for path in glob.glob(os.path.join(FIXTURE_DIR, "k8s-api", "admission.k8s.io.*.json")):
            with open(path, "rb") as f:
                body = f.read()
            code, out, err = run(["review"], body)
            self.assertEqual(code, 0, err)
            answer = json.loads(out)
            self.assertEqual(answer["apiVersion"], json.loads(body)["apiVersion"])
            self.assertEqual(answer["response"]["uid"], "uidValue")


if __name__ == "__main__":
    unittest.main()
