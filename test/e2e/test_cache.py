"""cache: answers come from the cache (TTL counting down, upstream not asked again), the
query's name case restored, TTL caps, Corefile errors; with forward (when built in), a
real unbound upstream is asked once and serve_stale answers after it is stopped."""

import re
import time

import pytest

import harness
from harness import Unbound, build_query, kdig, parse_message, run_cxxdns, udp_query, wait_until

HOSTS_CACHE = """example.org:{PORT} {
    bind 127.0.0.1
    log
    cache %s
    hosts {
        10.1.2.3 www.example.org
        ttl 300
    }
}
"""


def a_ttl(r):
    assert r.rcode == "NOERROR", r.raw
    assert len(r.answer) == 1, r.raw
    return r.answer[0][1]


def test_second_answer_comes_from_cache(start_cxxdns):
    srv = start_cxxdns(HOSTS_CACHE % "")
    first = kdig("www.example.org", "A", srv.port)
    assert a_ttl(first) == 300
    assert first.rdatas("A") == ["10.1.2.3"]
    time.sleep(2.1)
    second = kdig("www.example.org", "A", srv.port)
    # hosts always answers 300: a lower TTL can only be the cache counting down.
    assert 296 <= a_ttl(second) <= 298, second.raw
    assert second.rdatas("A") == ["10.1.2.3"]
    # log sits before cache: both queries were seen (so the second was served, not lost).
    wait_until(lambda: len(re.findall(r'"A IN www\.example\.org\. udp', srv.stdout_text())) == 2,
               what="two log lines")


def test_name_case_restored_and_ttl_capped(start_cxxdns):
    srv = start_cxxdns(HOSTS_CACHE % "10")
    assert a_ttl(kdig("www.example.org", "A", srv.port)) == 10
    # kdig lower-cases names; a raw query keeps the case.
    m = parse_message(udp_query(build_query("WwW.ExAmPlE.oRg", "A", 0x4242), srv.port))
    assert m.id == 0x4242
    assert m.questions[0][0] == "WwW.ExAmPlE.oRg."
    assert m.answer[0].name == "WwW.ExAmPlE.oRg."
    assert m.answer[0].ttl <= 10
    # Served from the cache: the log shows the query, and the TTL is the capped one.
    wait_until(lambda: srv.stdout_text().lower().count("www.example.org.") == 2,
               what="two log lines")


def test_denial_is_cached(start_cxxdns):
    srv = start_cxxdns(HOSTS_CACHE % "")
    first = kdig("nope.example.org", "A", srv.port)
    time.sleep(1.1)
    second = kdig("nope.example.org", "A", srv.port)
    assert second.rcode == first.rcode


def test_bad_value_is_a_corefile_error(tmp_path):
    (tmp_path / "Corefile").write_text(
        "example.org:1 {\n    bind 127.0.0.1\n    cache {\n        servfail 10m\n    }\n"
        "    whoami\n}\n")
    proc = run_cxxdns(["-conf", "Corefile"], cwd=tmp_path)
    assert proc.returncode != 0
    assert ("plugin/cache: Corefile:4 - Error during parsing: caching SERVFAIL responses "
            "over 5 minutes is not permitted") in proc.stderr, proc.stderr


# --------------------------------------------------------------------------------------
# With forward to a real unbound (skipped while forward is not built in).


def _forward_built_in(tmp_path):
    return "dns.forward" in run_cxxdns(["-plugins"], cwd=tmp_path).stdout


