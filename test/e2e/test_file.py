"""file through the real binary: a zone file answered as CoreDNS's file answers it, DNSSEC
records with DO, reload by SOA serial (a bad file keeps the last good zone), $INCLUDE, CNAME
targets looked up through the server, and the corpus Corefiles 31 and 33 that serve zone
files."""
import re
from pathlib import Path

import harness
from harness import wait_until

CORPUS = Path(__file__).resolve().parents[1] / "corpus"

SIG = " 20300101000000 20200101000000 12345 example.org. AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


def example_zone(serial=2024010101, www="192.0.2.80"):
    """A zone with every kind of name a lookup tells apart (signatures made up: the zone is
    served as stored, nothing checks them)."""
    return f"""$ORIGIN example.org.
$TTL 3600
@        IN SOA ns1 hostmaster ( {serial} 7200 3600 1209600 300 )
@        IN RRSIG SOA 13 2 3600{SIG}
         IN NS  ns1
         IN NS  ns2.example.net.
@        IN RRSIG NS 13 2 3600{SIG}
         IN MX  10 mail
ns1      IN A   192.0.2.1
mail     IN A   192.0.2.25
www      IN A   {www}
www      IN RRSIG A 13 3 3600{SIG}
www      IN NSEC x.example.org. A RRSIG NSEC
www      IN RRSIG NSEC 13 3 300{SIG}
alias    IN CNAME www
chain    IN CNAME alias
ext      IN CNAME www.example.net.
*.wild   IN TXT "wildcard"
sub      IN NS  ns.sub
ns.sub   IN A   192.0.2.53
"""


def file_server(start_cxxdns, zone_text, extra="", block_extra=""):
    return start_cxxdns(f"""
example.org:{{PORT}} {{
    bind 127.0.0.1
    file db.example.org {{
        reload 1s
    }}
    log
    {block_extra}
}}
{extra}
""", files={"db.example.org": zone_text})


def test_file_answers(start_cxxdns):
    srv = file_server(start_cxxdns, example_zone())
    port = srv.port
    a = harness.kdig("www.example.org", "A", port)
    assert a.rcode == "NOERROR" and "aa" in a.flags, a.raw
    assert a.rdatas("A") == ["192.0.2.80"], a.raw
    assert sorted(a.rdatas("NS", "authority")) == ["ns1.example.org.", "ns2.example.net."], a.raw
    # A CNAME chain inside the zone.
    c = harness.kdig("chain.example.org", "A", port)
    assert [r[3] for r in c.answer] == ["CNAME", "CNAME", "A"], c.raw
    assert c.answer[-1][4] == "192.0.2.80"
    # A wildcard, under the query name.
    w = harness.kdig("anything.wild.example.org", "TXT", port)
    assert w.answer == [("anything.wild.example.org.", 3600, "IN", "TXT", '"wildcard"')], w.raw
    # A delegation: no AA, the NS in authority, the glue in additional.
    d = harness.kdig("host.sub.example.org", "A", port)
    assert d.rcode == "NOERROR" and "aa" not in d.flags and not d.answer, d.raw
    assert d.rdatas("NS", "authority") == ["ns.sub.example.org."], d.raw
    assert d.rdatas("A", "additional") == ["192.0.2.53"], d.raw
    # NXDOMAIN and NODATA carry the SOA.
    nx = harness.kdig("nope.example.org", "A", port)
    assert nx.rcode == "NXDOMAIN" and "aa" in nx.flags, nx.raw
    assert [r[3] for r in nx.authority] == ["SOA"], nx.raw
    nd = harness.kdig("www.example.org", "MX", port)
    assert nd.rcode == "NOERROR" and not nd.answer, nd.raw
    assert [r[3] for r in nd.authority] == ["SOA"], nd.raw
    # MX with its target's address.
    mx = harness.kdig("example.org", "MX", port)
    assert mx.rdatas("A", "additional") == ["192.0.2.25"], mx.raw
    srv.wait_for_log(r'"A IN www\.example\.org\. udp \d+ false 512" NOERROR qr,aa,rd ')
    assert srv.stop() == 0


