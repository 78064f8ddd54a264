"""The release check of the container image (make image-test): the built
image, run as a container runtime would run it, with real TLS clients.

The image's root is mounted from buildah's storage, bound read-only, with
/proc and /dev as a runtime provides them, and every command runs in it as
uid 65532 (chroot --userspec). Not part of make test: it needs the image,
which takes apt and minutes to build (make image).
"""
import contextlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.request

SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
IMAGE = os.environ.get("IMAGE", "localhost/seiguard:dev")
ENV = dict(os.environ, STORAGE_DRIVER=os.environ.get("STORAGE_DRIVER", "vfs"))
LEGACY = os.path.join(SOURCE, "tests/fixtures/seinode/seinode-pod-legacy.review.json")
HOST = "seiguard.seiguard-system.svc"


def sh(*args, **kw):
    return subprocess.run(list(args), check=True, capture_output=True, env=ENV, timeout=120, **kw)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Image(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = contextlib.ExitStack()
        try:
            cls.ctr = sh("buildah", "from", "--pull-never", IMAGE).stdout.decode().strip()
        except subprocess.CalledProcessError as e:
            raise AssertionError("no image %s (make image builds it): %s" % (IMAGE, e.stderr.decode()))
        cls.stack.callback(lambda: subprocess.run(["buildah", "rm", cls.ctr], env=ENV, capture_output=True))
        mnt = sh("buildah", "mount", cls.ctr).stdout.decode().strip()
        cls.stack.callback(lambda: subprocess.run(["buildah", "umount", cls.ctr], env=ENV, capture_output=True))
        cls.tmp = tempfile.mkdtemp(prefix="seiguard-image-")
        cls.stack.callback(shutil.rmtree, cls.tmp, True)
        cls.root = os.path.join(cls.tmp, "root")
        os.mkdir(cls.root)
        # The image's files, read-only, as readOnlyRootFilesystem makes them.
        sh("mount", "--bind", mnt, cls.root)
        cls.stack.callback(lambda: subprocess.run(["umount", "-R", cls.root], capture_output=True))
        sh("mount", "-o", "remount,bind,ro", cls.root)
        sh("mount", "-t", "proc", "proc", os.path.join(cls.root, "proc"))
        sh("mount", "--bind", "/dev", os.path.join(cls.root, "dev"))
        # Serving certificates, mounted where the Deployment mounts them.
        cls.certs = os.path.join(cls.tmp, "certs")
        sh(os.path.join(SOURCE, "certs/gen-certs.sh"), cls.certs)
        for name in os.listdir(cls.certs):
            os.chmod(os.path.join(cls.certs, name), 0o644)  # readable by uid 65532
        os.chmod(cls.certs, 0o755)
        sh("mount", "--bind", "-o", "ro", cls.certs, os.path.join(cls.root, "etc/seiguard/tls"))

    @classmethod
    def tearDownClass(cls):
        cls.stack.close()

    def seiguard(self, *args, stdin=None):
        return subprocess.run(["chroot", "--userspec=65532:65532", self.root, "/usr/local/bin/seiguard", *args],
                              input=stdin, capture_output=True, timeout=60)

    def test_root_is_read_only_and_holds_no_shell(self):
        self.assertTrue(os.statvfs(self.root).f_flag & os.ST_RDONLY)
        for shell in ("bin/sh", "bin/bash", "usr/bin/apt-get", "usr/bin/dpkg"):
            self.assertFalse(os.path.exists(os.path.join(self.root, shell)), shell)
        with open(os.path.join(self.root, "etc/passwd")) as f:
            self.assertIn(":65532:65532:", f.read())

    def test_version_and_rules_work(self):
        p = self.seiguard("--version")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout.decode(), r"^\d+\.\d+\.\d+")
        p = self.seiguard("rules", "-o", "json")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"proxy-ignore-paths", p.stdout)

    def test_serve_answers_as_review_does_and_stops_cleanly(self):
        with open(LEGACY, "rb") as f:
            review = f.read()
        expected = self.seiguard("review", stdin=review)
        self.assertEqual(expected.returncode, 0, expected.stderr)
        port, public = free_port(), free_port()
        server = subprocess.Popen(
            ["chroot", "--userspec=65532:65532", self.root, "/usr/local/bin/seiguard", "serve",
             "--tls-cert-file", "/etc/seiguard/tls/tls.crt", "--tls-private-key-file", "/etc/seiguard/tls/tls.key",
             "--listen-address", "127.0.0.1:%d" % port, "--public-listen-address", "127.0.0.1:%d" % public,
             "--shutdown-delay", "0s", "--shutdown-timeout", "5s"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(server.stderr.close)
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    with urllib.request.urlopen("http://127.0.0.1:%d/readyz" % public, timeout=2) as r:
                        self.assertEqual(r.status, 200)
                        break
                except OSError:
                    self.assertIsNone(server.poll(), server.stderr.read().decode() if server.poll() is not None else "")
                    self.assertLess(time.monotonic(), deadline, "not ready in 20 s")
                    time.sleep(0.1)
            with open("/proc/%d/status" % server.pid) as f:
                self.assertRegex(f.read(), r"\nUid:\s+65532\s")
            # curl, verifying the server's name against the CA, as the API server does.
            answer = subprocess.run(
                ["curl", "-sS", "--fail", "--cacert", os.path.join(self.certs, "ca.crt"),
                 "--resolve", "%s:%d:127.0.0.1" % (HOST, port), "-H", "Content-Type: application/json",
                 "--data-binary", "@" + LEGACY, "https://%s:%d/validate?timeout=10s" % (HOST, port)],
                capture_output=True, timeout=30)
            self.assertEqual(answer.returncode, 0, answer.stderr)
            self.assertEqual(answer.stdout.strip(), expected.stdout.strip())
            self.assertIn(b'"allowed":false', answer.stdout)
            # And openssl s_client: TLS 1.2 or newer only.
            s_client = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-tls1_1"],
                                      input=b"", capture_output=True, timeout=30)
            self.assertNotEqual(s_client.returncode, 0)
            ctx = ssl.create_default_context(cafile=os.path.join(self.certs, "ca.crt"))
            with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                with ctx.wrap_socket(raw, server_hostname=HOST) as tls:
                    self.assertIn(tls.version(), ("TLSv1.2", "TLSv1.3"))
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                code = server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                raise
        self.assertEqual(code, 0, server.stderr.read().decode()[-2000:])


if __name__ == "__main__":
    unittest.main()
