"""DNS over TLS (RFC 7858) served by tls:// blocks with the tls plugin, as a client sees it:
kdig +tls verifying the server against a CA the test made, several queries pipelined on one
connection and answered by ID, ALPN "dot", TLS 1.2 at least, client_auth refusing a client
without a certificate, a tls:// block without the plugin serving plain DNS over TCP (as
CoreDNS), and bad input that only closes its own connection."""
import re
import socket
import ssl
import struct
import subprocess
import time

import pytest

import harness
from harness import build_query, frame, kdig, parse_message, tcp_read_reply, wait_until
from tls_pki import HOSTNAME, make_pki

ZONE = "example.net."
DATA = [f"www.{ZONE} 300 IN A 192.0.2.1"] + \
       [f"h{i}.{ZONE} 300 IN A 192.0.2.{10 + i}" for i in range(8)]


@pytest.fixture
def pki(tmp_path):
    return make_pki(tmp_path / "pki")


@pytest.fixture
def upstream(start_unbound):
    return start_unbound(local_zones=[(ZONE, "static")], local_data=DATA)


def kdig_tls(name, port, pki, *, extra=(), check=True):
    return kdig(name, "A", port, extra=[f"+tls-ca={pki.ca}", f"+tls-hostname={HOSTNAME}",
                                        *extra], check=check, timeout=3)


def start_dot(start_cxxdns, pki, upstream, tls_options=""):
    corefile = f"""tls://.:{{PORT}} {{
    bind 127.0.0.1
    tls {pki.cert} {pki.key} {pki.ca}{tls_options}
    forward . 127.0.0.1:{upstream.port}
}}
"""
    srv = start_cxxdns(corefile, ready=False)
    wait_until(lambda: _accepts(srv), timeout=10, what="the DoT listener")
    return srv


def _accepts(srv):
    assert srv.alive(), srv.output_report()
    try:
        socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()
        return True
    except OSError:
        return False


def client_context(pki, alpn=("dot",), cert=False):
    ctx = ssl.create_default_context(cafile=str(pki.ca))
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    if cert:
        ctx.load_cert_chain(str(pki.client_cert), str(pki.client_key))
    return ctx


def tls_connect(port, ctx):
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    return ctx.wrap_socket(raw, server_hostname=HOSTNAME)


def read_replies(sock, n, timeout=5.0):
    replies = []
    deadline = time.monotonic() + timeout
    buf = b""
    while len(replies) < n and time.monotonic() < deadline:
        while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
            length = struct.unpack("!H", buf[:2])[0]
            replies.append(parse_message(buf[2:2 + length]))
            buf = buf[2 + length:]
        if len(replies) >= n:
            break
        chunk = sock.recv(65536)
        if not chunk:
            break
        buf += chunk
    return replies


def test_kdig_over_tls_verifies_the_server_and_gets_the_answer(start_cxxdns, pki, upstream):
    srv = start_dot(start_cxxdns, pki, upstream)
    r = kdig_tls(f"www.{ZONE}", srv.port, pki)
    assert r.rdatas("A") == ["192.0.2.1"], r.raw
    # The same query in the clear (UDP) reaches nothing: a tls:// block listens on TCP only
    # and speaks TLS there.
    r = kdig(f"www.{ZONE}", "A", srv.port, check=False, timeout=1, retry=0)
    assert r.rcode is None
    assert f"tls://.:{srv.port}" in srv.stdout_text()