def test_file_dnssec_records_with_do(start_cxxdns):
    srv = file_server(start_cxxdns, example_zone())
    plain = harness.kdig("www.example.org", "A", srv.port)
    assert not plain.records("RRSIG"), plain.raw
    signed = harness.kdig("www.example.org", "A", srv.port, do=True)
    assert signed.rdatas("A") == ["192.0.2.80"], signed.raw
    assert len(signed.records("RRSIG")) == 1, signed.raw
    assert signed.records("RRSIG", "authority"), signed.raw  # the NS's
    assert "do" in signed.edns["flags"], signed.raw
    nodata = harness.kdig("www.example.org", "TXT", srv.port, do=True)
    types = sorted(r[3] for r in nodata.authority)
    assert types == ["NSEC", "RRSIG", "RRSIG", "SOA"], nodata.raw
    assert srv.stop() == 0


def test_file_reload_by_serial_and_bad_file(start_cxxdns):
    srv = file_server(start_cxxdns, example_zone(1))
    path = srv.dir / "db.example.org"
    assert srv.query("www.example.org", "A").rdatas("A") == ["192.0.2.80"]
    path.write_text(example_zone(2, www="192.0.2.81"))
    wait_until(lambda: srv.query("www.example.org", "A").rdatas("A") == ["192.0.2.81"], 10,
               what="the zone with serial 2")
    srv.wait_for_log(r'plugin/file: Successfully reloaded zone "example\.org\." in '
                     r'"db\.example\.org" with 2 SOA serial')
    # A file that does not parse: logged, and the last good zone keeps serving.
    path.write_text(example_zone(3, www="192.0.2.82") + "broken IN A 999.1.1.1\n")
    srv.wait_for_log(r"\[ERROR\] plugin/file: Parsing zone \"example\.org\.\": "
                     r"db\.example\.org:\d+: ", timeout=10)
    assert srv.query("www.example.org", "A").rdatas("A") == ["192.0.2.81"]
    assert srv.stop() == 0


def test_file_include_and_truncation(start_cxxdns):
    many = "".join(f"big IN A 10.0.1.{i}\n" for i in range(1, 61))
    srv = start_cxxdns("""
example.org:{PORT} {
    bind 127.0.0.1
    file zones/db.example.org
}
""", files={"zones/db.example.org": example_zone() + "$INCLUDE hosts.inc lan\n",
            "zones/hosts.inc": "printer IN A 10.0.0.9\n" + many})
    p = srv.query("printer.lan.example.org", "A")
    assert p.rdatas("A") == ["10.0.0.9"], p.raw
    udp = harness.kdig("big.lan.example.org", "A", srv.port)
    assert "tc" in udp.flags, udp.raw
    full = harness.kdig("big.lan.example.org", "A", srv.port, ignore_tc=False)
    assert len(full.rdatas("A")) == 60, full.raw
    assert srv.stop() == 0


def test_file_cname_target_through_the_server(start_unbound, start_cxxdns):
    up = start_unbound(local_zones=["example.net."],
                       local_data=["www.example.net. 300 IN A 198.51.100.7"])
    srv = file_server(start_cxxdns, example_zone(), extra=f"""
.:{{PORT}} {{
    bind 127.0.0.1
    forward . 127.0.0.1:{up.port}
}}
""")
    r = harness.kdig("ext.example.org", "A", srv.port)
    assert r.rcode == "NOERROR" and "aa" in r.flags, r.raw
    assert r.answer == [("ext.example.org.", 3600, "IN", "CNAME", "www.example.net."),
                        ("www.example.net.", 300, "IN", "A", "198.51.100.7")], r.raw
    assert srv.stop() == 0


