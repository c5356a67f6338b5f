"""DNS over gRPC as CoreDNS serves and forwards it: grpc:// server blocks (plaintext HTTP/2
with prior knowledge, and TLS with the tls plugin) asked by grpc's own Python client; the
grpc plugin forwarding to a scripted grpcio server and to another cxxdns grpc:// block in
front of unbound.

Every server is on 127.0.0.1 and started here; certificates come from a test CA (tls_pki)."""
import re
import struct

import grpc
import pytest

import grpc_dns
from harness import build_query, free_port, http_get, kdig, parse_message, udp_query
from tls_pki import HOSTNAME, make_pki

ZONE = "example.net."
DATA = [f"www.{ZONE} 300 IN A 192.0.2.1", f"www.{ZONE} 300 IN AAAA 2001:db8::1"]


@pytest.fixture
def pki(tmp_path):
    return make_pki(tmp_path / "pki")


@pytest.fixture
def unbound(start_unbound):
    return start_unbound(local_zones=[(ZONE, "static")], local_data=DATA)


def grpc_server(start_cxxdns, unbound, tls_line="", files=None):
    """cxxdns with a grpc:// block forwarding to unbound (and a dns block to tell it is up);
    returns (server, grpc port)."""
    gport = free_port()
    srv = start_cxxdns(f""".:{{PORT}} {{
    bind 127.0.0.1
    whoami
}}
grpc://.:{gport} {{
    bind 127.0.0.1
    {tls_line}
    forward . 127.0.0.1:{unbound.port}
}}
""", files=files or {}, workers=1)
    return srv, gport


def test_plaintext_grpc_block_answers_grpcio(start_cxxdns, unbound):
    srv, gport = grpc_server(start_cxxdns, unbound)
    for qtype, want in (("A", ["192.0.2.1"]), ("AAAA", ["2001:db8::1"])):
        m = grpc_dns.query(gport, "www.example.net", qtype, qid=0x1234)
        assert m.rcode == "NOERROR", m
        assert m.id == 0x1234
        assert [rr.text for rr in m.answer] == want
    assert grpc_dns.query(gport, "nope.example.net").rcode == "NXDOMAIN"
    # Many calls on one channel (one HTTP/2 connection, concurrent streams).
    with grpc_dns.channel(gport) as ch:
        call = ch.unary_unary(grpc_dns.METHOD, request_serializer=grpc_dns.encode_packet,
                              response_deserializer=grpc_dns.decode_packet)
        futs = [call.future(build_query("www.example.net", "A", i), timeout=5)
                for i in range(20)]
        assert sorted(parse_message(f.result()).id for f in futs) == list(range(20))
    assert srv.alive()


def test_tls_grpc_block_answers_grpcio(start_cxxdns, unbound, pki):
    files = {"cert.pem": pki.cert.read_text(), "key.pem": pki.key.read_text()}
    srv, gport = grpc_server(start_cxxdns, unbound, "tls cert.pem key.pem", files)
    m = grpc_dns.query(gport, "www.example.net", ca=pki.ca, servername=HOSTNAME)
    assert m.rcode == "NOERROR" and [rr.text for rr in m.answer] == ["192.0.2.1"], m
    # A plaintext client gets nowhere: the port speaks TLS only.
    with pytest.raises(grpc.RpcError) as e:
        # 10 s: a slow machine must not turn the refusal into a DEADLINE_EXCEEDED.
        grpc_dns.query(gport, "www.example.net", timeout=10)
    assert e.value.code() == grpc.StatusCode.UNAVAILABLE
    assert srv.alive()


def call_raw(port, payload: bytes, method=grpc_dns.METHOD):
    with grpc_dns.channel(port) as ch:
        call = ch.unary_unary(method, request_serializer=lambda b: b,
                              response_deserializer=lambda b: b)
        return call(payload, timeout=3)


def test_bad_calls_get_grpc_errors(start_cxxdns, unbound):
    srv, gport = grpc_server(start_cxxdns, unbound)
    cases = [
        (grpc_dns.encode_packet(build_query("www.example.net", "A")),
         "/coredns.dns.DnsService/Other", grpc.StatusCode.UNIMPLEMENTED, "unknown method"),
        (grpc_dns.encode_packet(build_query("www.example.net", "A")),
         "/other.Service/Query", grpc.StatusCode.UNIMPLEMENTED, "unknown service"),
        (b"\x0a\x05\x01", grpc_dns.METHOD, grpc.StatusCode.INTERNAL, "unmarshal"),
        (grpc_dns.encode_packet(b"\x01\x02\x03"), grpc_dns.METHOD, grpc.StatusCode.UNKNOWN,
         "bad DNS message"),
    ]
    for payload, method, code, text in cases:
        with pytest.raises(grpc.RpcError) as e:
            call_raw(gport, payload, method)
        assert e.value.code() == code, (method, e.value)
        assert text in e.value.details(), e.value.details()
    # And it still answers.
    assert grpc_dns.query(gport, "www.example.net").rcode == "NOERROR"
    assert srv.alive()


# --- The grpc plugin.

def scripted_answer(address: str):
    """An answer to any query: its header and question, QR and RA set, one A record."""
    def answer(query: bytes, context) -> bytes:
        qid, flags, qd = struct.unpack("!HHH", query[:6])
        end = 12
        while query[end]:
            end += query[end] + 1
        end += 5
        head = struct.pack("!HHHHHH", qid, flags | 0x8080, qd, 1, 0, 0)
        rr = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes(map(int, address.split(".")))
        return head + query[12:end] + rr
    return answer


