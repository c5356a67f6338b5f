"""DNS over HTTPS (RFC 8484) served by https:// blocks with the tls plugin, as clients see it:
kdig +https (HTTP/2, POST and GET), curl over HTTP/2 and HTTP/1.1 (GET with ?dns=, POST with
application/dns-message), Cache-Control from the answer's TTL, CoreDNS's statuses for
requests without a query (404 off /dns-query, 400 otherwise), several requests on one
connection, an https:// block without the plugin serving HTTP/1.1 in the clear (as CoreDNS),
and bad input that only closes its own connection."""
import base64
import http.client
import socket
import ssl
import subprocess

import pytest

from harness import build_query, kdig, parse_message, wait_until
from tls_pki import HOSTNAME, make_pki

ZONE = "example.net."
DATA = [f"www.{ZONE} 300 IN A 192.0.2.1", f"short.{ZONE} 42 IN A 192.0.2.2"]


@pytest.fixture
def pki(tmp_path):
    return make_pki(tmp_path / "pki")


@pytest.fixture
def upstream(start_unbound):
    return start_unbound(local_zones=[(ZONE, "static")], local_data=DATA)


def _accepts(srv):
    assert srv.alive(), srv.output_report()
    try:
        socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()
        return True
    except OSError:
        return False


def start_doh(start_cxxdns, upstream, pki=None):
    tls = f"    tls {pki.cert} {pki.key}\n" if pki else ""
    srv = start_cxxdns(f"""https://.:{{PORT}} {{
    bind 127.0.0.1
{tls}    forward . 127.0.0.1:{upstream.port}
}}
""", ready=False)
    wait_until(lambda: _accepts(srv), timeout=10, what="the DoH listener")
    return srv


@pytest.fixture
def doh(start_cxxdns, upstream, pki):
    return start_doh(start_cxxdns, upstream, pki)


def b64(q: bytes) -> str:
    return base64.urlsafe_b64encode(q).rstrip(b"=").decode()


def curl(srv, pki, path, *, version="--http2", method="GET", data=None, headers=(),
         tmp_path=None):
    """(status, http version, headers dict, body bytes) of one request by curl."""
    body_file = tmp_path / "body.out"
    cmd = ["curl", "-s", "--noproxy", "*", version, "--cacert", str(pki.ca),
           "--resolve", f"{HOSTNAME}:{srv.port}:127.0.0.1", "-o", str(body_file),
           "-D", "-", "-w", "\n%{http_code} %{http_version}", "-X", method,
           "--max-time", "10"]
    for h in headers:
        cmd += ["-H", h]
    if data is not None:
        qfile = tmp_path / "query.bin"
        qfile.write_bytes(data)
        cmd += ["--data-binary", f"@{qfile}"]
    cmd.append(f"https://{HOSTNAME}:{srv.port}{path}")
    out = subprocess.run(cmd, capture_output=True, timeout=30)
    text = out.stdout.decode(errors="replace")
    head, _, tail = text.rpartition("\n")
    status, version_seen = tail.split()
    hdrs = {}
    for line in head.splitlines():
        if ":" in line and not line.startswith("HTTP/"):
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
    return int(status), version_seen, hdrs, body_file.read_bytes() if body_file.exists() else b""


def kdig_https(name, srv, pki, *extra):
    return kdig(name, "A", srv.port, extra=["+https", f"+tls-ca={pki.ca}",
                                            f"+tls-hostname={HOSTNAME}", *extra], timeout=3)


def test_kdig_https_post_and_get(doh, pki):
    r = kdig_https(f"www.{ZONE}", doh, pki)
    assert r.rdatas("A") == ["192.0.2.1"], r.raw
    r = kdig_https(f"short.{ZONE}", doh, pki, "+https-get")
    assert r.rdatas("A") == ["192.0.2.2"], r.raw
    assert f"https://.:{doh.port}" in doh.stdout_text()