def test_pipelined_queries_on_one_connection_answered_by_id(start_cxxdns, pki, upstream):
    srv = start_dot(start_cxxdns, pki, upstream)
    with tls_connect(srv.port, client_context(pki)) as s:
        assert s.selected_alpn_protocol() == "dot"
        assert s.version() in ("TLSv1.2", "TLSv1.3")
        queries = [build_query(f"h{i}.{ZONE}", "A", 0x100 + i) for i in range(8)]
        s.sendall(b"".join(frame(q) for q in queries))  # all before reading any
        replies = read_replies(s, 8)
        assert sorted(r.id for r in replies) == [0x100 + i for i in range(8)]
        for r in replies:
            i = r.id - 0x100
            assert [rr.text for rr in r.answer] == [f"192.0.2.{10 + i}"], r
        # The connection stays open for more (kdig +keepopen does the same).
        s.sendall(frame(build_query(f"www.{ZONE}", "A", 0x999)))
        (r,) = read_replies(s, 1)
        assert r.id == 0x999 and [rr.text for rr in r.answer] == ["192.0.2.1"]


def test_keylog_writes_the_secrets_a_client_agrees_on(start_cxxdns, pki, upstream, tmp_path):
    """`keylog FILE`: the server appends the TLS secrets in the NSS key log format. The client
    (Python's ssl) logs its own: every secret of the client's session is in the server's."""
    server_log, client_log = tmp_path / "server.keys", tmp_path / "client.keys"
    srv = start_dot(start_cxxdns, pki, upstream, f" {{\n        keylog {server_log}\n    }}")
    ctx = client_context(pki)
    ctx.keylog_filename = str(client_log)
    with tls_connect(srv.port, ctx) as s:
        s.sendall(frame(build_query(f"www.{ZONE}", "A", 0x77)))
        (r,) = read_replies(s, 1)
        assert r.id == 0x77 and [rr.text for rr in r.answer] == ["192.0.2.1"]

    def lines(path):
        return {ln for ln in path.read_text().splitlines() if ln and not ln.startswith("#")}
    client = lines(client_log)
    assert client, "the client logged no secret"
    server = wait_until(lambda: lines(server_log) >= client and lines(server_log),
                        timeout=5, what="the client's secrets in the server's keylog")
    assert all(re.fullmatch(r"[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]+", ln) for ln in server), server
    assert oct(server_log.stat().st_mode & 0o777) == "0o600"


