"""transfer and secondary through the real binary: AXFR and IXFR with kdig over TCP, the
refusals, a secondary cxxdns transferring from a primary cxxdns and following its changes by
NOTIFY, the kubernetes zone by AXFR, and the corpus Corefile 29 (file + transfer)."""
import re
from pathlib import Path

import harness
from harness import wait_until

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
TEST_DATA = Path(__file__).resolve().parent.parent / "data"


def zone(serial=1, www="192.0.2.80", hosts=0):
    text = f"""$ORIGIN example.org.
$TTL 3600
@    IN SOA ns1 hostmaster {serial} 3600 600 86400 300
@    IN NS  ns1
ns1  IN A   192.0.2.1
www  IN A   {www}
www  IN AAAA 2001:db8::80
alias IN CNAME www
"""
    return text + "".join(f'host{i} IN TXT "{"x" * 200}"\n' for i in range(hosts))


def transfer_query(port, qtype="AXFR", zone_name="example.org", extra=()):
    """kdig's zone transfer (over TCP, as kdig does for AXFR and IXFR): its records and
    its summary line."""
    cmd = ["kdig", "@127.0.0.1", "-p", str(port), "-t", qtype, zone_name + ".", "+timeout=3",
           *extra]
    proc = harness._run_client(cmd, timeout=20)
    records = [harness._parse_rr_line(l) for l in proc.stdout.splitlines()
               if l and not l.startswith(";")]
    return [r for r in records if r], proc.stdout + proc.stderr


def primary(start_cxxdns, to="*", serial=1, hosts=0, port=None):
    return start_cxxdns(f"""
example.org:{{PORT}} {{
    bind 127.0.0.1
    transfer {{
        to {to}
    }}
    file db.example.org {{
        reload 1s
    }}
    log
}}
""", files={"db.example.org": zone(serial, hosts=hosts)}, port=port)


def test_axfr_and_ixfr_over_tcp(start_cxxdns):
    srv = primary(start_cxxdns)
    records, out = transfer_query(srv.port)
    assert records[0][3] == "SOA" and records[-1] == records[0], out
    assert len(records) == 7, out
    assert ("www.example.org.", 3600, "IN", "A", "192.0.2.80") in records, out
    srv.wait_for_log(r'plugin/transfer: Outgoing transfer of 7 records of zone "example\.org\." '
                     r'to 127\.0\.0\.1 for 1 SOA serial')
    # IXFR from a client with the current serial: the SOA alone; from an older one: it all.
    records, out = transfer_query(srv.port, "IXFR=1")
    assert [r[3] for r in records] == ["SOA"], out
    records, out = transfer_query(srv.port, "IXFR=0")
    assert len(records) == 7, out
    assert srv.stop() == 0


def test_axfr_of_a_large_zone_in_several_messages(start_cxxdns):
    srv = primary(start_cxxdns, hosts=3000)
    records, out = transfer_query(srv.port)
    assert len(records) == 3000 + 7, out[-500:]
    m = re.search(r";; Received \d+ B \((\d+) messages, (\d+) records\)", out)
    assert m and int(m.group(1)) >= 10 and int(m.group(2)) == 3007, out[-500:]
    assert srv.stop() == 0


def test_transfer_refused_over_udp_and_to_others(start_cxxdns):
    srv = primary(start_cxxdns, to="10.0.0.1")
    records, out = transfer_query(srv.port)
    assert not records and "REFUSED" in out, out
    udp = harness.build_query("example.org", "AXFR", 0x5151)
    reply = harness.parse_message(harness.udp_query(udp, srv.port))
    assert reply.rcode == "REFUSED"
    # Queries other than transfers are answered as before.
    assert srv.query("www.example.org", "A").rdatas("A") == ["192.0.2.80"]
    assert srv.stop() == 0


def secondary_corefile(primary_port, transfer_out=""):
    return f"""
example.org:{{PORT}} {{
    bind 127.0.0.1
    secondary {{
        transfer from 127.0.0.1:{primary_port}
    }}
    {transfer_out}
    log
}}
"""