@pytest.mark.parametrize("version,seen", [("--http2", "2"), ("--http1.1", "1.1")])
def test_curl_get_and_post(doh, pki, tmp_path, version, seen):
    q = build_query(f"www.{ZONE}", "A", 0)
    status, v, hdrs, body = curl(doh, pki, f"/dns-query?dns={b64(q)}", version=version,
                                 headers=["accept: application/dns-message"],
                                 tmp_path=tmp_path)
    assert (status, v) == (200, seen)
    assert hdrs["content-type"] == "application/dns-message"
    assert hdrs["cache-control"] == "max-age=300.000000"  # the answer's TTL, as CoreDNS
    assert int(hdrs["content-length"]) == len(body)
    m = parse_message(body)
    assert m.id == 0 and [rr.text for rr in m.answer] == ["192.0.2.1"]
    q = build_query(f"short.{ZONE}", "A", 0x4242)
    status, v, hdrs, body = curl(doh, pki, "/dns-query", version=version, method="POST",
                                 data=q, headers=["content-type: application/dns-message"],
                                 tmp_path=tmp_path)
    assert (status, v) == (200, seen)
    assert hdrs["cache-control"] == "max-age=42.000000"
    m = parse_message(body)
    assert m.id == 0x4242 and [rr.text for rr in m.answer] == ["192.0.2.2"]


@pytest.mark.parametrize("version", ["--http2", "--http1.1"])
def test_requests_without_a_query_get_coredns_statuses(doh, pki, tmp_path, version):
    cases = [("/dns-query", "GET", 400, b"no 'dns' query parameter found\n"),
             ("/dns-query?dns=%%%", "GET", 400, None),
             ("/dns-query?dns=not*base64", "GET", 400, None),
             ("/other?dns=AAAB", "GET", 404, None),
             ("/dns-query", "PUT", 400, b"method not allowed: PUT\n"),
             ("/dns-query?dns=AAAB", "GET", 400, None)]  # 3 bytes: no DNS header
    for path, method, want, text in cases:
        status, _, hdrs, body = curl(doh, pki, path, version=version, method=method,
                                     tmp_path=tmp_path)
        assert status == want, (path, method, body)
        if text is not None:
            assert body == text
        if want == 400:
            assert hdrs["content-type"].startswith("text/plain")
    assert doh.alive()
    assert kdig_https(f"www.{ZONE}", doh, pki).rdatas("A") == ["192.0.2.1"]


def test_http1_keep_alive_answers_in_order(doh, pki):
    ctx = ssl.create_default_context(cafile=str(pki.ca))
    ctx.set_alpn_protocols(["http/1.1"])
    conn = http.client.HTTPSConnection("127.0.0.1", doh.port, context=ctx, timeout=5)
    for i, name in enumerate(["www", "short", "www"]):
        q = build_query(f"{name}.{ZONE}", "A", i)
        conn.request("POST", "/dns-query", body=q,
                     headers={"content-type": "application/dns-message", "host": HOSTNAME})
        resp = conn.getresponse()
        assert resp.status == 200
        m = parse_message(resp.read())
        assert m.id == i
    conn.close()


def test_garbage_only_closes_its_connection(doh, pki):
    for junk in (b"GET / HTTP/1.1\r\n\r\n", b"\x00" * 100, b"\x16\x03\x01\x02\x00" + b"x" * 600):
        with socket.create_connection(("127.0.0.1", doh.port), timeout=5) as s:
            s.sendall(junk)
            s.settimeout(5)
            try:
                while s.recv(4096):
                    pass
            except OSError:
                pass
    # HTTP/2 garbage after a good handshake.
    ctx = ssl.create_default_context(cafile=str(pki.ca))
    ctx.set_alpn_protocols(["h2"])
    with ctx.wrap_socket(socket.create_connection(("127.0.0.1", doh.port), timeout=5),
                         server_hostname=HOSTNAME) as s:
        assert s.selected_alpn_protocol() == "h2"
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\xff" * 64)
        try:
            while s.recv(4096):
                pass
        except OSError:
            pass
    assert doh.alive()
    assert kdig_https(f"www.{ZONE}", doh, pki).rdatas("A") == ["192.0.2.1"]


