"""forward: proxying to real upstreams (unbound, and tiny scripted UDP servers) on 127.0.0.1:
answers, failover past a dead upstream, `next` on an upstream's REFUSED, truncation and TCP,
wrong-ID answers ignored, max_concurrent, health checks that mark an upstream down and up."""

import socket
import struct
import subprocess
import threading
import time

import pytest

from harness import (
    build_query, free_port, parse_message, run_cxxdns, udp_query, wait_until,
)

ZONE = "example.net."
DATA = [
    "www.example.net. 300 IN A 192.0.2.1",
    "www.example.net. 300 IN AAAA 2001:db8::1",
] + [f"big.example.net. 300 IN A 198.51.100.{i}" for i in range(1, 41)]


def forward_corefile(to, options=""):
    block = f" {{\n{options}\n    }}" if options else ""
    return f""".:{{PORT}} {{
    bind 127.0.0.1
    errors
    forward . {to}{block}
}}
"""


class UdpTestServer:
    """A UDP server on 127.0.0.1 that hands each datagram to handle(data, addr) on its own
    thread; close() stops it."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sock.settimeout(0.2)
        self.stopped = False
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
            self.handle(data, addr)

    def handle(self, data, addr):
        raise NotImplementedError

    def close(self):
        self.stopped = True
        self.thread.join(2)
        self.sock.close()


class ScriptedUpstream(UdpTestServer):
    """A UDP server on 127.0.0.1. The first query for `name` gets an answer with a wrong ID
    (and a bogus address), later ones for it are ignored; anything else (health checks, the
    harness's readiness probe) gets an empty REFUSED with the right ID, so it stays healthy."""

    def __init__(self, name):
        self.name = name
        self.queries = 0
        super().__init__()

    def handle(self, data, addr):
        qid = struct.unpack("!H", data[:2])[0]
        end = 12
        labels = []
        while data[end] != 0:
            labels.append(data[end + 1:end + 1 + data[end]].decode().lower())
            end += data[end] + 1
        end += 5
        question = data[12:end]
        if ".".join(labels) + "." != self.name:
            hdr = struct.pack("!HHHHHH", qid, 0x8105, 1, 0, 0, 0)
            self.sock.sendto(hdr + question, addr)
            return
        self.queries += 1
        if self.queries > 1:
            return
        hdr = struct.pack("!HHHHHH", qid ^ 0x5a5a, 0x8180, 1, 1, 0, 0)
        rr = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([6, 6, 6, 6])
        self.sock.sendto(hdr + question + rr, addr)


def dead_port():
    return free_port()  # nothing listens there: UDP gets ICMP port unreachable


@pytest.fixture
def unbound(start_unbound):
    return start_unbound(local_zones=[(ZONE, "static")], local_data=DATA)


def test_forwards_to_unbound(start_cxxdns, unbound):
    srv = start_cxxdns(forward_corefile(f"127.0.0.1:{unbound.port}"))
    r = srv.query("www.example.net", "A")
    assert r.rcode == "NOERROR"
    assert r.rdatas("A") == ["192.0.2.1"]
    r = srv.query("WWW.Example.NET", "AAAA", tcp=True)
    assert r.rdatas("AAAA") == ["2001:db8::1"]
    r = srv.query("nope.example.net", "A")
    assert r.rcode == "NXDOMAIN"
    # The client's ID comes back, whatever ID went upstream.
    q = build_query("www.example.net", "A", qid=0xBEEF)
    m = parse_message(udp_query(q, srv.port, timeout=3))
    assert m.id == 0xBEEF and m.rcode == "NOERROR"


def test_resolv_conf_upstream(start_cxxdns, unbound, tmp_path):
    # The resolv.conf names 127.0.0.1 (port 53): only example.com goes there, and with
    # max_fails 0 no health check does, so nothing is sent to port 53 by this test.
    srv = start_cxxdns(f""".:{{PORT}} {{
    bind 127.0.0.1
    forward example.com resolv.conf {{
        max_fails 0
    }}
    forward . 127.0.0.1:{unbound.port}
}}
""", files={"resolv.conf": "search example.net\nnameserver 127.0.0.1\noptions ndots:1\n"})
    assert srv.query("www.example.net", "A").rdatas("A") == ["192.0.2.1"]
    # A resolv.conf without nameservers is a Corefile error, with its line.
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "resolv.conf").write_text("search example.net\n")
    (tmp_path / "bad" / "Corefile").write_text(
        ".:53 {\n    forward . resolv.conf\n}\n")
    proc = run_cxxdns(["-conf", "Corefile"], cwd=tmp_path / "bad")
    assert proc.returncode != 0
    assert "plugin/forward: Corefile:2 - Error during parsing: no nameservers found" in (
        proc.stdout + proc.stderr)