def test_corpus_31_homelab_file_and_forward(start_unbound, start_cxxdns):
    """31-ankitson-homelab-file: the Tailscale zone from a zone file, everything else
    forwarded; the zone file path and the upstream moved onto this test's loopback."""
    up = start_unbound(local_zones=["example.com."],
                       local_data=["www.example.com. 300 IN A 198.51.100.1"])
    text = (CORPUS / "31-ankitson-homelab-file.Corefile").read_text()
    text = text.replace("forward . 127.0.0.53", f"forward . 127.0.0.1:{up.port}")
    text = text.replace("/etc/coredns/zones/ts-homelab.db", "zones/ts-homelab.db")
    text = re.sub(r"^(\S+) \{$", r"\1:{PORT} {\n    bind 127.0.0.1", text, flags=re.M)
    zone = """$ORIGIN ts-homelab.myth-dab.ts.net.
$TTL 300
@       IN SOA ns hostmaster 2024060101 3600 600 86400 60
@       IN NS  ns
ns      IN A   100.64.0.1
nas     IN A   100.64.0.10
jellyfin IN CNAME nas
*       IN A   100.64.0.20
"""
    srv = start_cxxdns(text, files={"zones/ts-homelab.db": zone})
    r = srv.query("jellyfin.ts-homelab.myth-dab.ts.net", "A")
    assert r.rdatas("A") == ["100.64.0.10"] and "aa" in r.flags, r.raw
    assert srv.query("anything.ts-homelab.myth-dab.ts.net", "A").rdatas("A") == ["100.64.0.20"]
    assert srv.query("www.example.com", "A").rdatas("A") == ["198.51.100.1"]
    srv.wait_for_log(r'"A IN jellyfin\.ts-homelab\.myth-dab\.ts\.net\. udp ')
    assert srv.stop() == 0


def corpus_blocks_with_file(name):
    """The server blocks of a corpus Corefile that use the file plugin, as written."""
    text = (CORPUS / name).read_text()
    blocks = re.findall(r"^(\S[^\n{]*\{\n(?:.*\n)*?\})", text, flags=re.M)
    return [b for b in blocks if re.search(r"^\s+file ", b, flags=re.M)]


def test_corpus_33_dn42_file_zones(start_cxxdns):
    """33-wolfyangfan-dn42, its three file blocks: a forward zone, an RFC 2317 classless
    reverse zone and an IPv6 reverse zone, each from zones/ with reload 30s."""
    blocks = corpus_blocks_with_file("33-wolfyangfan-dn42.Corefile")
    assert len(blocks) == 3, blocks
    corefile = "\n".join(re.sub(r"^(\S+) \{", r"\1:{PORT} {\n    bind 127.0.0.1", b)
                         for b in blocks)
    files = {
        "zones/db.wyf.dn42": """$TTL 300
@ IN SOA ns1.wyf.dn42. hostmaster.wyf.dn42. 2024010101 3600 600 86400 300
@ IN NS ns1.wyf.dn42.
ns1 IN A 172.21.104.33
ns1 IN AAAA fd3b:e15c:993::1
www IN CNAME ns1
""",
        "zones/db.32-27.104.21.172.in-addr.arpa": """$TTL 300
@ IN SOA ns1.wyf.dn42. hostmaster.wyf.dn42. 2024010101 3600 600 86400 300
@ IN NS ns1.wyf.dn42.
33 IN PTR ns1.wyf.dn42.
""",
        "zones/db.3.9.9.c.1.5.d.e.b.3.d.f.ip6.arpa": """$TTL 300
@ IN SOA ns1.wyf.dn42. hostmaster.wyf.dn42. 2024010101 3600 600 86400 300
@ IN NS ns1.wyf.dn42.
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN PTR ns1.wyf.dn42.
""",
    }
    srv = start_cxxdns(corefile, files=files)
    www = srv.query("www.wyf.dn42", "A")
    assert [r[3] for r in www.answer] == ["CNAME", "A"], www.raw
    assert www.rdatas("A") == ["172.21.104.33"]
    ptr = harness.dig("33.32/27.104.21.172.in-addr.arpa", "PTR", srv.port)
    assert ptr.rdatas("PTR") == ["ns1.wyf.dn42."] and "aa" in ptr.flags, ptr.raw
    v6 = srv.query("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.9.9.c.1.5.d.e.b.3.d.f.ip6.arpa",
                   "PTR")
    assert v6.rdatas("PTR") == ["ns1.wyf.dn42."], v6.raw
    assert srv.query("nope.wyf.dn42", "A").rcode == "NXDOMAIN"
    assert srv.stop() == 0
