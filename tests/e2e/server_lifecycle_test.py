"""Certificate rotation while requests run, and graceful shutdown."""
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

from seiguard_e2e import fixture
from server_harness import Server, gen_certs, read_response, serial_of, wait_until


def served_serial(server):
    sock = server.tls_socket()
    der = sock.getpeercert(binary_form=True)
    sock.close()
    out = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-serial"], input=der,
                         capture_output=True, check=True).stdout.decode()
    return out.strip().split("=")[1].upper()


class Rotation(unittest.TestCase):
    def test_rotation_under_load_serves_the_new_pair_without_a_failed_request(self):
        with Server("--tls-reload-interval", "200ms") as s:
            old = serial_of(os.path.join(s.certs, "tls.crt"))
            self.assertEqual(served_serial(s), old)
            results, stop = [], threading.Event()
            body = fixture("seinode-pod-legacy")

            def load():
                while not stop.is_set():  # a new connection (and handshake) each time
                    results.append(s.curl("/validate", body)[0])

            workers = [threading.Thread(target=load) for _ in range(3)]
            for w in workers:
                w.start()
            time.sleep(1)
            gen_certs(s.certs)  # same CA, new serving pair, files replaced by rename
            new = serial_of(os.path.join(s.certs, "tls.crt"))
            self.assertNotEqual(new, old)
            self.assertTrue(wait_until(lambda: served_serial(s) == new, 5), "new certificate never served")
            time.sleep(1)
            stop.set()
            for w in workers:
                w.join()
            self.assertGreater(len(results), 10)
            self.assertEqual([r for r in results if r != 200], [], "requests failed during rotation")
            self.assertTrue(s.events("serving certificate reloaded"))
            self.assertIn('seiguard_tls_reloads_total{result="ok"} 1', s.get_public("/metrics")[1])

    def test_a_mismatched_pair_is_ignored_and_the_old_one_kept(self):
        with Server("--tls-reload-interval", "200ms") as s, tempfile.TemporaryDirectory() as other:
            old = served_serial(s)
            gen_certs(other, new_ca=True)
            shutil.copy(os.path.join(other, "tls.key"), os.path.join(s.certs, "tls.key"))
            self.assertTrue(wait_until(lambda: s.events("serving certificate not reloaded; keeping the current one"), 5))
            self.assertEqual(served_serial(s), old)
            self.assertEqual(s.get_public("/readyz")[0], 200)
            self.assertEqual(s.curl("/validate", fixture("seinode-pod-split"))[0], 200)
            self.assertIn('seiguard_tls_reloads_total{result="error"}', s.get_public("/metrics")[1])
            error = s.events("serving certificate not reloaded; keeping the current one")[0]["error"]
            self.assertIn("does not match", error)


    def test_an_unreadable_certificate_file_keeps_the_old_pair(self):
        with Server("--tls-reload-interval", "200ms") as s:
            old = served_serial(s)
            cert = os.path.join(s.certs, "tls.crt")
            os.rename(cert, cert + ".away")
            self.assertTrue(wait_until(lambda: s.events("serving certificate not reloaded; keeping the current one"), 5))
            self.assertEqual(served_serial(s), old)
            self.assertEqual(s.get_public("/readyz")[0], 200)
            os.rename(cert + ".away", cert)


class Logging(unittest.TestCase):
    def test_a_stalled_log_reader_never_stalls_admission(self):
        """stderr is a pipe nobody reads (a stuck container log pipe): the
        pipe and stdio buffers fill after a few hundred decision lines. A
        synchronous logger would block every request thread there; seiguard
        keeps answering, drops the lines its queue cannot hold and counts them."""
        body = fixture("plain-pod")
        request = (b"POST /validate HTTP/1.1\r\nHost: seiguard\r\nContent-Type: application/json\r\n"
                   b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        with Server(stall_logs=True) as s:
            sock = s.tls_socket(timeout=5)
            answered = 0
            for _ in range(3000):  # more than the pipe and the 256 KiB queue hold
                sock.sendall(request)
                head, _ = read_response(sock)  # a stalled request would time out here
                self.assertTrue(head.startswith(b"HTTP/1.1 200"), head[:100])
                answered += 1
            sock.close()
            self.assertEqual(answered, 3000)
            status, metrics = s.get_public("/metrics")
            self.assertEqual(status, 200)
            dropped = [l for l in metrics.splitlines() if l.startswith("seiguard_log_lines_dropped_total ")]
            self.assertEqual(len(dropped), 1, metrics)
            self.assertGreater(float(dropped[0].split()[1]), 0)
            s.resume_logs.set()
            self.assertTrue(wait_until(lambda: any('"decision"' in l for l in s.logs[-50:]), timeout=10))


class Shutdown(unittest.TestCase):
    def test_sigterm_drops_readiness_first_and_finishes_the_request_in_flight(self):
        with Server("--shutdown-delay", "1s", "--shutdown-timeout", "6s") as s:
            body = fixture("seinode-pod-needs-injection")
            sock = s.tls_socket()
            half = len(body) // 2
            sock.sendall(b"POST /mutate?timeout=10s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         + f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:half])
            time.sleep(0.2)
            start = time.time()
            s.proc.send_signal(signal.SIGTERM)
            self.assertTrue(wait_until(lambda: s.get_public("/readyz")[0] == 503, 0.5),
                            "/readyz must answer 503 at once")
            # Still serving during the delay (endpoints are being removed).
            self.assertEqual(s.curl("/validate", fixture("seinode-pod-split"))[0], 200)
            time.sleep(1.5)  # past the delay: the listener is closed, our request is in flight
            sock.sendall(body[half:])
            head, answer = read_response(sock)
            self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
            self.assertIn(b"Connection: close", head)
            self.assertIn(b'"patchType":"JSONPatch"', answer)
            sock.close()
            self.assertEqual(s.proc.wait(6), 0)
            self.assertLess(time.time() - start, 6)
            self.assertTrue(s.events("stopped"))

    def test_idle_keep_alive_connections_do_not_hold_up_the_exit(self):
        with Server("--shutdown-delay", "200ms", "--shutdown-timeout", "20s") as s:
            idle = []
            for _ in range(5):
                sock = s.tls_socket()
                body = fixture("seinode-pod-split")
                sock.sendall(b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                             + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
                read_response(sock)
                idle.append(sock)  # keep-alive: 60 s unless closed by the drain
            start = time.time()
            s.proc.send_signal(signal.SIGTERM)
            self.assertEqual(s.proc.wait(20), 0)
            self.assertLess(time.time() - start, 3)
            for sock in idle:
                sock.close()

    def test_sigint_and_sigterm_always_reach_the_shutdown_path(self):
        # A signal delivered to a thread that has not blocked it kills the
        # process (exit -2/-15): repeated, since which thread gets it varies.
        for i in range(6):
            sig = signal.SIGINT if i % 2 else signal.SIGTERM
            with Server("--shutdown-delay", "0s", "--shutdown-timeout", "5s") as s:
                s.proc.send_signal(sig)
                self.assertEqual(s.proc.wait(5), 0, f"signal {sig}")


if __name__ == "__main__":
    unittest.main()