def test_several_names_with_kdig_keepopen(start_cxxdns, pki, upstream):
    srv = start_dot(start_cxxdns, pki, upstream)
    cmd = ["kdig", "@127.0.0.1", "-p", str(srv.port), f"+tls-ca={pki.ca}",
           f"+tls-hostname={HOSTNAME}", "+keepopen", "+timeout=3", "+short"]
    for i in range(3):
        cmd += [f"h{i}.{ZONE}", "A"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.split()
    assert out == ["192.0.2.10", "192.0.2.11", "192.0.2.12"], out


def test_a_client_without_alpn_or_with_other_alpn_is_served(start_cxxdns, pki, upstream):
    srv = start_dot(start_cxxdns, pki, upstream)
    for alpn in ((), ("h2",)):
        with tls_connect(srv.port, client_context(pki, alpn=alpn)) as s:
            assert s.selected_alpn_protocol() is None
            s.sendall(frame(build_query(f"www.{ZONE}", "A", 7)))
            (r,) = read_replies(s, 1)
            assert [rr.text for rr in r.answer] == ["192.0.2.1"]


def test_tls_before_1_2_is_refused(start_cxxdns, pki, upstream):
    srv = start_dot(start_cxxdns, pki, upstream)
    ctx = client_context(pki)
    ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    try:
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    except ssl.SSLError:
        pass
    with pytest.raises((ssl.SSLError, OSError)):
        with tls_connect(srv.port, ctx):
            pass
    assert kdig_tls(f"www.{ZONE}", srv.port, pki).rdatas("A") == ["192.0.2.1"]


def test_client_auth_require_and_verify(start_cxxdns, pki, upstream):
    srv = start_dot(start_cxxdns, pki, upstream,
                    " {\n        client_auth require_and_verify\n    }")
    # Without a certificate: no answer (the handshake fails, or the connection is closed
    # right after it under TLS 1.3).
    r = kdig_tls(f"www.{ZONE}", srv.port, pki, check=False)
    assert r.rcode is None, r.raw
    # With one the test's CA signed: answered.
    r = kdig_tls(f"www.{ZONE}", srv.port, pki,
                 extra=[f"+tls-certfile={pki.client_cert}", f"+tls-keyfile={pki.client_key}"])
    assert r.rdatas("A") == ["192.0.2.1"], r.raw
    with tls_connect(srv.port, client_context(pki, cert=True)) as s:
        s.sendall(frame(build_query(f"www.{ZONE}", "A", 9)))
        (r,) = read_replies(s, 1)
        assert r.id == 9
    assert srv.alive()


def test_client_auth_require_refuses_a_client_without_certificate(start_cxxdns, pki,
                                                                   upstream):
    srv = start_dot(start_cxxdns, pki, upstream, " {\n        client_auth require\n    }")
    r = kdig_tls(f"www.{ZONE}", srv.port, pki, check=False)
    assert r.rcode is None, r.raw
    r = kdig_tls(f"www.{ZONE}", srv.port, pki,
                 extra=[f"+tls-certfile={pki.client_cert}", f"+tls-keyfile={pki.client_key}"])
    assert r.rdatas("A") == ["192.0.2.1"], r.raw


def test_garbage_and_plain_dns_only_close_their_connection(start_cxxdns, pki, upstream):
    srv = start_dot(start_cxxdns, pki, upstream)
    for junk in (b"\x00" * 64, frame(build_query(f"www.{ZONE}", "A", 1)),
                 b"\x16\x03\x01\xff\xff" + b"\x01" * 300):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        s.sendall(junk)
        s.settimeout(5)
        try:
            while s.recv(4096):
                pass
        except OSError:
            pass
        s.close()
    # A client that goes away mid-handshake.
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as s:
        s.sendall(b"\x16\x03\x01\x00\x10")
    assert srv.alive()
    assert kdig_tls(f"www.{ZONE}", srv.port, pki).rdatas("A") == ["192.0.2.1"]


def test_tls_block_without_the_plugin_serves_plain_tcp(start_cxxdns, upstream):
    """CoreDNS 1.12 (server_tls.go): with no TLS configuration a tls:// server listens on
    TCP and speaks DNS in the clear."""
    srv = start_cxxdns(f"""tls://.:{{PORT}} {{
    bind 127.0.0.1
    forward . 127.0.0.1:{upstream.port}
}}
""", ready=False)
    wait_until(lambda: _accepts(srv), timeout=10, what="the tls:// listener")
    r = kdig(f"www.{ZONE}", "A", srv.port, tcp=True)
    assert r.rdatas("A") == ["192.0.2.1"], r.raw


def test_bad_certificate_path_fails_at_setup(start_cxxdns, tmp_path):
    srv = start_cxxdns("tls://.:{PORT} {\n    tls missing.pem missing.key\n    whoami\n}\n",
                       start=False)
    srv.start(ready=False)
    code = srv.proc.wait(timeout=10)
    err = srv.stderr_text() + srv.stdout_text()
    assert code != 0
    assert "Corefile:2" in err and "could not load TLS cert" in err and "missing.pem" in err, err


def test_reload_with_a_missing_certificate_is_refused_and_tls_keeps_serving(
        start_cxxdns, pki, upstream):
    import signal
    srv = start_dot(start_cxxdns, pki, upstream)
    good = srv.conf_path.read_text()
    srv.conf_path.write_text(good.replace(str(pki.cert), str(pki.dir / "gone.pem")))
    srv.proc.send_signal(signal.SIGUSR1)
    wait_until(lambda: "could not load TLS cert" in srv.stderr_text() + srv.stdout_text(),
               timeout=10, what="the refused reload")
    assert srv.alive()
    assert kdig_tls(f"www.{ZONE}", srv.port, pki).rdatas("A") == ["192.0.2.1"]
