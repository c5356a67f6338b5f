"""forward to https:// upstreams (DNS over HTTPS, RFC 8484), as CoreDNS's forward README shows:
against unbound's own DoH service (HTTP/2), and against a scripted HTTPS server (HTTP/1.1) that
records each request, for doh_method GET, the headers, and what a bad answer does.

Every server is on 127.0.0.1 and started here; certificates come from a test CA (tls_pki)."""
import base64
import http.server
import os
import re
import ssl
import struct
import threading

import pytest

from harness import free_port, http_get, kdig, run_cxxdns, wait_until
from tls_pki import HOSTNAME, make_pki

ZONE = "example.net."
DATA = [f"www.{ZONE} 300 IN A 192.0.2.1", f"www.{ZONE} 300 IN AAAA 2001:db8::1"]


@pytest.fixture
def pki(tmp_path):
    return make_pki(tmp_path / "pki")


@pytest.fixture
def doh_unbound(start_unbound, pki):
    """unbound answering DoH on its port (TCP; its UDP there stays plain DNS) at /dns-query."""
    port = free_port()
    u = start_unbound(local_zones=[(ZONE, "static")], local_data=DATA, port=port,
                      extra=f"  https-port: {port}\n"
                            f"  tls-service-key: \"{pki.key}\"\n"
                            f"  tls-service-pem: \"{pki.cert}\"\n"
                            '  http-endpoint: "/dns-query"\n')
    return u


def corefile(to, options="", metrics_port=None):
    prom = f"    prometheus 127.0.0.1:{metrics_port}\n" if metrics_port else ""
    return f""".:{{PORT}} {{
    bind 127.0.0.1
    errors
{prom}    forward . {to} {{
{options}
    }}
}}
"""


