"""What the server refuses at the edge, before the body is read, and that
hostile bodies leave it alive with bounded memory."""
import socket
import struct
import threading
import time
import unittest

from seiguard_e2e import fixture
from server_harness import Server, SharedServerTest, read_response

# Each of these must leave the process with at most this much resident memory.
RSS_LIMIT_KIB = 64 * 1024


def request_head(path="/validate", content_type="application/json", extra=""):
    return (f"POST {path} HTTP/1.1\r\nHost: seiguard.seiguard-system.svc\r\n"
            f"Content-Type: {content_type}\r\n{extra}\r\n").encode()


class EdgeRefusals(SharedServerTest):
    def assertAlive(self):
        status, _, body = self.server.curl("/validate", fixture("seinode-pod-split"))
        self.assertEqual(status, 200)
        self.assertLess(self.server.rss_kib(), RSS_LIMIT_KIB)

    def refusal(self, head, body=b""):
        """Sends a request, returns (status line, headers, whether the server then closed)."""
        s = self.server.tls_socket()
        s.sendall(head + body)
        resp_head, _ = read_response(s)
        s.settimeout(3)
        try:
            closed = s.recv(1) == b""
        except (ConnectionError, OSError):
            closed = True
        s.close()
        return resp_head.decode(errors="replace"), closed

    def test_wrong_content_type_is_415_and_closes(self):
        head, closed = self.refusal(request_head(content_type="text/plain", extra="Content-Length: 2\r\n"), b"{}")
        self.assertTrue(head.startswith("HTTP/1.1 415"), head)
        self.assertTrue(closed)

    def test_chunked_body_is_411_and_closes(self):
        head, closed = self.refusal(request_head(extra="Transfer-Encoding: chunked\r\n"), b"2\r\n{}\r\n")
        self.assertTrue(head.startswith("HTTP/1.1 411"), head)
        self.assertTrue(closed)

    def test_missing_content_length_is_411(self):
        head, closed = self.refusal(request_head())
        self.assertTrue(head.startswith("HTTP/1.1 411"), head)
        self.assertTrue(closed)

    def test_declared_length_over_the_limit_is_413_before_reading(self):
        head, closed = self.refusal(request_head(extra=f"Content-Length: {64 << 20}\r\n"), b"{" * 4096)
        self.assertTrue(head.startswith("HTTP/1.1 413"), head)
        self.assertTrue(closed)

    def test_a_64_mib_body_leaves_the_process_alive_and_small(self):
        status, _, body = self.server.curl("/validate", b"[" * (64 << 20))
        self.assertIn(status, (0, 413))  # curl may see the reset while still sending
        self.assertAlive()

    def test_an_endless_chunked_body_does_not_grow_the_process(self):
        s = self.server.tls_socket()
        s.sendall(request_head(extra="Transfer-Encoding: chunked\r\n"))
        sent = 0
        end = time.time() + 3
        try:
            while time.time() < end:
                s.sendall(b"10000\r\n" + b"[" * 0x10000 + b"\r\n")
                sent += 0x10000
        except (ConnectionError, OSError):
            pass  # the server closed the connection: what we want
        s.close()
        self.assertAlive()

    def test_a_depth_bomb_is_a_400_with_a_clear_message(self):
        bomb = b"[" * 1000000 + b"]" * 1000000
        status, headers, body = self.server.curl("/validate", bomb)
        self.assertEqual(status, 400, (headers, body[:200], self.server.logs[-3:]))
        self.assertIn(b"nested deeper than 64 levels", body)
        self.assertAlive()

    def test_header_flood_is_cut_off(self):
        s = self.server.tls_socket()
        s.sendall(b"POST /validate HTTP/1.1\r\nHost: x\r\n")
        closed = False
        line = b"X-Flood: " + b"a" * 1000 + b"\r\n"
        sent, end = 0, time.time() + 20
        try:
            # Far more than any socket buffer could absorb if nobody read it.
            while sent < (256 << 20) and time.time() < end:
                s.sendall(line * 64)
                sent += len(line) * 64
        except (ConnectionError, OSError):
            closed = True
        s.close()
        self.assertTrue(closed, "the server must stop reading an endless header")
        self.assertAlive()

    def test_refusals_never_echo_exception_text(self):
        for head in (request_head(content_type="text/plain", extra="Content-Length: 0\r\n"),
                     request_head(extra="Content-Length: abc\r\n"),
                     b"GARBAGE\r\n\r\n"):
            text, _ = self.refusal(head)
            self.assertNotIn("EXCEPTION_WHAT", text.upper())

    def test_garbage_instead_of_tls_is_dropped(self):
        raw = socket.create_connection(("127.0.0.1", self.server.port), timeout=5)
        raw.sendall(b"GET / HTTP/1.1\r\n\r\n" + bytes(range(256)) * 10)
        try:
            data = raw.recv(100)
        except (ConnectionError, OSError):
            data = b""
        raw.close()
        self.assertNotIn(b"HTTP/1.1 200", data)
        self.assertAlive()

    def test_long_request_lines_are_refused_or_routed_never_fatal(self):
        for n in (3500, 4000, 20000):
            text, _ = self.refusal(b"POST /" + b"a" * n + b"?x=" + b"b" * n + b" HTTP/1.1\r\nHost: x\r\n"
                                   b"Content-Length: 0\r\n\r\n")
            self.assertRegex(text, r"^HTTP/1.1 (404|414)")
        self.assertAlive()

    def test_the_timeout_query_parameter_is_a_deadline(self):
        body = fixture("seinode-pod-split")
        s = self.server.tls_socket()
        s.sendall(b"POST /validate?timeout=1s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  + f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:100])
        time.sleep(1.3)
        s.sendall(body[100:])
        head, answer = read_response(s)
        s.close()
        self.assertTrue(head.startswith(b"HTTP/1.1 504"), head)
        self.assertIn(b"deadline exceeded", answer)

    def test_keep_alive_connections_are_reused_without_nagle_delays(self):
        s = self.server.tls_socket()
        body = fixture("seinode-pod-split")
        times = []
        for _ in range(20):
            start = time.perf_counter()
            s.sendall(request_head(extra=f"Content-Length: {len(body)}\r\n") + body)
            head, answer = read_response(s)
            times.append(time.perf_counter() - start)
            self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
            self.assertIn(b'"allowed":true', answer)
            self.assertNotIn(b"Connection: close", head)
        s.close()
        # With Nagle on, each answer would wait for a delayed ACK (~40 ms).
        times.sort()
        self.assertLess(times[len(times) // 2], 0.02, times)

    def test_each_answer_leaves_in_one_write(self):
        """Head and body are gathered and sent with one write: one TCP
        segment (loopback MSS is ~64 KiB) and one wake-up of the client.
        Counted by the client's kernel (TCP_INFO tcpi_data_segs_in), from the
        second request on: the first may share its count with the session
        tickets the server sends after the handshake."""
        def data_segments_in(sock):
            info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
            return struct.unpack_from("I", info, 152)[0]  # struct tcp_info.tcpi_data_segs_in
        s = self.server.tls_socket()
        body = fixture("seinode-pod-legacy")
        for i in range(4):
            before = data_segments_in(s)
            s.sendall(request_head(extra=f"Content-Length: {len(body)}\r\n") + body)
            head, answer = read_response(s)
            self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
            self.assertIn(b'"allowed":false', answer)
            if i > 0:
                self.assertEqual(data_segments_in(s) - before, 1, "the answer came in more than one segment")
        s.close()

    def test_expect_100_continue_is_answered_before_the_body_is_sent(self):
        """The interim answer must not wait in the write buffer: the client
        sends its body only after it (on a fresh and on a reused connection)."""
        s = self.server.tls_socket(timeout=3)
        body = fixture("seinode-pod-legacy")
        for _ in range(2):
            s.sendall(request_head(extra=f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n"))
            interim = b""
            while b"\r\n\r\n" not in interim:
                chunk = s.recv(4096)  # times out (3 s) if the 100 is held back
                self.assertTrue(chunk, "connection closed")
                interim += chunk
            self.assertTrue(interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), interim)
            s.sendall(body)
            head, answer = read_response(s)
            self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
            self.assertIn(b'"allowed":false', answer)
        s.close()


class Concurrency(unittest.TestCase):
    def test_256_idle_or_slow_connections_do_not_delay_a_valid_request(self):
        with Server() as server:
            hostile = []
            for i in range(256):
                if i % 3 == 0:  # idle plain TCP, no handshake
                    hostile.append(socket.create_connection(("127.0.0.1", server.port), timeout=10))
                else:  # TLS established, then idle (i % 3 == 1) or one header byte a second
                    hostile.append(server.tls_socket())
            slow = [s for i, s in enumerate(hostile) if i % 3 == 2]
            stop = threading.Event()

            def trickle():
                while not stop.is_set():
                    for s in slow:
                        try:
                            s.send(b"P")
                        except OSError:
                            pass
                    stop.wait(1.0)

            t = threading.Thread(target=trickle, daemon=True)
            t.start()
            time.sleep(2)
            worst = 0.0
            for _ in range(5):
                start = time.time()
                status, _, answer = server.curl("/validate", fixture("seinode-pod-legacy"))
                worst = max(worst, time.time() - start)
                self.assertEqual(status, 200)
                self.assertIn(b'"allowed":false', answer)
            stop.set()
            t.join()
            for s in hostile:
                s.close()
            self.assertLess(worst, 1.0, f"a valid request took {worst:.3f}s behind 256 hostile connections")


if __name__ == "__main__":
    unittest.main()
