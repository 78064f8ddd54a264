"""TLS as configured by seiguard, observed with real clients: openssl
s_client and curl."""
import os
import tempfile
import unittest

from seiguard_e2e import fixture
from server_harness import Server, gen_certs


class Versions(unittest.TestCase):
    def test_tls_1_0_and_1_1_refused_1_2_and_1_3_accepted(self):
        with Server() as s:
            for flag in ("-tls1", "-tls1_1"):
                code, out = s.s_client(flag)
                self.assertNotEqual(code, 0, out)
                self.assertIn("Cipher is (NONE)", out)
            code, out = s.s_client("-tls1_2")
            self.assertEqual(code, 0, out)
            self.assertIn("Protocol  : TLSv1.2", out)
            code, out = s.s_client("-tls1_3")
            self.assertEqual(code, 0, out)
            self.assertIn("TLSv1.3", out)

    def test_tls_1_2_offers_only_ecdhe_with_aead(self):
        with Server() as s:
            for weak in ("AES128-SHA", "AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-SHA", "DHE-RSA-AES128-GCM-SHA256"):
                code, out = s.s_client("-tls1_2", "-cipher", weak)
                self.assertNotEqual(code, 0, weak)
            code, out = s.s_client("-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384")
            self.assertEqual(code, 0, out)
            self.assertIn("Compression: NONE", out)

    def test_minimum_version_1_3_refuses_1_2(self):
        with Server("--tls-min-version", "1.3") as s:
            self.assertNotEqual(s.s_client("-tls1_2")[0], 0)
            self.assertEqual(s.s_client("-tls1_3")[0], 0)

    def test_h2_is_never_negotiated(self):
        with Server() as s:
            code, out = s.s_client("-alpn", "h2")
            self.assertEqual(code, 0, out)
            self.assertIn("No ALPN negotiated", out)
            code, out = s.s_client("-alpn", "h2,http/1.1")
            self.assertIn("ALPN protocol: http/1.1", out)

    def test_renegotiation_is_refused(self):
        with Server() as s:
            import subprocess
            p = subprocess.run(["openssl", "s_client", "-tls1_2", "-connect", f"127.0.0.1:{s.port}"],
                               input=b"R\n", capture_output=True, timeout=10)
            out = (p.stdout + p.stderr).decode(errors="replace")
            self.assertIn("RENEGOTIATING", out)
            self.assertTrue("no renegotiation" in out or "alert" in out.lower(), out[-500:])


class ClientCertificates(unittest.TestCase):
    def test_mtls_requires_a_certificate_from_the_configured_ca(self):
        with tempfile.TemporaryDirectory() as tmp:
            clients, strangers = os.path.join(tmp, "clients"), os.path.join(tmp, "strangers")
            gen_certs(clients)
            gen_certs(strangers)
            with Server("--client-ca-file", os.path.join(clients, "ca.crt")) as s:
                body = fixture("seinode-pod-split")
                status, _, _ = s.curl("/validate", body)
                self.assertEqual(status, 0, "no client certificate must be refused")
                wrong = ["--cert", os.path.join(strangers, "client.crt"), "--key", os.path.join(strangers, "client.key")]
                status, _, _ = s.curl("/validate", body, extra=wrong)
                self.assertEqual(status, 0, "a certificate from another CA must be refused")
                right = ["--cert", os.path.join(clients, "client.crt"), "--key", os.path.join(clients, "client.key")]
                status, _, answer = s.curl("/validate", body, extra=right)
                self.assertEqual(status, 200)
                self.assertIn(b'"allowed":true', answer)

    def test_without_a_client_ca_no_certificate_is_asked_for(self):
        with Server() as s:
            code, out = s.s_client()
            self.assertNotIn("Acceptable client certificate CA names", out)


if __name__ == "__main__":
    unittest.main()