def test_failover_past_dead_upstream(start_cxxdns, unbound):
    srv = start_cxxdns(forward_corefile(
        f"127.0.0.1:{dead_port()} 127.0.0.1:{unbound.port}", "        policy sequential"))
    for _ in range(3):
        r = srv.query("www.example.net", "A")
        assert r.rdatas("A") == ["192.0.2.1"]


def test_all_upstreams_dead_servfail_logged(start_cxxdns):
    srv = start_cxxdns(forward_corefile(f"127.0.0.1:{dead_port()} 127.0.0.1:{dead_port()}"))
    r = srv.query("www.example.net", "A", timeout=6, retry=0)
    assert r.rcode == "SERVFAIL"
    srv.wait_for_log(r"\[ERROR\] plugin/errors: 2 www\.example\.net\. A: plugin/forward: ")


def test_next_on_refused(start_cxxdns, start_unbound, unbound):
    # The first upstream refuses everything (unbound's `local-zone: "." refuse`).
    refuser = start_unbound()
    srv = start_cxxdns(f""".:{{PORT}} {{
    bind 127.0.0.1
    forward . 127.0.0.1:{refuser.port} {{
        next REFUSED SERVFAIL
    }}
    forward . 127.0.0.1:{unbound.port}
}}
""")
    r = srv.query("www.example.net", "A")
    assert r.rdatas("A") == ["192.0.2.1"]
    # Without `next`, REFUSED is the answer.
    srv2 = start_cxxdns(forward_corefile(f"127.0.0.1:{refuser.port}"))
    assert srv2.query("www.example.net", "A").rcode == "REFUSED"


def test_truncated_answer_and_tcp(start_cxxdns, unbound):
    srv = start_cxxdns(forward_corefile(f"127.0.0.1:{unbound.port}"))
    udp = srv.query("big.example.net", "A")
    assert "TC" in udp.flags or "tc" in {f.lower() for f in udp.flags}
    assert len(udp.answer) < 40
    tcp = srv.query("big.example.net", "A", tcp=True)
    assert sorted(tcp.rdatas("A")) == sorted(f"198.51.100.{i}" for i in range(1, 41))
    # prefer_udp: UDP upstream first, then TCP once the answer comes back truncated.
    srv2 = start_cxxdns(forward_corefile(f"127.0.0.1:{unbound.port}", "        prefer_udp"))
    tcp = srv2.query("big.example.net", "A", tcp=True)
    assert len(tcp.rdatas("A")) == 40
    # force_tcp: a UDP client gets the whole answer's first part, never a wrong one.
    srv3 = start_cxxdns(forward_corefile(f"127.0.0.1:{unbound.port}", "        force_tcp"))
    assert srv3.query("www.example.net", "A").rdatas("A") == ["192.0.2.1"]
    assert len(srv3.query("big.example.net", "A", tcp=True).rdatas("A")) == 40


def test_wrong_id_is_ignored(start_cxxdns, unbound):
    liar = ScriptedUpstream("www.example.net.")
    try:
        srv = start_cxxdns(forward_corefile(
            f"127.0.0.1:{liar.port} 127.0.0.1:{unbound.port}", "        policy sequential"))
        start = time.monotonic()
        r = srv.query("www.example.net", "A", timeout=6, retry=0)
        assert "6.6.6.6" not in r.rdatas("A")
        assert r.rdatas("A") == ["192.0.2.1"]
        assert liar.queries == 1
        # The liar stayed silent after its wrong ID: the answer came after the 2 s try.
        assert time.monotonic() - start >= 1.5
    finally:
        liar.close()


def test_max_concurrent_refuses(start_cxxdns):
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:
        srv = start_cxxdns(forward_corefile(
            f"127.0.0.1:{silent.getsockname()[1]}", "        max_concurrent 1\n        max_fails 0"),
            ready=False)
        srv.wait_bound()
        s1 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s1.bind(("127.0.0.1", 0))
        try:
            s1.sendto(build_query("a.example.net", "A", qid=1), ("127.0.0.1", srv.port))
            # The first query holds the only slot once the upstream has it (with two workers,
            # a sleep would let the second one overtake it on a loaded machine).
            silent.settimeout(5)
            silent.recvfrom(512)
            m = parse_message(udp_query(build_query("b.example.net", "A", qid=2), srv.port,
                                        timeout=2))
            assert m.rcode == "REFUSED"
            # The first one is answered too, SERVFAIL after the upstream's timeouts.
            s1.settimeout(7)
            first = parse_message(s1.recvfrom(4096)[0])
            assert first.id == 1 and first.rcode == "SERVFAIL"
        finally:
            s1.close()
    finally:
        silent.close()


