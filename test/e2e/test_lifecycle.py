"""The process's lifecycle as CoreDNS's: what a stop answers before it closes (issue 19)."""
import signal
import socket
import threading
import time

from harness import (
    build_query, frame, free_port, parse_message, tcp_connect, tcp_read_reply, wait_until,
)


class DelayedUpstream:
    """A UDP upstream on 127.0.0.1 that answers every query (NOERROR, no records) after
    `delay` seconds."""

    def __init__(self, delay: float):
        self.delay = delay
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stopped = False
        self.received = 0  # queries read so far
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stopped:
            try:
                data, addr = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            self.received += 1
            threading.Timer(self.delay, self.answer, (data, addr)).start()

    def answer(self, data, addr):
        hdr = bytearray(data[:12])
        hdr[2] |= 0x80
        try:
            self.sock.sendto(bytes(hdr) + data[12:], addr)
        except OSError:
            pass

    def close(self):
        self.stopped = True
        self.thread.join(2)
        self.sock.close()


def test_sigterm_answers_the_queries_in_flight_before_closing(start_cxxdns):
    """Without lameduck, SIGTERM used to close the sockets at once: 24 queries waiting on
    the upstream all timed out. They are answered now, then the server exits."""
    up = DelayedUpstream(1.0)
    try:
        srv = start_cxxdns(f"""slow.test:{{PORT}} {{
    bind 127.0.0.1
    forward . 127.0.0.1:{up.port} {{
        max_fails 0
        prefer_udp
    }}
}}
.:{{PORT}} {{
    bind 127.0.0.1
    whoami
}}
""", workers=2)
        socks = []
        for i in range(24):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            s.sendto(build_query(f"q{i}.slow.test", "A", 1000 + i), ("127.0.0.1", srv.port))
            socks.append(s)
        t = tcp_connect(srv.port)
        t.sendall(frame(build_query("tcp.slow.test.", "A", 77)))
        # All of them wait on the upstream now (the TCP one too: prefer_udp sends it there
        # over UDP, where it is held like the others).
        wait_until(lambda: up.received >= 25, timeout=10, what="25 queries upstream")
        start = time.monotonic()
        srv.send_signal(signal.SIGTERM)
        answered = 0
        for i, s in enumerate(socks):
            s.settimeout(5)
            try:
                m = parse_message(s.recv(65535))
                answered += m.id == 1000 + i and m.rcode == "NOERROR"
            except socket.timeout:
                pass
            s.close()
        m = tcp_read_reply(t, timeout=5)
        t.close()
        assert answered == 24
        assert m is not None and parse_message(m).id == 77
        assert parse_message(m).rcode == "NOERROR"  # the upstream's answer, not a SERVFAIL
        assert srv.stop() == 0
        assert time.monotonic() - start < 5
    finally:
        up.close()


WHOAMI = """example.org:{PORT} {
    bind 127.0.0.1
    whoami
}
"""

LAMEDUCK = """example.org:{PORT} {
    bind 127.0.0.1
    health 127.0.0.1:%d {
        lameduck 10s
    }
    whoami
}
"""


def test_sigterm_repeated_during_the_stop_does_not_kill_it(start_cxxdns):
    """A supervisor may send SIGTERM again while the server stops: the first one's stop goes
    on and the exit code stays 0, as CoreDNS's (its signals are caught until it exits). They
    used to find the default action once the handles were closed: the process died of the
    signal (exit -15) halfway through its exit."""
    srv = start_cxxdns(WHOAMI, workers=2)
    assert srv.query("a.example.org", "A").rcode == "NOERROR"
    deadline = time.monotonic() + 10
    while srv.proc.poll() is None and time.monotonic() < deadline:
        srv.send_signal(signal.SIGTERM)  # every 0.2 ms, from the first to the exit
        time.sleep(0.0002)
    assert srv.stop() == 0
    # CoreDNS's line, once.
    assert srv.stdout_text().count("[INFO] SIGTERM: Shutting down servers then terminating\n") == 1


def test_second_sigint_quits_at_once_and_sigquit_quits(start_cxxdns):
    """As CoreDNS (its caddy's signal trap): the first SIGINT stops as SIGTERM does (here into
    a 10 s lameduck), a second one quits at once with exit code 2; SIGQUIT quits at once with
    0. The pidfile goes in both cases."""
    for sig, code, lines in (
            (signal.SIGINT, 2, ["[INFO] SIGINT: Shutting down", "[INFO] SIGINT: Force quit"]),
            (signal.SIGQUIT, 0, ["[INFO] SIGQUIT: Quitting process immediately"])):
        srv = start_cxxdns(LAMEDUCK % free_port(), workers=2, args=["-pidfile", "cxxdns.pid"])
        pidfile = srv.dir / "cxxdns.pid"
        wait_until(pidfile.exists, what="the pidfile")
        start = time.monotonic()
        srv.send_signal(sig)
        if sig == signal.SIGINT:
            srv.wait_for_log(r"plugin/health: Going into lameduck mode for 10s")
            assert srv.proc.poll() is None  # in the lameduck
            srv.send_signal(sig)
        assert srv.proc.wait(5) == code, sig
        assert time.monotonic() - start < 5  # not after the lameduck
        got = [ln for ln in srv.stdout_text().splitlines() if ln.startswith("[INFO] SIG")]
        assert got == lines, got
        assert not pidfile.exists()
        srv.stop()
