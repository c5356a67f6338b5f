"""etcd: SkyDNS records in a real etcd (Debian's etcd-server on 127.0.0.1, records written
with etcdctl as external-dns writes them), answered by the real binary to kdig (a CNAME out
of the zone followed through forward to a real unbound); a change in
etcd is answered without a restart; names etcd lacks fall through to forward (a real unbound)
where the Corefile says so; etcd going away leaves the last records answering."""
import json

import harness


def record(**fields) -> str:
    return json.dumps(fields)


RECORDS = {
    "/skydns/org/example/www/x1": record(host="192.0.2.1", ttl=60),
    "/skydns/org/example/www/x2": record(host="192.0.2.2", ttl=60),
    "/skydns/org/example/www/x3": record(host="2001:db8::1", ttl=60),
    "/skydns/org/example/alias": record(host="www.example.org"),
    "/skydns/org/example/lb": record(host="elb-1.example.net"),
    "/skydns/org/example/txt/1": record(text="v=spf1 -all"),
    "/skydns/org/example/_tcp/_http/web/a": record(host="192.0.2.10", port=8080, priority=10),
}


def corefile(etcd: harness.Etcd, upstream: int) -> str:
    return f"""example.org:{{PORT}} example.net:{{PORT}} {{
    bind 127.0.0.1
    etcd example.org {{
        stubzones
        path /skydns
        endpoint {etcd.endpoint}
        fallthrough sub.example.org
    }}
    forward . 127.0.0.1:{upstream}
}}
"""


def start(start_etcd, start_unbound, start_cxxdns):
    etcd = start_etcd()
    for k, v in RECORDS.items():
        etcd.put(k, v)
    up = start_unbound(local_zones=["sub.example.org.", "example.net."],
                       local_data=["up.sub.example.org. 300 IN A 192.0.2.99",
                                   "elb-1.example.net. 300 IN A 192.0.2.88"])
    srv = start_cxxdns(corefile(etcd, up.port))
    # Ready: the first copy of the keys is in.
    harness.wait_until(lambda: srv.query("www.example.org", "A").rcode == "NOERROR",
                       timeout=10, what="etcd records answered")
    return etcd, srv


def test_answers_from_etcd(start_etcd, start_unbound, start_cxxdns):
    _, srv = start(start_etcd, start_unbound, start_cxxdns)
    a = srv.query("www.example.org", "A")
    assert sorted(a.rdatas("A")) == ["192.0.2.1", "192.0.2.2"], a.raw
    assert "aa" in a.flags and {r[1] for r in a.answer} == {60}, a.raw
    assert srv.query("www.example.org", "AAAA").rdatas("AAAA") == ["2001:db8::1"]
    cname = srv.query("alias.example.org", "A")
    assert cname.rdatas("CNAME") == ["www.example.org."], cname.raw
    assert sorted(cname.rdatas("A")) == ["192.0.2.1", "192.0.2.2"], cname.raw
    # A CNAME out of the zone (a load balancer's name): followed through the server.
    lb = srv.query("lb.example.org", "A")
    assert lb.rdatas("CNAME") == ["elb-1.example.net."] and lb.rdatas("A") == ["192.0.2.88"], \
        lb.raw
    assert srv.query("txt.example.org", "TXT").rdatas("TXT") == ['"v=spf1 -all"']
    srv_rr = srv.query("web._http._tcp.example.org", "SRV")
    assert srv_rr.rdatas("SRV") == ["10 100 8080 a.web._http._tcp.example.org."], srv_rr.raw
    assert srv_rr.rdatas("A", section="additional") == ["192.0.2.10"], srv_rr.raw
    # A wildcard query: every record under www.
    assert len(srv.query("*.www.example.org", "A").rdatas("A")) == 2
    nx = srv.query("nothing.example.org", "A")
    assert nx.rcode == "NXDOMAIN" and "aa" in nx.flags, nx.raw
    assert [r[3] for r in nx.authority] == ["SOA"], nx.raw
    nodata = srv.query("www.example.org", "MX")
    assert nodata.rcode == "NOERROR" and nodata.answer == [], nodata.raw
    # fallthrough sub.example.org: a name etcd lacks there goes on to forward.
    assert srv.query("up.sub.example.org", "A").rdatas("A") == ["192.0.2.99"]


