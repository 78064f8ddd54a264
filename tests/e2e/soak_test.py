"""Soak: mixed traffic against the real server. Valid reviews of every
fixture on keep-alive connections, with malformed JSON, depth bombs,
oversized and endless chunked bodies, slow and idle connections, TLS garbage
and a certificate rotation midway. Asserts: no valid request fails or takes
1 s, the process never restarts, RSS at the end is within 10 % of RSS after
warm-up, no file descriptor leaks.

CI runs 30 s. The long soak:  SOAK_SECONDS=600 python3 -m unittest soak_test
(from tests/e2e, with SEIGUARD=build/seiguard)."""
import os
import random
import socket
import threading
import time
import unittest

from seiguard_e2e import FIXTURES, fixture
from server_harness import Server, gen_certs, read_response

SECONDS = float(os.environ.get("SOAK_SECONDS", "30"))


def post(path, body, content_type="application/json", extra=""):
    return (f"POST {path} HTTP/1.1\r\nHost: seiguard.seiguard-system.svc\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n{extra}\r\n").encode() + body


class Soak(unittest.TestCase):
    def test_soak(self):
        with Server("--tls-reload-interval", "500ms") as s:
            stop = threading.Event()
            failures, latencies, counts = [], [], {"valid": 0, "hostile": 0}
            lock = threading.Lock()
            bodies = [fixture(n) for n in FIXTURES]

            def valid_loop(seed):
                rnd = random.Random(seed)
                sock = None
                while not stop.is_set():
                    try:
                        if sock is None or rnd.random() < 0.05:  # sometimes a new connection (and handshake)
                            if sock:
                                sock.close()
                            sock = s.tls_socket()
                        body = rnd.choice(bodies)
                        path = rnd.choice(["/validate", "/mutate"])
                        start = time.time()
                        sock.sendall(post(path, body))
                        head, answer = read_response(sock)
                        took = time.time() - start
                        ok = head.startswith(b"HTTP/1.1 200") and b'"allowed"' in answer
                        with lock:
                            latencies.append(took)
                            counts["valid"] += 1
                            if not ok or took >= 1.0:
                                failures.append((path, head[:80], round(took, 3)))
                        if b"Connection: close" in head:
                            sock.close()
                            sock = None
                    except OSError as e:
                        with lock:
                            failures.append(("socket", repr(e)))
                        sock = None

            def hostile(kind):
                try:
                    if kind == "garbage":
                        raw = socket.create_connection(("127.0.0.1", s.port), timeout=2)
                        raw.sendall(os.urandom(512))
                        try:
                            raw.recv(64)
                        except OSError:
                            pass
                        raw.close()
                        return
                    t = s.tls_socket(timeout=3)
                    if kind == "malformed":
                        t.sendall(post("/validate", b'{"apiVersion": "admission.k8s.io/v1", "kind": '))
                    elif kind == "depth":
                        t.sendall(post("/mutate", b"[" * 100000))
                    elif kind == "oversized":
                        t.sendall(post("/validate", b"", extra=f"Content-Length: {1 << 30}\r\n")[:-2])
                    elif kind == "chunked":
                        t.sendall(b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                  b"Transfer-Encoding: chunked\r\n\r\n")
                        end = time.time() + 0.3
                        while time.time() < end:
                            t.sendall(b"1000\r\n" + b"[" * 4096 + b"\r\n")
                    elif kind == "slow":
                        for ch in b"POST /validate HTTP/1.1\r\n":
                            if stop.is_set():
                                break
                            t.send(bytes([ch]))
                            time.sleep(0.3)
                    elif kind == "wrong-type":
                        t.sendall(post("/validate", b"x", content_type="text/plain"))
                    try:
                        t.settimeout(2)
                        t.recv(256)
                    except OSError:
                        pass
                    t.close()
                except OSError:
                    pass  # refused, reset or cut off: expected for hostile traffic
                with lock:
                    counts["hostile"] += 1

            def hostile_loop(seed):
                rnd = random.Random(seed)
                kinds = ["garbage", "malformed", "depth", "oversized", "chunked", "slow", "wrong-type"]
                while not stop.is_set():
                    hostile(rnd.choice(kinds))

            # Warm-up, then the baseline.
            warm = [threading.Thread(target=valid_loop, args=(i,)) for i in range(2)]
            for t in warm:
                t.start()
            time.sleep(3)
            stop.set()
            for t in warm:
                t.join()
            time.sleep(1)
            pid = s.proc.pid
            rss_base = s.rss_kib()
            fds_base = len(os.listdir(f"/proc/{pid}/fd"))
            threads_base = len(os.listdir(f"/proc/{pid}/task"))
            stop.clear()
            failures.clear()

            idle = []
            for _ in range(20):
                idle.append(s.tls_socket())
            threads = [threading.Thread(target=valid_loop, args=(10 + i,)) for i in range(3)]
            threads += [threading.Thread(target=hostile_loop, args=(20 + i,)) for i in range(3)]
            for t in threads:
                t.start()
            time.sleep(SECONDS / 2)
            gen_certs(s.certs)  # rotation midway
            time.sleep(SECONDS / 2)
            stop.set()
            for t in threads:
                t.join(30)
            for sock in idle:
                sock.close()

            self.assertEqual(s.proc.poll(), None, "the server exited")
            self.assertEqual(s.proc.pid, pid)
            self.assertEqual(failures, [], f"{len(failures)} valid requests failed or took >= 1 s")
            self.assertGreater(counts["valid"], 100)
            self.assertGreater(counts["hostile"], 20)
            self.assertTrue(s.events("serving certificate reloaded"))
            # Connections close and surplus workers retire; then compare.
            settled = lambda: len(os.listdir(f"/proc/{pid}/fd")) <= fds_base
            deadline = time.time() + 40
            while time.time() < deadline and not settled():
                time.sleep(0.5)
            self.assertLessEqual(len(os.listdir(f"/proc/{pid}/fd")), fds_base, "file descriptors leaked")
            # Surplus workers retire after 30 s idle; the heap is trimmed every 10 s.
            deadline = time.time() + 45
            while time.time() < deadline and len(os.listdir(f"/proc/{pid}/task")) > threads_base:
                time.sleep(1)
            time.sleep(11)
            rss_end = s.rss_kib()
            self.assertLessEqual(rss_end, rss_base * 1.10,
                                 f"RSS grew from {rss_base} KiB after warm-up to {rss_end} KiB")
            latencies.sort()
            print(f"\nsoak: {counts['valid']} valid ({len(latencies)} timed, p99 "
                  f"{latencies[int(len(latencies) * 0.99)] * 1000:.1f} ms), {counts['hostile']} hostile, "
                  f"RSS {rss_base} -> {rss_end} KiB, fds {fds_base}")


if __name__ == "__main__":
    unittest.main()
