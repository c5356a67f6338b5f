"""Answers as CoreDNS gives them (issue 18), through the real binary, kdig and dig: an
ExternalName service resolved through forward to a real upstream (unbound), SRV on it
NODATA, ns.dns.ZONE, no RA; BADVERS before any plugin; class CH refused without chaos or
forward; the cache's header bits and the case of other names; bytes after the question;
hosts wildcards and the warning for an ignored entry."""

import json
import re
from pathlib import Path

import harness
from harness import SOURCE_DIR, build_query, dig, kdig, parse_message, udp_query

FIXTURE = json.loads((Path(SOURCE_DIR) / "test/data/k8s/cluster.json").read_text())
EXT = "ext.prod.svc.cluster.local."


def cluster_with_target(target: str) -> str:
    for item in FIXTURE["items"]:
        if item["kind"] == "Service" and item["metadata"]["name"] == "ext":
            item["spec"]["externalName"] = target
    return json.dumps(FIXTURE)


def test_external_name_through_forward(start_cxxdns, start_unbound):
    up = start_unbound(local_zones=["example.com."],
                       local_data=["db.example.com. 300 IN A 192.0.2.44",
                                   "db.example.com. 300 IN AAAA 2001:db8::44"])
    srv = start_cxxdns(f"""
.:{{PORT}} {{
    bind 127.0.0.1
    kubernetes cluster.local {{
        state cluster.json
    }}
    forward . 127.0.0.1:{up.port}
}}
""", files={"cluster.json": cluster_with_target("db.example.com")})
    # What glibc needs to resolve it: the CNAME and the target's address, in order.
    res = kdig(EXT, "A", srv.port)
    assert res.rcode == "NOERROR"
    assert [(r[0], r[3], r[4]) for r in res.answer] == [
        (EXT, "CNAME", "db.example.com."), ("db.example.com.", "A", "192.0.2.44")]
    assert "ra" not in res.flags and "aa" in res.flags
    res = dig(EXT, "AAAA", srv.port)
    assert res.rdatas("AAAA") == ["2001:db8::44"]
    assert res.rdatas("CNAME") == ["db.example.com."]
    # SRV on an ExternalName: NODATA, as CoreDNS.
    srv_res = kdig(EXT, "SRV", srv.port)
    assert srv_res.rcode == "NOERROR" and srv_res.answer == []
    assert srv_res.records("SOA", "authority")
    # The name the SOA gives as its MNAME exists (no address of its own on loopback).
    ns = kdig("ns.dns.cluster.local.", "A", srv.port)
    assert ns.rcode == "NOERROR" and ns.answer == []
    assert srv.stop() == 0


def test_external_name_loop_ends(start_cxxdns):
    srv = start_cxxdns("""
.:{PORT} {
    bind 127.0.0.1
    kubernetes cluster.local {
        state cluster.json
    }
}
""", files={"cluster.json": cluster_with_target("ext.prod.svc.cluster.local")})
    res = kdig(EXT, "A", srv.port)
    assert res.rcode == "NOERROR" and res.answer == []
    assert srv.stop() == 0


def test_badvers_class_and_trailing_bytes(start_cxxdns):
    srv = start_cxxdns("""
.:{PORT} {
    bind 127.0.0.1
    hosts {
        192.0.2.1 www.example.org
    }
}
""")
    # EDNS version 1: BADVERS with an OPT of version 0, before hosts answers.
    res = dig("www.example.org", "A", srv.port, bufsize=1232, extra=["+edns=1", "+noednsneg"])
    assert res.rcode == "BADVERS", res.raw
    assert res.edns is not None and res.edns["version"] == 0
    assert res.answer == []
    # Class CH with no chaos or forward in the block: REFUSED, as CoreDNS.
    assert kdig("www.example.org", "A", srv.port, qclass="CH").rcode == "REFUSED"
    # Bytes after the question are ignored (CoreDNS and unbound do the same).
    reply = udp_query(build_query("www.example.org", "A") + b"\x00\x01\x02", srv.port)
    msg = parse_message(reply)
    assert msg.rcode == "NOERROR"
    assert [r.text for r in msg.answer] == ["192.0.2.1"]
    assert srv.stop() == 0


def test_cache_hit_header_and_names(start_cxxdns, start_unbound):
    # unbound's local data does not follow the CNAME: the answer is the CNAME alone, whose
    # target is compressed against the question by the upstream.
    up = start_unbound(local_zones=["example.com."],
                       local_data=["www.example.com. 300 IN CNAME host.example.com."])
    srv = start_cxxdns(f"""
.:{{PORT}} {{
    bind 127.0.0.1
    cache 30
    forward . 127.0.0.1:{up.port}
}}
""")
    first = dig("www.example.com", "A", srv.port, rd=True)
    assert first.rcode == "NOERROR" and "rd" in first.flags
    # A hit (dig keeps the case it is given; kdig lowers it): RD is the asker's, and only
    # the question's case is the asker's, not the CNAME target's.
    hit = dig("wwW.eXaMplE.cOM", "A", srv.port, rd=False)
    assert "rd" not in hit.flags, hit.raw
    names = [(r[0], r[3], r[4]) for r in hit.answer]
    assert names == [("wwW.eXaMplE.cOM.", "CNAME", "host.example.com.")], hit.raw
    assert srv.stop() == 0


def test_hosts_wildcard_and_ignored_entries(start_cxxdns):
    srv = start_cxxdns("""
.:{PORT} {
    bind 127.0.0.1
    hosts hosts.txt {
        192.168.1.10 *.example.com
    }
}
""", files={"hosts.txt": "10.0.0.1 exact.example.com\nnot-an-address bad.example.com\n"})
    assert kdig("anything.example.com", "A", srv.port).rdatas("A") == ["192.168.1.10"]
    assert kdig("exact.example.com", "A", srv.port).rdatas("A") == ["10.0.0.1"]
    assert re.search(r"plugin/hosts: .*hosts\.txt:2: 'not-an-address' is no address, ignored",
                     srv.stdout_text()), srv.stdout_text()
    assert srv.stop() == 0