def test_forward_upstream_asked_once_then_serve_stale(start_cxxdns, tmp_path):
    if not _forward_built_in(tmp_path):
        pytest.skip("forward plugin not built in")
    up_dir = tmp_path / "unbound"
    up_dir.mkdir()
    log = up_dir / "queries.log"
    up = Unbound(local_zones=["example.net."],
                 local_data=["www.example.net. 4 IN A 192.0.2.7"],  # 4 s: both asks fit
                 extra=f'  log-queries: yes\n  logfile: "{log}"', tmpdir=up_dir)
    try:
        srv = start_cxxdns(f""".:{{PORT}} {{
    bind 127.0.0.1
    cache {{
        success 9984 3600 0
        serve_stale 1h
    }}
    forward . 127.0.0.1:{up.port}
}}
""")
        count = lambda: log.read_text().count("www.example.net. A IN") if log.exists() else 0
        assert kdig("www.example.net", "A", srv.port).rdatas("A") == ["192.0.2.7"]
        assert kdig("www.example.net", "A", srv.port).rdatas("A") == ["192.0.2.7"]
        wait_until(lambda: count() >= 1, what="unbound logged the query")
        time.sleep(0.2)
        assert count() == 1, log.read_text()

        up.stop()
        time.sleep(4.5)  # the entry is now expired
        r = kdig("www.example.net", "A", srv.port)
        assert r.rdatas("A") == ["192.0.2.7"], r.raw
        assert r.answer[0][1] == 0
    finally:
        up.close()


def test_shared_by_workers(start_cxxdns):
    """Two workers, one store: every answer right, and all but the first per name cached."""
    srv = start_cxxdns("""example.org:{PORT} {
    bind 127.0.0.1
    cache
    hosts {
        10.0.0.1 n0.example.org
        10.0.0.2 n1.example.org
        10.0.0.3 n2.example.org
        10.0.0.4 n3.example.org
        ttl 300
    }
}
""", workers=2)
    for _ in range(2):
        for i in range(4):
            m = parse_message(udp_query(build_query(f"n{i}.example.org", "A"), srv.port))
            assert m.rcode == "NOERROR"
            assert [rr.text for rr in m.answer] == [f"10.0.0.{i + 1}"]
    time.sleep(1.1)
    for i in range(4):
        m = parse_message(udp_query(build_query(f"N{i}.example.org", "A"), srv.port))
        assert m.answer[0].name == f"N{i}.example.org."
        assert m.answer[0].ttl < 300  # from the shared cache, whichever worker stored it


def test_cache_is_bounded_in_bytes(start_cxxdns):
    """Entries alone did not bound it: 10,000 names with 64 KB answers took 614 MB.
    max_bytes does: 256 answers of 16 KB each (4 MB) fit in 1 MB."""
    from harness import free_port, http_get, tcp_pipeline
    names = [f"n{i}.big.example" for i in range(256)]
    hosts = "".join(f"10.{i // 256}.{i % 256}.1 " + " ".join(names) + "\n" for i in range(1000))
    # 256,000 hosts entries take seconds to load under a sanitizer, and the server binds
    # only after: another test may take its port meanwhile; then it is tried on another.
    for attempt in range(3):
        metrics = free_port()
        try:
            srv = start_cxxdns(f"""big.example:{{PORT}} {{
    bind 127.0.0.1
    prometheus 127.0.0.1:{metrics}
    cache {{
        max_bytes 1M
    }}
    hosts hosts.txt
}}
""", files={"hosts.txt": hosts}, ready_timeout=60)
            break
        except harness.ServerError as e:
            if "Address already in use" not in str(e) or attempt == 2:
                raise
    replies = tcp_pipeline([build_query(n, "A", i) for i, n in enumerate(names)], srv.port,
                           timeout=10)
    assert len(replies) == 256
    assert all(parse_message(r).size > 16000 for r in replies)
    status, text = http_get(metrics, "/metrics")
    assert status == 200

    def total(name):
        return sum(float(line.split()[-1]) for line in text.splitlines()
                   if line.startswith(name + "{"))

    size = total("cxxdns_cache_size_bytes")
    entries = total("coredns_cache_entries")
    assert 512 * 1024 < size <= 1024 * 1024, size
    assert entries <= 64, entries
    # The cached ones are answered from the cache, the others again by hosts: all of them.
    again = tcp_pipeline([build_query(n, "A", i) for i, n in enumerate(names)], srv.port,
                         timeout=10)
    assert len(again) == 256
    assert srv.stop() == 0
