"""dnstap: the real cxxdns sends a client's query and its answer as dnstap messages to a
framestream socket; Debian's fstrm_capture (the reference framestream reader) receives them
and BIND's dnstap-read decodes them, as an operator would look at CoreDNS's dnstap output."""
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

import harness
from harness import kdig, wait_until

pytestmark = pytest.mark.skipif(
    not (shutil.which("fstrm_capture") and shutil.which("dnstap-read")),
    reason="fstrm_capture (fstrm-bin) and dnstap-read (bind9-dnsutils) are needed")


class FstrmCapture(harness._Process):
    """fstrm_capture on a unix socket (or a loopback TCP port), writing what it reads to a
    file; stopped by its PID."""

    name = "fstrm_capture"

    def __init__(self, tmpdir: Path, tcp_port: int = 0):
        super().__init__(tmpdir)
        self.socket = self.dir / "tap.sock"
        self.output = self.dir / "tap.fstrm"
        where = (["-a", "127.0.0.1", "-p", str(tcp_port)] if tcp_port
                 else ["-u", str(self.socket)])
        self._spawn(["fstrm_capture", "-t", "protobuf:dnstap.Dnstap", *where,
                     "-w", str(self.output)])
        if tcp_port:
            wait_until(lambda: not harness.port_is_free(tcp_port), 5, what="fstrm_capture's port")
        else:
            wait_until(self.socket.exists, 5, what="fstrm_capture's socket")

    def messages(self) -> list:
        """Stops the capture (its file is complete once it exits) and decodes the file."""
        self.stop()
        out = subprocess.run(["dnstap-read", "-y", str(self.output)], capture_output=True,
                             text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        return [d for d in yaml.safe_load_all(out.stdout) if d]


def tapped(capture: FstrmCapture, srv) -> list:
    """The messages, once cxxdns stopped (its shutdown flushes the queue and ends the
    stream)."""
    assert srv.stop() == 0, srv.output_report()
    return capture.messages()


def about(msgs: list, name: str) -> list:
    """The messages whose wire message asks `name` (the harness's readiness probes are
    tapped too)."""
    return [m for m in msgs if name in m["message"].get("query_message", "")
            + m["message"].get("response_message", "")]


def connected(port: int) -> bool:
    out = subprocess.run(["ss", "-tnH", "state", "established", f"( dport = :{port} )"],
                         capture_output=True, text=True).stdout
    return bool(out.strip())


COREFILE = """.:{PORT} {
    bind 127.0.0.1
    dnstap %s {
        identity tap-test-identity
        version tap-test-version
    }
    hosts {
        192.0.2.7 tapped.example
    }
}
"""


def test_query_and_answer_over_udp_and_tcp_with_full(start_cxxdns, tmp_path):
    capture = FstrmCapture(tmp_path / "capture")
    try:
        srv = start_cxxdns(COREFILE % f"unix://{capture.socket} full")
        assert kdig("tapped.example", "A", srv.port).rdatas("A") == ["192.0.2.7"]
        assert kdig("tapped.example", "A", srv.port, tcp=True).rdatas("A") == ["192.0.2.7"]
        msgs = about(tapped(capture, srv), "tapped.example")
    finally:
        capture.close()
    # Each worker queues its own messages: in order per transport (the query first), not
    # across them.
    for proto in ("UDP", "TCP"):
        kinds = [m["message"]["type"] for m in msgs if m["message"]["socket_protocol"] == proto]
        assert kinds == ["CLIENT_QUERY", "CLIENT_RESPONSE"], msgs
    assert len(msgs) == 4, msgs
    for m in msgs:
        assert m["type"] == "MESSAGE"
        assert m["identity"] == "tap-test-identity" and m["version"] == "tap-test-version"
        assert m["message"]["socket_family"] == "INET"
        assert m["message"]["query_address"] == "127.0.0.1"
        assert 0 < int(m["message"]["query_port"]) < 65536
    udp = [m["message"] for m in msgs if m["message"]["socket_protocol"] == "UDP"]
    query, response = udp
    # `full`: the wire messages, as dnstap-read decodes them.
    assert "tapped.example" in query["query_message"] and "QUESTION SECTION" in \
        query["query_message"]
    assert "192.0.2.7" in response["response_message"]
    # The answer goes to the client that asked, after the query came.
    assert response["response_message_data"]["id"] == query["query_message_data"]["id"]
    assert response["response_time"] >= query["query_time"]
    assert query["query_port"] == response["query_port"]


def test_without_full_no_wire_messages(start_cxxdns, tmp_path):
    capture = FstrmCapture(tmp_path / "capture")
    try:
        srv = start_cxxdns(COREFILE % capture.socket)  # a bare path, as CoreDNS takes it
        assert kdig("tapped.example", "A", srv.port).rcode == "NOERROR"
        msgs = tapped(capture, srv)
    finally:
        capture.close()
    # The harness's probes are tapped too: as many answers as queries, the query above among
    # them (the workers' queues interleave).
    types = [m["message"]["type"] for m in msgs]
    assert types.count("CLIENT_QUERY") == types.count("CLIENT_RESPONSE") >= 1, types
    assert set(types) == {"CLIENT_QUERY", "CLIENT_RESPONSE"}, types
    for m in msgs:
        assert "query_message" not in m["message"] and "response_message" not in m["message"]


def test_tcp_endpoint_and_message_types(start_cxxdns, tmp_path):
    port = harness.free_port()
    capture = FstrmCapture(tmp_path / "capture", tcp_port=port)
    try:
        srv = start_cxxdns(f""".:{{PORT}} {{
    bind 127.0.0.1
    dnstap tcp://127.0.0.1:{port} full {{
        message_types CLIENT_RESPONSE
    }}
    hosts {{
        192.0.2.7 tapped.example
    }}
}}
""")
        # fstrm connects from its own thread: what comes before it has is not kept.
        wait_until(lambda: connected(port), 10, what="cxxdns's framestream connection")
        time.sleep(0.5)  # and the handshake (READY, ACCEPT, START) on it
        for _ in range(3):
            assert kdig("tapped.example", "A", srv.port).rcode == "NOERROR"
        msgs = tapped(capture, srv)
    finally:
        capture.close()
    assert {m["message"]["type"] for m in msgs} == {"CLIENT_RESPONSE"}, msgs
    ours = about(msgs, "tapped.example")
    assert len(ours) == 3 and all("192.0.2.7" in m["message"]["response_message"]
                                  for m in ours), msgs


def test_forward_taps_its_tries(start_cxxdns, start_unbound, tmp_path):
    """As CoreDNS's forward: each try to an upstream is a FORWARDER_QUERY (and a
    FORWARDER_RESPONSE when answered), the client as query address, the upstream as response
    address."""
    up = start_unbound(local_zones=[("fwd.example.", "static")],
                       local_data=["www.fwd.example. 300 IN A 192.0.2.9"])
    capture = FstrmCapture(tmp_path / "capture")
    try:
        srv = start_cxxdns(f""".:{{PORT}} {{
    bind 127.0.0.1
    dnstap unix://{capture.socket} full
    forward . 127.0.0.1:{up.port}
}}
""")
        assert kdig("www.fwd.example", "A", srv.port).rdatas("A") == ["192.0.2.9"]
        msgs = about(tapped(capture, srv), "www.fwd.example")
    finally:
        capture.close()
    kinds = [m["message"]["type"] for m in msgs]
    assert kinds == ["CLIENT_QUERY", "FORWARDER_QUERY", "FORWARDER_RESPONSE",
                     "CLIENT_RESPONSE"], kinds
    fq, fr = (m["message"] for m in msgs[1:3])
    for m in (fq, fr):
        assert m["query_address"] == "127.0.0.1"
        assert m["response_address"] == "127.0.0.1" and int(m["response_port"]) == up.port
        assert m["socket_protocol"] == "UDP"
    assert "www.fwd.example" in fq["query_message"]
    assert "192.0.2.9" in fr["response_message"]
    # The upstream's answer carries the ID the try was sent with, not the client's.
    assert fr["response_message_data"]["id"] == fq["query_message_data"]["id"]
    assert fr["response_time"] >= fq["query_time"]


def test_nothing_listening_serves_and_says_so(start_cxxdns, tmp_path):
    # No reader: DNS is served all the same, and the log says that nothing listens yet.
    srv = start_cxxdns(COREFILE % f"unix://{tmp_path / 'nobody.sock'}")
    assert kdig("tapped.example", "A", srv.port).rdatas("A") == ["192.0.2.7"]
    srv.wait_for_log(r"\[ERROR\] plugin/dnstap: No connection to dnstap endpoint")


@pytest.mark.parametrize("line,where,error", [
    ("dnstap", 2, "Wrong argument count"),
    ("dnstap tls://127.0.0.1:6000", 2, "tls:// endpoints are not supported"),
    ("dnstap tcp://tap.example:6000", 2, "a tcp:// endpoint is IP:PORT"),
    ("dnstap /tmp/x.sock {\n        colour blue\n    }", 3, "unknown property 'colour'"),
])
def test_bad_configuration_names_the_line(line, where, error):
    srv = harness.Cxxdns(f".:{{PORT}} {{\n    {line}\n    whoami\n}}\n", ready=False)
    try:
        assert srv.proc.wait(10) == 1
        err = srv.stderr_text() + srv.stdout_text()
        assert f"Corefile:{where}" in err and error in err, err
    finally:
        srv.close()