def failing(code, text):
    def answer(query: bytes, context) -> bytes:
        context.abort(code, text)
    return answer


@pytest.fixture
def grpc_servers():
    made = []

    def start(answer, **kw):
        s = grpc_dns.Server(answer, **kw)
        made.append(s)
        return s
    yield start
    for s in made:
        s.stop()


def forwarder(start_cxxdns, tos, options="", metrics_port=None, files=None, ready=True):
    prom = f"    prometheus 127.0.0.1:{metrics_port}\n" if metrics_port else ""
    return start_cxxdns(f""".:{{PORT}} {{
    bind 127.0.0.1
    errors
{prom}    grpc . {tos} {{
{options}
    }}
}}
""", files=files or {}, workers=1, ready=ready)


def metric(text, name, **labels):
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    m = re.search(r"^" + re.escape(name + "{" + want + "}") + r" (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def test_plugin_forwards_to_grpcio_server(start_cxxdns, grpc_servers):
    up = grpc_servers(scripted_answer("192.0.2.77"))
    mport = free_port()
    srv = forwarder(start_cxxdns, f"127.0.0.1:{up.port}", metrics_port=mport)
    to = f"127.0.0.1:{up.port}"

    def counts():
        _, text = http_get(mport, "/metrics")
        return (metric(text, "coredns_grpc_requests_total", to=to) or 0,
                metric(text, "coredns_grpc_responses_total", rcode="NOERROR", to=to) or 0,
                metric(text, "coredns_grpc_request_duration_seconds_count", to=to) or 0)
    calls, before = up.calls, counts()  # the harness's readiness probes went there too
    for tcp in (False, True):
        r = kdig("anything.example", "A", srv.port, tcp=tcp, timeout=5)
        assert r.rcode == "NOERROR", r
        assert r.rdatas("A") == ["192.0.2.77"]
    # The client's ID comes back (the query goes out as sent).
    m = parse_message(udp_query(build_query("x.example", "A", 0x5151), srv.port, timeout=5))
    assert m.id == 0x5151 and [rr.text for rr in m.answer] == ["192.0.2.77"]
    assert up.calls - calls == 3
    assert [a - b for a, b in zip(counts(), before)] == [3, 3, 3]


def test_plugin_fails_over_and_servfails(start_cxxdns, grpc_servers):
    bad = grpc_servers(failing(grpc.StatusCode.UNAVAILABLE, "try elsewhere"))
    good = grpc_servers(scripted_answer("192.0.2.78"))
    srv = forwarder(start_cxxdns, f"127.0.0.1:{bad.port} 127.0.0.1:{good.port}",
                    "        policy sequential")
    bad_calls, good_calls = bad.calls, good.calls
    r = kdig("a.example", "A", srv.port, timeout=5)
    assert r.rdatas("A") == ["192.0.2.78"], r
    # Sequential: the first upstream was asked, failed, and the second answered.
    assert bad.calls - bad_calls == 1 and good.calls - good_calls == 1
    # Only failing upstreams (a gRPC error, nothing listening): SERVFAIL, and the error logged.
    dead = free_port()
    srv2 = forwarder(start_cxxdns, f"127.0.0.1:{bad.port} 127.0.0.1:{dead}")
    r = kdig("b.example", "A", srv2.port, timeout=8)
    assert r.rcode == "SERVFAIL", r
    srv2.wait_for_log(r"\[ERROR\] plugin/errors: 2 b\.example\. A: plugin/grpc: ", timeout=5)
    assert srv.alive() and srv2.alive()


def test_plugin_not_found_is_nxdomain(start_cxxdns, grpc_servers):
    up = grpc_servers(failing(grpc.StatusCode.NOT_FOUND, "no such name"))
    srv = forwarder(start_cxxdns, f"127.0.0.1:{up.port}")
    assert kdig("c.example", "A", srv.port, timeout=5).rcode == "NXDOMAIN"


def test_plugin_through_cxxdns_grpc_block_to_unbound(start_cxxdns, unbound, pki):
    """cxxdns (grpc plugin) -> cxxdns (grpc:// block, forward) -> unbound, in the clear and
    over TLS verified for the certificate's name."""
    _, plain = grpc_server(start_cxxdns, unbound)
    files = {"cert.pem": pki.cert.read_text(), "key.pem": pki.key.read_text()}
    _, secure = grpc_server(start_cxxdns, unbound, "tls cert.pem key.pem", files)
    front = forwarder(start_cxxdns, f"127.0.0.1:{plain}")
    r = kdig("www.example.net", "AAAA", front.port, timeout=5)
    assert r.rdatas("AAAA") == ["2001:db8::1"], r
    assert kdig("nope.example.net", "A", front.port, timeout=5).rcode == "NXDOMAIN"
    tls_front = forwarder(start_cxxdns, f"127.0.0.1:{secure}",
                          f"        tls ca.pem\n        tls_servername {HOSTNAME}",
                          files={"ca.pem": pki.ca.read_text()})
    r = kdig("www.example.net", "A", tls_front.port, timeout=5)
    assert r.rdatas("A") == ["192.0.2.1"], r
    # The wrong name: the certificate check fails, so does the query.
    wrong = forwarder(start_cxxdns, f"127.0.0.1:{secure}",
                      "        tls ca.pem\n        tls_servername other.test",
                      files={"ca.pem": pki.ca.read_text()})
    assert kdig("www.example.net", "A", wrong.port, timeout=8).rcode == "SERVFAIL"
