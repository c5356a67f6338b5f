"""Server limits a client cannot get around, and errors' consolidation."""
import socket
import time

import harness
from harness import build_query, frame, tcp_connect, tcp_read_reply, wait_until

COREFILE = """
.:{PORT} {
    bind 127.0.0.1
    whoami
}
"""


def test_idle_tcp_connection_is_closed_after_the_idle_timeout(start_cxxdns):
    srv = start_cxxdns(COREFILE)
    s = tcp_connect(srv.port)
    # A query answered first: the connection works. The clock starts before it, so a test
    # kept waiting after the answer cannot make the server look early.
    start = time.monotonic()
    s.sendall(frame(build_query("a.example.", "A", 7)))
    assert tcp_read_reply(s) is not None
    s.settimeout(20)
    assert s.recv(1) == b""  # then silence: the server closes it (EOF)
    waited = time.monotonic() - start
    assert 8.5 <= waited <= 15, waited  # CoreDNS's idle timeout: 10 s
    # Other clients are unaffected.
    assert srv.query("b.example", "A").rcode == "NOERROR"
    assert srv.stop() == 0


def test_a_silent_client_cannot_hold_the_server(start_cxxdns):
    srv = start_cxxdns(COREFILE, workers=1)
    silent = [tcp_connect(srv.port) for _ in range(50)]  # connect and say nothing
    try:
        assert srv.query("a.example", "A").rcode == "NOERROR"
        assert srv.query("a.example", "A", tcp=True).rcode == "NOERROR"
    finally:
        for s in silent:
            s.close()
    assert srv.stop() == 0


def test_errors_consolidate(start_cxxdns):
    srv = start_cxxdns("""
.:{PORT} {
    bind 127.0.0.1
    errors {
        consolidate 2s "^plugin/log: no next plugin found$" warning
    }
    log
}
""")
    for i in range(3):
        assert srv.query(f"n{i}.example", "A").rcode == "SERVFAIL"
    srv.wait_for_log(r"\[WARNING\] plugin/errors: \d+ errors like "
                     r"'\^plugin/log: no next plugin found\$' occurred in last 2s", timeout=6)
    assert srv.stop() == 0
    out = srv.stdout_text()
    # Consolidated: none of the matching errors is printed one by one.
    assert "[ERROR] plugin/errors: 2 n0.example." not in out, out


def test_timeouts_plugin_sets_idle_and_read(start_cxxdns):
    srv = start_cxxdns("""
.:{PORT} {
    bind 127.0.0.1
    timeouts {
        read 1s
        idle 4s
    }
    whoami
}
""")
    # Each clock starts before what it times, so a test kept waiting cannot make the server
    # look early; the upper bounds leave room for a loaded machine.
    # idle: a quiet connection goes after 4 s instead of 10 s.
    start = time.monotonic()
    s = tcp_connect(srv.port)
    s.settimeout(15)
    assert s.recv(1) == b""
    assert 3.5 <= time.monotonic() - start <= 8
    # read: half a message must be finished within 1 s (not at the idle 4 s, nor at the
    # default read timeout, 3 s).
    s = tcp_connect(srv.port)
    start = time.monotonic()
    s.sendall(frame(build_query("a.example.", "A", 9))[:7])
    s.settimeout(10)
    assert s.recv(1) == b""
    assert 0.9 <= time.monotonic() - start <= 2.8
    assert srv.stop() == 0


def test_timeouts_errors(tmp_path):
    (tmp_path / "Corefile").write_text(".:53 {\n    timeouts {\n        idle 500ms\n    }\n}\n")
    proc = harness.run_cxxdns(["-conf", "Corefile"], cwd=tmp_path)
    assert proc.returncode != 0
    assert ("plugin/timeouts: Corefile:3 - Error during parsing: timeout provided '500ms' "
            "needs to be between 1 second and 24 hours") in proc.stdout + proc.stderr