def test_secondary_follows_the_primary_by_notify(start_cxxdns):
    sec_port = harness.free_port()
    prim = primary(start_cxxdns, to=f"* 127.0.0.1:{sec_port}")
    sec = start_cxxdns(secondary_corefile(prim.port), port=sec_port)
    wait_until(lambda: sec.query("www.example.org", "A").rdatas("A") == ["192.0.2.80"], 10,
               what="the first transfer")
    sec.wait_for_log(r"plugin/secondary: Transferred: example\.org\. from 127\.0\.0\.1:\d+")
    r = sec.query("alias.example.org", "A")
    assert "aa" in r.flags and [x[3] for x in r.answer] == ["CNAME", "A"], r.raw
    # The zone changes on the primary: its reload sends NOTIFY, the secondary transfers the
    # new serial at once (its SOA refresh is an hour: only the NOTIFY can bring it).
    (prim.dir / "db.example.org").write_text(zone(2, www="192.0.2.99"))
    prim.wait_for_log(r"plugin/file: Successfully reloaded zone .* with 2 SOA serial", timeout=10)
    wait_until(lambda: sec.query("www.example.org", "A").rdatas("A") == ["192.0.2.99"], 10,
               what="the change reaching the secondary")
    sec.wait_for_log(r"plugin/secondary: Notify from 127\.0\.0\.1 for example\.org\.: "
                     r"checking transfer")
    soa = sec.query("example.org", "SOA")
    assert soa.rdatas("SOA")[0].split()[2] == "2", soa.raw
    assert prim.stop() == 0
    assert sec.stop() == 0


def test_secondary_retransfers_and_serves_transfers_out(start_cxxdns):
    prim = primary(start_cxxdns)
    sec = start_cxxdns(secondary_corefile(prim.port, "transfer {\n        to *\n    }"))
    wait_until(lambda: sec.query("www.example.org", "A").rcode == "NOERROR", 10,
               what="the first transfer")
    records, out = transfer_query(sec.port)
    assert len(records) == 7 and records[0][3] == "SOA", out
    assert sec.stop() == 0


def test_kubernetes_zone_by_axfr(start_cxxdns):
    srv = start_cxxdns("""
.:{PORT} {
    bind 127.0.0.1
    transfer cluster.local {
        to *
    }
    kubernetes cluster.local {
        state state.json
    }
}
""", files={"state.json": (TEST_DATA / "k8s" / "cluster.json").read_text()})
    wait_until(lambda: srv.query("web.prod.svc.cluster.local", "A").rcode == "NOERROR", 10,
               what="the cluster state")
    records, out = transfer_query(srv.port, zone_name="cluster.local")
    assert records[0][3] == "SOA" and records[-1] == records[0], out
    assert ("web.prod.svc.cluster.local.", 5, "IN", "A", "10.96.10.10") in records, out
    assert ("ext.prod.svc.cluster.local.", 5, "IN", "CNAME", "db.example.com.") in records, out
    assert srv.stop() == 0


def test_corpus_29_file_and_transfer(start_cxxdns):
    """29-readme-file-transfer: a signed zone from a file, transfers to anyone, NOTIFY to
    127.0.0.53 -- here a secondary of the test's own on 127.0.0.1, so the NOTIFY is seen
    arriving."""
    sec_port = harness.free_port()
    prim_port = harness.free_port()
    sec = start_cxxdns(secondary_corefile(prim_port), port=sec_port)
    text = (CORPUS / "29-readme-file-transfer.Corefile").read_text()
    text = text.replace("example.org {", "example.org:{PORT} {\n    bind 127.0.0.1")
    text = text.replace("127.0.0.53", f"127.0.0.1:{sec_port}")
    sig = " 20300101000000 20200101000000 12345 example.org. AAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    signed = zone(5) + (f"@ IN RRSIG SOA 13 2 3600{sig}\n"
                        f"@ IN DNSKEY 257 3 13 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
                        f"@ IN RRSIG DNSKEY 13 2 3600{sig}\n"
                        f"www IN RRSIG A 13 3 3600{sig}\n")
    srv = start_cxxdns(text, port=prim_port, files={"example.org.signed": signed})
    r = harness.kdig("www.example.org", "A", srv.port, do=True)
    assert r.rdatas("A") == ["192.0.2.80"] and len(r.records("RRSIG")) == 1, r.raw
    keys = harness.kdig("example.org", "DNSKEY", srv.port, do=True)
    assert len(keys.records("DNSKEY")) == 1 and len(keys.records("RRSIG")) == 1, keys.raw
    records, out = transfer_query(srv.port)
    assert len(records) == 11 and records[0][3] == "SOA", out  # 10 records, the SOA again
    # The NOTIFY the primary sends at start reaches the secondary, which then has the zone.
    sec.wait_for_log(r"plugin/secondary: Notify from 127\.0\.0\.1 for example\.org\.", timeout=10)
    wait_until(lambda: sec.query("www.example.org", "A").rdatas("A") == ["192.0.2.80"], 15,
               what="the secondary's transfer")
    srv.wait_for_log(r'plugin/transfer: Sent notifies for zone "example\.org\." to '
                     rf'\[127\.0\.0\.1:{sec_port}\]')
    assert srv.stop() == 0
    assert sec.stop() == 0