def test_health_check_down_and_recovery(start_cxxdns, unbound):
    srv = start_cxxdns(forward_corefile(
        f"127.0.0.1:{unbound.port}",
        "        max_fails 2\n        health_check 100ms\n        failfast_all_unhealthy_upstreams"))
    assert srv.query("www.example.net", "A").rdatas("A") == ["192.0.2.1"]
    unbound.stop()
    # Checks start with a failed try (as CoreDNS's), not before.
    assert srv.query("www.example.net", "A", retry=0, timeout=6).rcode == "SERVFAIL"
    srv.wait_for_log(r"plugin/forward: upstream 127\.0\.0\.1:\d+ is down", timeout=5)
    r = srv.query("www.example.net", "A", retry=0)
    assert r.rcode == "SERVFAIL"
    srv.wait_for_log(r"plugin/errors: 2 www\.example\.net\. A: plugin/forward: no healthy proxies")
    unbound.start()
    srv.wait_for_log(r"plugin/forward: upstream 127\.0\.0\.1:\d+ is healthy again", timeout=5)
    wait_until(lambda: srv.query("www.example.net", "A", check=False).rdatas("A") == ["192.0.2.1"],
               timeout=5, what="answers again after recovery")


def test_burst_over_workers(start_cxxdns, unbound):
    # Many queries in flight at once, on two workers, over UDP and TCP: every one answered
    # with its own ID and the right data.
    srv = start_cxxdns(forward_corefile(f"127.0.0.1:{unbound.port}"), workers=2)
    socks = []
    try:
        for i in range(100):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            s.sendto(build_query("www.example.net", "A", qid=i), ("127.0.0.1", srv.port))
            socks.append(s)
        for i, s in enumerate(socks):
            s.settimeout(5)
            m = parse_message(s.recvfrom(4096)[0])
            assert m.id == i and m.rcode == "NOERROR"
            assert [rr.text for rr in m.answer] == ["192.0.2.1"]
    finally:
        for s in socks:
            s.close()
    for _ in range(5):
        assert len(srv.query("big.example.net", "A", tcp=True).rdatas("A")) == 40


class ReversingUpstream(UdpTestServer):
    """A UDP server on 127.0.0.1 that holds queries until it has `n`, then answers them in
    reverse order, each first with a wrong-ID answer carrying 6.6.6.6, then rightly with
    10.0.0.K for the name qK (other names: REFUSED at once). Records the source ports the queries came from."""

    def __init__(self, n):
        self.n = n
        self.ports = []
        self.held = []
        super().__init__()

    def handle(self, data, addr):
        end = 12
        while data[end] != 0:
            end += data[end] + 1
        end += 5
        label = data[13:13 + data[12]].decode().lower()
        if not label.startswith("q"):  # the harness's probe: REFUSED at once
            hdr = struct.pack("!HHHHHH", struct.unpack("!H", data[:2])[0], 0x8105, 1, 0, 0, 0)
            self.sock.sendto(hdr + data[12:end], addr)
            return
        self.held.append((data[:2], data[12:end], int(label[1:]), addr))
        self.ports.append(addr[1])
        if len(self.held) < self.n:
            return
        for qid, question, k, to in reversed(self.held):
            rid = struct.unpack("!H", qid)[0]
            for wrong, ip in ((True, bytes([6, 6, 6, 6])), (False, bytes([10, 0, 0, k]))):
                hdr = struct.pack("!HHHHHH", rid ^ 0x0101 if wrong else rid, 0x8180, 1, 1, 0, 0)
                rr = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + ip
                self.sock.sendto(hdr + question + rr, to)
        self.held = []


def test_many_in_flight_on_shared_sockets(start_cxxdns):
    # Queries in flight together share pooled upstream sockets: each answer still reaches
    # its own query (ID and question), and spoofed-ID answers are dropped.
    n = 12
    up = ReversingUpstream(n)
    socks = []
    try:
        srv = start_cxxdns(forward_corefile(f"127.0.0.1:{up.port}", "        max_fails 0"))
        for k in range(1, n + 1):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            s.sendto(build_query(f"q{k}.example.net", "A", qid=k), ("127.0.0.1", srv.port))
            socks.append(s)
        for k, s in enumerate(socks, 1):
            s.settimeout(5)
            m = parse_message(s.recvfrom(4096)[0])
            assert m.id == k and m.rcode == "NOERROR"
            assert [rr.text for rr in m.answer] == [f"10.0.0.{k}"]
        # Several queries per socket, and more than one socket.
        assert 1 < len(set(up.ports)) < n
    finally:
        for s in socks:
            s.close()
        up.close()


