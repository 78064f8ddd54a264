"""Starts the real `seiguard serve` on ephemeral loopback ports with freshly
generated certificates, and gives tests real clients: curl, openssl s_client
and raw TLS sockets."""
import json
import os
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

from seiguard_e2e import BINARY, SOURCE

SERVICE_NAME = "seiguard.seiguard-system.svc"


def gen_certs(out_dir, new_ca=False):
    env = dict(os.environ, NEW_CA="1" if new_ca else "0")
    subprocess.run([os.path.join(SOURCE, "certs", "gen-certs.sh"), out_dir],
                   check=True, capture_output=True, env=env, timeout=60)


def serial_of(cert_path):
    out = subprocess.run(["openssl", "x509", "-in", cert_path, "-noout", "-serial"],
                         check=True, capture_output=True, text=True).stdout
    return out.strip().split("=")[1].upper()


class Server:
    """`with Server() as s:` runs seiguard serve until the block ends."""

    def __init__(self, *extra_flags, certs=None, stall_logs=False):
        self.extra = list(extra_flags)
        # stall_logs: stop reading the server's stderr once it is serving, as
        # a stuck container log pipe would, until resume_logs is set.
        self.resume_logs = threading.Event()
        if not stall_logs:
            self.resume_logs.set()
        self.tmp = tempfile.TemporaryDirectory()
        self.certs = certs or os.path.join(self.tmp.name, "certs")
        self.logs = []
        self.proc = None

    def __enter__(self):
        if not os.path.exists(os.path.join(self.certs, "tls.crt")):
            gen_certs(self.certs)
        self.start()
        return self

    def start(self):
        args = [BINARY, "serve",
                "--tls-cert-file", os.path.join(self.certs, "tls.crt"),
                "--tls-private-key-file", os.path.join(self.certs, "tls.key"),
                "--listen-address", "127.0.0.1:0", "--public-listen-address", "127.0.0.1:0",
                "--log-format", "json", *self.extra]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        self.ready = threading.Event()
        threading.Thread(target=self._read_logs, daemon=True).start()
        if not self.ready.wait(10):
            self.proc.kill()
            raise RuntimeError("seiguard serve did not start: " + "\n".join(self.logs))

    def _read_logs(self):
        for line in self.proc.stderr:
            self.logs.append(line.rstrip("\n"))
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("msg") == "serving":
                self.port = int(event["port"])
                self.public_port = int(event["public_port"])
                self.ready.set()
                self.resume_logs.wait()

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        if self.proc and self.proc.stderr:
            self.proc.stderr.close()
        self.tmp.cleanup()

    # -- observations --------------------------------------------------------
    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def events(self, msg):
        out = []
        for line in list(self.logs):
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("msg") == msg:
                out.append(event)
        return out

    def url(self, path):
        return f"https://{SERVICE_NAME}:{self.port}{path}"

    # -- clients -------------------------------------------------------------
    def curl(self, path, body=None, content_type="application/json", extra=(), timeout=20):
        """Returns (status, headers text, body bytes), verifying the server's
        name as the API server does (SAN <svc>.<ns>.svc, CA bundle)."""
        with tempfile.NamedTemporaryFile() as head:
            args = ["curl", "-sS", "--max-time", str(timeout), "--cacert", os.path.join(self.certs, "ca.crt"),
                    "--resolve", f"{SERVICE_NAME}:{self.port}:127.0.0.1", "-D", head.name,
                    "-o", "-", *extra]
            if body is not None:
                args += ["-H", f"Content-Type: {content_type}", "--data-binary", "@-"]
            p = subprocess.run(args + [self.url(path)], input=body, capture_output=True, timeout=timeout + 5)
            with open(head.name, errors="replace") as h:
                headers = h.read()
        # The dump may hold an interim "100 Continue" block first: keep the last.
        blocks = [b for b in headers.replace("\r\n", "\n").split("\n\n") if b.startswith("HTTP/")]
        headers = blocks[-1] if blocks else ""
        status = int(headers.split()[1]) if headers else 0
        return status, headers, p.stdout

    def get_public(self, path):
        import urllib.request
        import urllib.error
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.public_port}{path}", timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def tls_socket(self, timeout=10):
        ctx = ssl.create_default_context(cafile=os.path.join(self.certs, "ca.crt"))
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        # As Go's net/http (the API server's client) does: so what a test
        # measures is the server, not this client's Nagle algorithm.
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return ctx.wrap_socket(raw, server_hostname=SERVICE_NAME)

    def s_client(self, *args, timeout=10):
        p = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{self.port}",
                            "-servername", SERVICE_NAME, *args],
                           input=b"", capture_output=True, timeout=timeout)
        return p.returncode, (p.stdout + p.stderr).decode(errors="replace")


class SharedServerTest(unittest.TestCase):
    """Test cases that share one server, started once for the class."""

    server_flags = ()

    @classmethod
    def setUpClass(cls):
        cls.server = Server(*cls.server_flags).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)


def read_response(sock, limit=1 << 20):
    """Reads one HTTP response (headers + Content-Length body) from a socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data, b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    while len(rest) < length and len(rest) < limit:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head, rest


def wait_until(predicate, timeout=10.0, step=0.05):
    end = time.time() + timeout
    while time.time() < end:
        if predicate():
            return True
        time.sleep(step)
    return False