def test_https_block_without_the_plugin_serves_http1_in_the_clear(start_cxxdns, upstream):
    """CoreDNS 1.12 (server_https.go): with no TLS configuration the https:// server speaks
    HTTP/1.1 without TLS (behind a proxy that ends TLS)."""
    srv = start_doh(start_cxxdns, upstream)
    q = build_query(f"www.{ZONE}", "A", 0)
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
    conn.request("GET", f"/dns-query?dns={b64(q)}")
    resp = conn.getresponse()
    assert resp.status == 200
    assert resp.getheader("content-type") == "application/dns-message"
    assert [rr.text for rr in parse_message(resp.read()).answer] == ["192.0.2.1"]
    conn.close()


def test_http2_streams_multiplexed_on_one_connection(doh, pki, tmp_path):
    """curl --parallel sends its requests as concurrent streams of one HTTP/2 connection."""
    names = ["www", "short"] * 4
    cmd = ["curl", "-s", "--noproxy", "*", "--http2", "--parallel",
           "--parallel-max", "8", "--cacert", str(pki.ca),
           "--resolve", f"{HOSTNAME}:{doh.port}:127.0.0.1", "--max-time", "10",
           "-w", "%{http_code} %{http_version} %{num_connects}\n"]
    for i, n in enumerate(names):
        q = build_query(f"{n}.{ZONE}", "A", i)
        cmd += ["-o", str(tmp_path / f"a{i}"),
                f"https://{HOSTNAME}:{doh.port}/dns-query?dns={b64(q)}"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.split("\n")
    lines = [ln.split() for ln in out if ln]
    assert [ln[:2] for ln in lines] == [["200", "2"]] * len(names), out
    assert sum(int(ln[2]) for ln in lines) == 1, out  # one connection for all of them
    for i, n in enumerate(names):
        m = parse_message((tmp_path / f"a{i}").read_bytes())
        want = "192.0.2.1" if n == "www" else "192.0.2.2"
        assert m.id == i and [rr.text for rr in m.answer] == [want]


def test_doh_metrics_as_coredns(start_cxxdns, upstream, pki, tmp_path):
    from harness import free_port, http_get
    metrics_port = free_port()
    srv = start_cxxdns(f"""https://.:{{PORT}} {{
    bind 127.0.0.1
    tls {pki.cert} {pki.key}
    prometheus 127.0.0.1:{metrics_port}
    forward . 127.0.0.1:{upstream.port}
}}
""", ready=False)
    wait_until(lambda: _accepts(srv), timeout=10, what="the DoH listener")
    assert kdig_https(f"www.{ZONE}", srv, pki).rdatas("A") == ["192.0.2.1"]
    curl(srv, pki, "/dns-query", tmp_path=tmp_path)  # 400
    curl(srv, pki, "/nothing", tmp_path=tmp_path)  # 404
    server = f'server="https://127.0.0.1:{srv.port}"'
    _, text = wait_until(lambda: (lambda r: r if r[0] == 200 else None)(
        http_get(metrics_port, "/metrics")), timeout=10, what="/metrics")
    for status in ("200", "400", "404"):
        assert f'coredns_dns_https_responses_total{{{server},status="{status}"}} 1' in text, text
    assert any(line.startswith("coredns_dns_requests_total{") and server in line and
               'proto="tcp"' in line for line in text.splitlines()), text


def test_http1_pipelined_requests_answered_in_order(start_cxxdns, upstream):
    """Two requests in one write on one HTTP/1.1 connection: two answers, in the order
    asked; then Connection: close ends the connection after its answer."""
    srv = start_doh(start_cxxdns, upstream)
    reqs = b""
    for i, name in enumerate(["short", "www", "short"]):
        q = build_query(f"{name}.{ZONE}", "A", 0x50 + i)
        close = "Connection: close\r\n" if i == 2 else ""
        reqs += (f"POST /dns-query HTTP/1.1\r\nHost: x\r\nContent-Type: application/dns-message"
                 f"\r\nContent-Length: {len(q)}\r\n{close}\r\n").encode() + q
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as s:
        s.sendall(reqs)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break  # closed by the server after the third answer
            data += chunk
    ids = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK"), head
        length = int(next(ln.split(b":")[1] for ln in head.split(b"\r\n")
                          if ln.lower().startswith(b"content-length")))
        ids.append(parse_message(rest[:length]).id)
        data = rest[length:]
    assert ids == [0x50, 0x51, 0x52], srv.output_report()
