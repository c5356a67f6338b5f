"""The kubernetes plugin against the real binary: cluster records from a state file
(kubectl JSON), answered to kdig; the state file rewritten under a query loop; a broken
state file keeps the last good answers."""

import json
import os
import re
import threading
import time
from pathlib import Path

from harness import SOURCE_DIR, kdig, wait_until

FIXTURE = (Path(SOURCE_DIR) / "test/data/k8s/cluster.json").read_text()

COREFILE = """cluster.local:{PORT} in-addr.arpa:{PORT} ip6.arpa:{PORT} {
    bind 127.0.0.1
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        state cluster.json
        pods insecure
        ttl 30
    }
}
"""

SVC = ".svc.cluster.local."


def start(start_cxxdns, text=FIXTURE):
    return start_cxxdns(COREFILE, files={"cluster.json": text})


def rrset(res, rtype=None, section="answer"):
    return sorted((r[0], r[1], r[3], r[4]) for r in res.records(rtype, section))


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def test_records(start_cxxdns):
    srv = start(start_cxxdns)
    p = srv.port
    web = "web.prod" + SVC
    r = kdig(web, "A", p)
    assert r.rcode == "NOERROR" and "aa" in r.flags
    assert rrset(r) == [(web, 30, "A", "10.96.10.10")]
    assert rrset(kdig(web, "AAAA", p)) == [(web, 30, "AAAA", "fd00:10:96::a")]

    db = "db.prod" + SVC
    assert rrset(kdig(db, "A", p)) == [(db, 30, "A", "10.244.1.10"), (db, 30, "A", "10.244.1.11")]
    r = kdig("_postgres._tcp." + db, "SRV", p)
    assert rrset(r) == [("_postgres._tcp." + db, 30, "SRV", "0 50 5432 db-0." + db),
                        ("_postgres._tcp." + db, 30, "SRV", "0 50 5432 db-1." + db)]
    assert rrset(r, section="additional") == [("db-0." + db, 30, "A", "10.244.1.10"),
                                              ("db-1." + db, 30, "A", "10.244.1.11")]
    r = kdig("_http._tcp." + web, "SRV", p, tcp=True)
    assert rrset(r) == [("_http._tcp." + web, 30, "SRV", "0 50 80 " + web)]

    assert rrset(kdig("ext.prod" + SVC, "A", p)) == [("ext.prod" + SVC, 30, "CNAME", "db.example.com.")]
    assert rrset(kdig("10.10.96.10.in-addr.arpa.", "PTR", p)) == [
        ("10.10.96.10.in-addr.arpa.", 30, "PTR", web)]
    assert rrset(kdig("10-1-2-3.prod.pod.cluster.local.", "A", p)) == [
        ("10-1-2-3.prod.pod.cluster.local.", 30, "A", "10.1.2.3")]
    assert rrset(kdig("dns-version.cluster.local.", "TXT", p)) == [
        ("dns-version.cluster.local.", 28800, "TXT", '"1.1.0"')]

    r = kdig("nope.prod" + SVC, "A", p)
    assert r.rcode == "NXDOMAIN" and "aa" in r.flags and r.answer == []
    (soa,) = r.records("SOA", "authority")
    assert soa[0] == "cluster.local." and soa[1] == 30
    fields = soa[4].split()
    assert fields[:2] == ["ns.dns.cluster.local.", "hostmaster.cluster.local."]
    assert fields[3:] == ["7200", "1800", "86400", "30"]

    r = kdig("kube-dns.kube-system" + SVC, "AAAA", p)  # exists, IPv4 only: NODATA
    assert r.rcode == "NOERROR" and r.answer == [] and len(r.records("SOA", "authority")) == 1


def changed_fixture(new_ip: str) -> str:
    doc = json.loads(FIXTURE)
    for item in doc["items"]:
        if item["kind"] == "Service" and item["metadata"]["name"] == "web":
            item["spec"]["clusterIP"] = new_ip
            item["spec"]["clusterIPs"] = [new_ip, "fd00:10:96::a"]
    return json.dumps(doc, indent=2)


def test_state_rewritten_under_queries(start_cxxdns):
    srv = start(start_cxxdns)
    path = Path(srv.dir) / "cluster.json"
    web = "web.prod" + SVC
    seen, failures = [], []
    stop = threading.Event()

    def loop():
        while not stop.is_set():
            r = kdig(web, "A", srv.port, check=False)
            if r.rcode != "NOERROR" or len(r.answer) != 1:
                failures.append(r.raw + r.stderr)
            else:
                seen.append(r.answer[0][4])

    t = threading.Thread(target=loop)
    t.start()
    try:
        wait_until(lambda: seen or failures, timeout=10, what="a first answer")
        write_atomic(path, changed_fixture("10.96.10.99"))
        wait_until(lambda: seen and seen[-1] == "10.96.10.99", timeout=5, what="the new address")
        time.sleep(0.3)
    finally:
        stop.set()
        t.join()
    assert failures == []
    assert seen[0] == "10.96.10.10"
    # Once the new state is in, the old answer never comes back.
    first_new = seen.index("10.96.10.99")
    assert set(seen[first_new:]) == {"10.96.10.99"}
    assert set(seen[:first_new]) == {"10.96.10.10"}
    # Loaded twice: at start and on the change.
    srv.wait_for_log(r"loaded cluster.json.*loaded cluster.json", flags=re.S)


def test_broken_state_keeps_serving(start_cxxdns):
    srv = start(start_cxxdns)
    path = Path(srv.dir) / "cluster.json"
    web = "web.prod" + SVC
    write_atomic(path, '{\n  "kind": "List",\n  "items": [\n    {"kind": "Service",,\n')
    m = srv.wait_for_log(r"^\[ERROR\] plugin/kubernetes: state file cluster.json: .*line (\d+), column (\d+).*$")
    assert m.group(1) == "4"
    assert rrset(kdig(web, "A", srv.port)) == [(web, 30, "A", "10.96.10.10")]
    # Valid JSON of the wrong shape is refused the same way.
    write_atomic(path, '{"items": {"kind": "Service"}}')
    srv.wait_for_log(r"^\[ERROR\] plugin/kubernetes: state file cluster.json: document: items is not an array")
    assert rrset(kdig(web, "A", srv.port)) == [(web, 30, "A", "10.96.10.10")]
    # And a good file after that is taken.
    write_atomic(path, changed_fixture("10.96.10.77"))
    wait_until(lambda: rrset(kdig(web, "A", srv.port)) == [(web, 30, "A", "10.96.10.77")],
               timeout=5, what="the repaired state")


def test_bad_corefile_option(start_cxxdns, tmp_path):
    from harness import run_cxxdns
    (tmp_path / "Corefile").write_text(
        "cluster.local:1053 {\n    kubernetes {\n        state x.json\n        pods sometimes\n    }\n}\n")
    res = run_cxxdns(["-conf", "Corefile"], cwd=tmp_path)
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "plugin/kubernetes: Corefile:4 - Error during parsing: wrong value for pods: sometimes" in out