def test_changes_in_etcd_are_answered(start_etcd, start_unbound, start_cxxdns):
    etcd, srv = start(start_etcd, start_unbound, start_cxxdns)
    etcd.put("/skydns/org/example/new/x1", record(host="192.0.2.50"))
    harness.wait_until(lambda: srv.query("new.example.org", "A").rdatas("A") == ["192.0.2.50"],
                       timeout=5, what="a new record answered")
    etcd.put("/skydns/org/example/new/x1", record(host="192.0.2.51"))
    harness.wait_until(lambda: srv.query("new.example.org", "A").rdatas("A") == ["192.0.2.51"],
                       timeout=5, what="a changed record answered")
    etcd.delete("/skydns/org/example/new/x1")
    harness.wait_until(lambda: srv.query("new.example.org", "A").rcode == "NXDOMAIN",
                       timeout=5, what="a deleted record gone")


def test_etcd_down_keeps_the_last_records(start_etcd, start_unbound, start_cxxdns):
    etcd, srv = start(start_etcd, start_unbound, start_cxxdns)
    etcd.stop()
    r = srv.query("www.example.org", "A")
    assert sorted(r.rdatas("A")) == ["192.0.2.1", "192.0.2.2"], r.raw
    assert srv.alive()


def test_servfail_and_not_ready_before_etcd_ever_answered(start_cxxdns, start_etcd):
    port = harness.free_port()  # nothing listens there yet
    ready = harness.free_port()
    srv = start_cxxdns(f"""example.org:{{PORT}} {{
    bind 127.0.0.1
    ready 127.0.0.1:{ready}
    etcd {{
        endpoint http://127.0.0.1:{port}
    }}
}}
""", ready=False)
    srv.wait_ready()
    r = srv.query("www.example.org", "A")
    assert r.rcode == "SERVFAIL", r.raw
    srv.wait_for_log(r"plugin/etcd: .*127\.0\.0\.1:%d" % port, stream="both")
    status, body = harness.http_get(ready, "/ready")
    assert status == 503 and "etcd" in body, (status, body)
    # etcd comes up: the records are read, and the server is ready.
    etcd = start_etcd(port=port)
    etcd.put("/skydns/org/example/www/x1", record(host="192.0.2.1"))
    harness.wait_until(lambda: srv.query("www.example.org", "A").rdatas("A") == ["192.0.2.1"],
                       timeout=10, what="records read once etcd is up")
    assert harness.http_get(ready, "/ready")[0] == 200


def test_credentials(start_etcd, start_cxxdns):
    """etcd with authentication on: `credentials USER PASS` reads what that user may read;
    wrong credentials read nothing (SERVFAIL)."""
    etcd = start_etcd()
    etcd.put("/skydns/org/example/www/x1", record(host="192.0.2.1"))
    root = ("--user", "root:rootpw")
    etcd.etcdctl("user", "add", "root:rootpw")
    etcd.etcdctl("user", "grant-role", "root", "root")
    etcd.etcdctl("user", "add", "dns:dnspw")
    etcd.etcdctl("role", "add", "dns-reader")
    etcd.etcdctl("role", "grant-permission", "dns-reader", "--prefix=true", "read", "/skydns/")
    etcd.etcdctl("user", "grant-role", "dns", "dns-reader")
    etcd.etcdctl("auth", "enable")
    # Auth is on: without a user nothing is read.
    assert "/skydns/" not in etcd.etcdctl("--user", "dns:wrong", "get", "--prefix", "/skydns/",
                                          check=False)

    def server(user, password):
        return start_cxxdns(f"""example.org:{{PORT}} {{
    bind 127.0.0.1
    etcd {{
        endpoint {etcd.endpoint}
        credentials {user} {password}
    }}
}}
""")
    good = server("dns", "dnspw")
    harness.wait_until(lambda: good.query("www.example.org", "A").rdatas("A") == ["192.0.2.1"],
                       timeout=10, what="records read with credentials")
    etcd.etcdctl(*root, "put", "/skydns/org/example/www/x2", record(host="192.0.2.2"))
    harness.wait_until(lambda: len(good.query("www.example.org", "A").rdatas("A")) == 2,
                       timeout=5, what="a change seen through the authenticated watch")
    bad = server("dns", "wrong")
    assert bad.query("www.example.org", "A").rcode == "SERVFAIL"
    bad.wait_for_log(r"plugin/etcd: .*authentication failed", stream="both")