@pytest.fixture
def dot_unbound(start_unbound, tmp_path):
    """unbound as a DNS-over-TLS server on a free port, with a self-signed certificate for
    dns.test made here (it is also the CA cxxdns trusts)."""
    key, pem = tmp_path / "dot.key", tmp_path / "dot.pem"
    proc = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=dns.test", "-addext", "subjectAltName=DNS:dns.test",
         "-keyout", str(key), "-out", str(pem)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    port = free_port()
    u = start_unbound(local_zones=[(ZONE, "static")], local_data=DATA, port=port,
                      extra=f"  tls-port: {port}\n  tls-service-key: \"{key}\"\n"
                            f"  tls-service-pem: \"{pem}\"\n")
    u.ca = pem
    return u


def test_tls_upstream(start_cxxdns, dot_unbound):
    u = dot_unbound
    srv = start_cxxdns(forward_corefile(
        f"tls://127.0.0.1:{u.port}", f"        tls {u.ca}\n        tls_servername dns.test"))
    for name in ("www.example.net", "WWW.example.net"):  # the second on the pooled connection
        r = srv.query(name, "A", timeout=5)
        assert r.rcode == "NOERROR"
        assert r.rdatas("A") == ["192.0.2.1"]
    r = srv.query("nope.example.net", "A", tcp=True)
    assert r.rcode == "NXDOMAIN"
    # (That these went over TLS, not plain DNS, the wrong-name test below shows.)


def test_tls_upstream_wrong_name_fails(start_cxxdns, dot_unbound):
    u = dot_unbound
    srv = start_cxxdns(forward_corefile(
        f"tls://127.0.0.1:{u.port}",
        f"        tls {u.ca}\n        tls_servername other.test\n        max_fails 0"))
    r = srv.query("www.example.net", "A", timeout=6, retry=0)
    assert r.rcode == "SERVFAIL"
    srv.wait_for_log(r"\[ERROR\] plugin/errors: 2 www\.example\.net\. A: plugin/forward: "
                     r"tls://127\.0\.0\.1:\d+: tls: certificate verify failed: "
                     r"[Hh]ostname mismatch")


def test_tls_upstream_untrusted_ca_fails(start_cxxdns, dot_unbound):
    # No CA given: the system store, which does not know the self-signed certificate.
    u = dot_unbound
    srv = start_cxxdns(forward_corefile(
        f"tls://127.0.0.1:{u.port}", "        tls_servername dns.test\n        max_fails 0"))
    r = srv.query("www.example.net", "A", timeout=6, retry=0)
    assert r.rcode == "SERVFAIL"
    srv.wait_for_log(r"plugin/forward: tls://127\.0\.0\.1:\d+: tls: certificate verify failed")


class SlowUpstream(UdpTestServer):
    """Answers every query correctly, but only after `delay` seconds."""

    def __init__(self, delay):
        self.delay = delay
        self.received = 0
        super().__init__()

    def answer_later(self, data, addr):
        time.sleep(self.delay)
        hdr = bytearray(data[:12])
        hdr[2] |= 0x80  # QR; NOERROR, no records
        try:
            self.sock.sendto(bytes(hdr) + data[12:], addr)
        except OSError:
            pass

    def handle(self, data, addr):
        self.received += 1
        threading.Thread(target=self.answer_later, args=(data, addr), daemon=True).start()


def test_slow_upstream_stalls_nothing_else(start_cxxdns, unbound):
    slow = SlowUpstream(delay=3.0)
    try:
        srv = start_cxxdns(f""".:{{PORT}} {{
    bind 127.0.0.1
    errors
    forward slow.test 127.0.0.1:{slow.port} {{
        max_fails 0
    }}
    forward . 127.0.0.1:{unbound.port}
}}
""", workers=1)
        results = {}

        def ask_slow():
            start = time.monotonic()
            m = udp_query(build_query("x.slow.test", "A", qid=4242), srv.port, timeout=8)
            results["slow"] = (m, time.monotonic() - start)

        t = threading.Thread(target=ask_slow)
        t.start()
        # The slow query is now waiting on the worker's only loop.
        wait_until(lambda: slow.received >= 1, timeout=5, what="the slow query upstream")
        start = time.monotonic()
        r = parse_message(udp_query(build_query("www.example.net", "A", qid=7), srv.port,
                                    timeout=5))
        fast = time.monotonic() - start
        assert [rr.text for rr in r.answer] == ["192.0.2.1"], r
        # Queued behind the slow one it would have waited for its 2 s try (from its arrival
        # upstream, before `start`): 1.8 s leaves a loaded machine all the room there is.
        assert fast < 1.8, f"another query waited {fast:.2f}s behind the slow upstream"
        t.join(10)
        m, took = results["slow"]
        # Past the 2 s try timeout and no other upstream for that zone: SERVFAIL, answered.
        assert m is not None and parse_message(m).rcode == "SERVFAIL", m
        assert 1.5 < took < 6, took
        srv.wait_for_log(r"\[ERROR\] plugin/errors: 2 x\.slow\.test\. A: plugin/forward: ")
    finally:
        slow.close()
