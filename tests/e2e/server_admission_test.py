"""seiguard serve answers admission requests exactly as `seiguard review`,
over TLS verified the way the API server verifies it."""
import glob
import json
import os
import unittest

from seiguard_e2e import FIXTURE_DIR, FIXTURES, fixture, run
from server_harness import Server, SharedServerTest, wait_until


class AnswersLikeReview(SharedServerTest):
    def test_every_fixture_on_both_endpoints_matches_review_byte_for_byte(self):
        bodies = [fixture(n) for n in FIXTURES]
        for path in glob.glob(os.path.join(FIXTURE_DIR, "k8s-api", "admission.k8s.io.*.json")):
            with open(path, "rb") as f:
                bodies.append(f.read())
        for body in bodies:
            for endpoint, flags in (("/validate", []), ("/mutate", ["--mutate"])):
                code, expected, err = run(["review", *flags], body)
                self.assertEqual(code, 0, err)
                status, headers, got = self.server.curl(endpoint + "?timeout=10s", body)
                self.assertEqual(status, 200, headers)
                self.assertIn("content-type: application/json", headers.lower())
                self.assertEqual(got, expected)

    def test_logs_one_structured_line_per_decision(self):
        # The server is shared: wait for one more validate line of this uid
        # than before (lines are written in batches, at least every 200 ms).
        find = lambda: [e for e in self.server.events("admission")
                        if e["uid"] == "3f6c2a1e-9b7d-4e5f-a8c0-1d2e3f4a5b6c" and e["endpoint"] == "validate"]
        before = len(find())
        self.server.curl("/validate", fixture("seinode-pod-legacy"))
        self.assertTrue(wait_until(lambda: len(find()) > before, 3), "decision lines are written within a second")
        e = find()[-1]
        for key, value in [("kind", "Pod"), ("namespace", "pacific-1"), ("name", "pacific-1-val-0-0"),
                           ("operation", "CREATE"), ("dryRun", False), ("decision", "denied"),
                           ("endpoint", "validate")]:
            self.assertEqual(e[key], value, e)
        self.assertIn("proxy-ignore-paths", e["rules"])
        self.assertIsInstance(e["latency_ms"], (int, float))
        # Never the object itself.
        self.assertFalse(any("managedFields" in line for line in self.server.logs))

    def test_unknown_paths_and_methods_get_short_plain_answers(self):
        status, headers, body = self.server.curl("/nope")
        self.assertEqual(status, 404)
        self.assertIn(b"not found", body)
        status, headers, body = self.server.curl("/validate")
        self.assertEqual(status, 405)
        self.assertIn("allow: post", headers.lower())

    def test_not_an_admission_review_is_a_400_with_the_reason(self):
        status, _, body = self.server.curl("/validate", b'{"kind":"Pod"}')
        self.assertEqual(status, 400)
        self.assertIn(b"not an AdmissionReview", body)

    def test_health_readiness_and_metrics_on_the_plain_listener(self):
        self.assertEqual(self.server.get_public("/healthz"), (200, "ok\n"))
        self.assertEqual(self.server.get_public("/readyz"), (200, "ready\n"))
        self.server.curl("/mutate", fixture("seinode-pod-needs-injection"))
        status, text = self.server.get_public("/metrics")
        self.assertEqual(status, 200)
        for name in ["seiguard_admission_requests_total{endpoint=\"mutate\",operation=\"CREATE\",kind=\"Pod\",decision=\"patched\"}",
                     "seiguard_admission_duration_seconds_bucket", "seiguard_findings_total",
                     "seiguard_admission_in_flight", "seiguard_tls_reloads_total",
                     "seiguard_tls_certificate_expiry_timestamp_seconds", "seiguard_build_info",
                     "seiguard_http_refusals_total"]:
            self.assertIn(name, text)
        self.assertNotIn("pacific-1", text)  # no object names in label values
        self.assertEqual(self.server.get_public("/other")[0], 404)


class Flags(unittest.TestCase):
    def test_every_bad_flag_is_reported_at_once(self):
        code, _, err = run(["serve", "--tls-cert-file", "/nonexistent.crt", "--tls-min-version", "1.1",
                            "--listen-address", "nowhere", "--log-format", "xml", "--max-request-bytes", "-5",
                            "--shutdown-delay", "soon"], timeout=10)
        self.assertEqual(code, 2)
        for fragment in ["--tls-cert-file: /nonexistent.crt is not a readable file",
                         "--tls-private-key-file is required", "--tls-min-version: must be 1.2 or 1.3",
                         "--listen-address:", "--log-format: must be json or text",
                         "--max-request-bytes: must be an integer", "--shutdown-delay: not a duration"]:
            self.assertIn(fragment, err)

    def test_a_key_that_does_not_match_fails_fast(self):
        with Server() as a, Server() as b:
            code, _, err = run(["serve", "--tls-cert-file", os.path.join(a.certs, "tls.crt"),
                                "--tls-private-key-file", os.path.join(b.certs, "tls.key"),
                                "--listen-address", "127.0.0.1:0", "--public-listen-address", "127.0.0.1:0"],
                               timeout=10)
        self.assertEqual(code, 2)
        self.assertIn("does not match", err)


if __name__ == "__main__":
    unittest.main()
