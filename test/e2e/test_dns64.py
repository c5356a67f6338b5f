"""dns64: AAAA records synthesized from A records (RFC 6147) by the real binary, the A
records coming from a real unbound through forward, asked with kdig and dig over IPv6 (::1)
and IPv4 (127.0.0.1): an A-only name gets AAAA in the configured prefix, a name with AAAA
keeps its own (unless translate_all), NXDOMAIN stays NXDOMAIN, IPv4 clients get nothing
synthesized unless allow_ipv4, and the translations are counted in
coredns_dns64_requests_translated_total."""

import re

import pytest

from harness import dig, free_port, http_get, kdig

ZONE = "example.net."
# SOA TTL and minimum 120: the synthesized TTL is min(A TTL 300, 120) (RFC 6147 5.1.7).
DATA = [
    "example.net. 120 IN SOA ns.example.net. hostmaster.example.net. 1 3600 600 86400 120",
    "a4.example.net. 300 IN A 192.0.2.33",
    "both.example.net. 300 IN A 192.0.2.1",
    "both.example.net. 300 IN AAAA 2001:db8::1",
]


@pytest.fixture
def upstream(start_unbound):
    return start_unbound(local_zones=[(ZONE, "static")], local_data=DATA)


def start(start_cxxdns, upstream, dns64_lines, metrics_port=None):
    prom = f"    prometheus 127.0.0.1:{metrics_port}\n" if metrics_port else ""
    return start_cxxdns(f""".:{{PORT}} {{
    bind 127.0.0.1 ::1
{prom}    {dns64_lines}
    forward . 127.0.0.1:{upstream.port}
}}
""")


def aaaa(srv, name, server="::1", **kw):
    return kdig(name, "AAAA", srv.port, server=server, **kw)


def test_a_only_name_is_synthesized_for_ipv6_clients(start_cxxdns, upstream):
    srv = start(start_cxxdns, upstream, "dns64")
    r = aaaa(srv, "a4.example.net")
    assert r.rcode == "NOERROR", r.raw
    assert r.records("AAAA") == [("a4.example.net.", 120, "IN", "AAAA", "64:ff9b::c000:221")], \
        r.raw
    # dig sees the same.
    d = dig("a4.example.net", "AAAA", srv.port, server="::1")
    assert d.rdatas("AAAA") == ["64:ff9b::c000:221"], d.raw
    # The A records themselves are untouched.
    assert kdig("a4.example.net", "A", srv.port, server="::1").rdatas("A") == ["192.0.2.33"]


def test_names_with_aaaa_and_nxdomain_pass_unchanged(start_cxxdns, upstream):
    srv = start(start_cxxdns, upstream, "dns64")
    assert aaaa(srv, "both.example.net").rdatas("AAAA") == ["2001:db8::1"]
    r = aaaa(srv, "missing.example.net")
    assert r.rcode == "NXDOMAIN" and r.answer == [], r.raw


def test_ipv4_clients_only_with_allow_ipv4(start_cxxdns, upstream):
    srv = start(start_cxxdns, upstream, "dns64")
    r = aaaa(srv, "a4.example.net", server="127.0.0.1")
    assert r.rcode == "NOERROR" and r.answer == [], r.raw
    srv = start(start_cxxdns, upstream, "dns64 {\n        allow_ipv4\n    }")
    r = aaaa(srv, "a4.example.net", server="127.0.0.1")
    assert r.rdatas("AAAA") == ["64:ff9b::c000:221"], r.raw


def test_translate_all_replaces_real_aaaa(start_cxxdns, upstream):
    srv = start(start_cxxdns, upstream, "dns64 {\n        translate_all\n    }")
    r = aaaa(srv, "both.example.net")
    assert r.rdatas("AAAA") == ["64:ff9b::c000:201"], r.raw
    assert aaaa(srv, "missing.example.net").rcode == "NXDOMAIN"


# RFC 6052 2.4's table: 192.0.2.33 embedded in prefixes of each length.
@pytest.mark.parametrize("line,want", [
    ("dns64 2001:db8::/32", "2001:db8:c000:221::"),
    ("dns64 {\n        prefix 2001:db8:100::/40\n    }", "2001:db8:1c0:2:21::"),
    ("dns64 2001:db8:122::/48", "2001:db8:122:c000:2:2100::"),
    ("dns64 2001:db8:122:300::/56", "2001:db8:122:3c0:0:221::"),
    ("dns64 {\n        prefix 2001:db8:122:344::/64\n    }", "2001:db8:122:344:c0:2:2100:0"),
    ("dns64 2001:db8:122:344::/96", "2001:db8:122:344::c000:221"),
])
def test_prefix_lengths(start_cxxdns, upstream, line, want):
    srv = start(start_cxxdns, upstream, line)
    assert aaaa(srv, "a4.example.net").rdatas("AAAA") == [want]


def test_translations_are_counted(start_cxxdns, upstream):
    mport = free_port()
    srv = start(start_cxxdns, upstream, "dns64", metrics_port=mport)
    for _ in range(3):
        assert aaaa(srv, "a4.example.net").rdatas("AAAA") == ["64:ff9b::c000:221"]
    assert aaaa(srv, "both.example.net").rdatas("AAAA") == ["2001:db8::1"]  # not translated
    status, body = http_get(mport, "/metrics")
    assert status == 200
    m = re.search(r'^coredns_dns64_requests_translated_total\{server="dns://127\.0\.0\.1:'
                  rf'{srv.port}"\}} (\d+)$', body, re.M)
    assert m and m.group(1) == "3", body


def test_bad_prefix_is_refused_with_its_line(start_cxxdns):
    srv = start_cxxdns(".:{PORT} {\n    bind 127.0.0.1\n    dns64 64:ff9b::/95\n}\n",
                       start=False)
    srv.start(ready=False)
    assert srv.proc.wait(timeout=10) != 0
    err = srv.stderr_text() + srv.stdout_text()
    assert "Corefile:3" in err and "invalid prefix length" in err, err