def metric(text, name, **labels):
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    m = re.search(r"^" + re.escape(name + "{" + want + "}") + r" (\S+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def test_unbound_doh_upstream_over_http2(start_cxxdns, doh_unbound, pki):
    mport = free_port()
    to = f"https://127.0.0.1:{doh_unbound.port}"
    srv = start_cxxdns(corefile(to, f"        tls {pki.ca}\n        tls_servername {HOSTNAME}",
                                metrics_port=mport), workers=1)
    for name, qtype, want in (("www.example.net", "A", ["192.0.2.1"]),
                              ("WWW.example.net", "AAAA", ["2001:db8::1"])):
        r = srv.query(name, qtype, timeout=5)
        assert r.rcode == "NOERROR", r
        assert r.rdatas(qtype) == want
    nx = dict(proxy_name="forward", to=to, rcode="NXDOMAIN")
    nx_before = metric(http_get(mport, "/metrics")[1],
                       "coredns_proxy_request_duration_seconds_count", **nx)
    r = kdig("nope.example.net", "A", srv.port, tcp=True, timeout=5)
    assert r.rcode == "NXDOMAIN"
    _, text = http_get(mport, "/metrics")
    # Every try went over HTTPS, and one HTTP/2 connection carried them all.
    misses = metric(text, "coredns_proxy_conn_cache_misses_total", proxy_name="forward", to=to,
                    proto="https")
    hits = metric(text, "coredns_proxy_conn_cache_hits_total", proxy_name="forward", to=to,
                  proto="https")
    assert misses == 1 and hits >= 2, text
    assert not re.search(r'^coredns_proxy_conn_cache_\w+\{[^}]*proto="(udp|tcp)"', text, re.M)
    assert metric(text, "coredns_proxy_request_duration_seconds_count", **nx) == nx_before + 1


def test_wrong_server_name_is_servfail_with_the_reason(start_cxxdns, doh_unbound, pki):
    srv = start_cxxdns(corefile(f"https://127.0.0.1:{doh_unbound.port}",
                                f"        tls {pki.ca}\n        tls_servername other.test\n"
                                "        max_fails 0"), ready=False)
    srv.wait_bound()  # (the harness's readiness asks for an answer, which cannot come)
    r = srv.query("www.example.net", "A", timeout=6, retry=0)
    assert r.rcode == "SERVFAIL"
    srv.wait_for_log(r"\[ERROR\] plugin/errors: 2 www\.example\.net\. A: plugin/forward: "
                     r"https://127\.0\.0\.1:\d+: https: .*(certificate|subject name)")


def test_untrusted_certificate_is_servfail(start_cxxdns, doh_unbound):
    # No `tls` CA: the system's store, which does not know the test CA.
    srv = start_cxxdns(corefile(f"https://127.0.0.1:{doh_unbound.port}",
                                f"        tls_servername {HOSTNAME}\n        max_fails 0"),
                       ready=False)
    # Not the harness's readiness: a failure takes the system's whole CA bundle to load
    # (some 140 certificates), slow under the sanitizers.
    srv.wait_bound()
    r = srv.query("www.example.net", "A", timeout=6, retry=0)
    assert r.rcode == "SERVFAIL"
    srv.wait_for_log(r"plugin/forward: https://127\.0\.0\.1:\d+: https: SSL certificate problem")


def test_system_store_is_ssl_cert_file(start_cxxdns, doh_unbound, pki):
    # No `tls` CA: the system's store, which SSL_CERT_FILE replaces (as for tls:// upstreams,
    # and as Go's crypto/x509 does for CoreDNS).
    srv = start_cxxdns(corefile(f"https://127.0.0.1:{doh_unbound.port}",
                                f"        tls_servername {HOSTNAME}"),
                       env=dict(os.environ, SSL_CERT_FILE=str(pki.ca)))
    r = srv.query("www.example.net", "A", timeout=5)
    assert r.rcode == "NOERROR" and r.rdatas("A") == ["192.0.2.1"]


class ScriptedDoh:
    """An HTTPS server (HTTP/1.1, the test CA's certificate for dns.test and 127.0.0.1) that
    records each request and answers a query with one A record, or with `status`."""

    def __init__(self, pki):
        self.requests = []  # (method, path, headers, DNS query bytes)
        self.status = 200
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                m = re.match(r"^/dns-query\?dns=([A-Za-z0-9_-]+)$", self.path)
                q = base64.urlsafe_b64decode(m.group(1) + "=" * (-len(m.group(1)) % 4)) \
                    if m else b""
                self.answer(q)

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                self.answer(self.rfile.read(n))

            def answer(self, q):
                owner.requests.append((self.command, self.path, dict(self.headers), q))
                if owner.status != 200 or len(q) < 12:
                    self.send_response(owner.status if owner.status != 200 else 400)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                # The query with QR and one answer: A 192.0.2.77 for the question's name.
                hdr = bytearray(q[:12])
                hdr[2] |= 0x80
                hdr[6:8] = struct.pack("!H", 1)
                body = bytes(hdr) + q[12:] + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + \
                    bytes([192, 0, 2, 77])
                self.send_response(200)
                self.send_header("Content-Type", "application/dns-message")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(pki.cert, pki.key)
        ctx.set_alpn_protocols(["http/1.1"])
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def scripted(pki):
    s = ScriptedDoh(pki)
    yield s
    s.close()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_doh_methods_and_headers(start_cxxdns, scripted, pki, method):
    options = f"        tls {pki.ca}\n        max_fails 0"
    if method == "GET":
        options += "\n        doh_method GET"
    # No tls_servername: the certificate must name 127.0.0.1, and it does.
    srv = start_cxxdns(corefile(f"https://127.0.0.1:{scripted.port}", options), ready=False)
    srv.wait_bound()
    r = wait_until(lambda: kdig("www.example.net", "A", srv.port, timeout=5, check=False),
                   timeout=10, what="an answer")
    assert r.rcode == "NOERROR" and r.rdatas("A") == ["192.0.2.77"]
    got = [req for req in scripted.requests if req[3][12:].startswith(b"\x03www")]
    assert got, scripted.requests
    seen_method, path, headers, q = got[-1]
    assert seen_method == method
    assert path.startswith("/dns-query")
    assert headers.get("Accept") == "application/dns-message"
    if method == "POST":
        assert headers.get("Content-Type") == "application/dns-message"
        assert path == "/dns-query"
    assert q[:2] == b"\x00\x00"  # RFC 8484 4.1: ID 0


def test_http_error_status_is_servfail(start_cxxdns, scripted, pki):
    scripted.status = 500
    srv = start_cxxdns(corefile(f"https://127.0.0.1:{scripted.port}",
                                f"        tls {pki.ca}\n        max_fails 0"), ready=False)
    srv.wait_bound()
    r = kdig("www.example.net", "A", srv.port, timeout=6, retry=0)
    assert r.rcode == "SERVFAIL"
    srv.wait_for_log(r"plugin/forward: https://127\.0\.0\.1:\d+: https: HTTP status 500")


def test_corefile_errors(tmp_path):
    bad = tmp_path / "Corefile"
    bad.write_text(f".:{free_port()} {{\n    forward . https://127.0.0.1 {{\n"
                   "        doh_method PUT\n    }\n}\n")
    out = run_cxxdns(["-conf", str(bad)], cwd=tmp_path, timeout=10)
    assert out.returncode != 0
    assert re.search(r"Corefile:3 - Error during parsing: doh_method must be GET or POST",
                     out.stdout + out.stderr), out
