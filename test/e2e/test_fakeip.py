"""fakeip end to end: the real binary answering A/AAAA with fake addresses, the same address
for a name every time (across workers), PTR back to the name, persistence across restarts,
setup errors; and, when the forward plugin is built in, filtered names and `verify` against a
real unbound upstream."""

import ipaddress
import subprocess
import time

import pytest

from harness import cxxdns_bin, kdig, run_cxxdns, wait_until

FAKEIP = """.:{PORT} {
    bind 127.0.0.1
    fakeip {
        range 198.18.0.0/15
        range6 fc00::/18
    }
}
"""


def has_plugin(name):
    out = subprocess.run([cxxdns_bin(), "-plugins"], capture_output=True, text=True).stdout
    return name in out.split()


needs_forward = pytest.mark.skipif(
    not has_plugin("dns.forward"), reason="the forward plugin is not built into this cxxdns")


def fake_a(port, name, qtype="A"):
    r = kdig(name, qtype, port)
    assert r.rcode == "NOERROR", r.raw
    assert "aa" in r.flags, r.raw
    recs = r.records(qtype)
    assert len(recs) == 1, r.raw
    assert recs[0][0].lower() == name.lower().rstrip(".") + "."
    assert recs[0][1] == 1, r.raw  # default ttl
    return recs[0][4]


def reverse_name(addr):
    return ipaddress.ip_address(addr).reverse_pointer + "."


def test_fake_addresses_stable_and_ptr(start_cxxdns):
    srv = start_cxxdns(FAKEIP, workers=2)
    a = fake_a(srv.port, "www.example.com")
    b = fake_a(srv.port, "mail.example.com")
    assert ipaddress.ip_address(a) in ipaddress.ip_network("198.18.0.0/15")
    assert ipaddress.ip_address(b) in ipaddress.ip_network("198.18.0.0/15")
    assert a != b
    assert a not in ("198.18.0.0", "198.19.255.255")
    # The same name, any case, over UDP and TCP, on whichever worker: the same address.
    for i in range(8):
        assert fake_a(srv.port, "WWW.example.COM" if i % 2 else "www.example.com") == a
    assert kdig("www.example.com", "A", srv.port, tcp=True).rdatas("A") == [a]
    six = fake_a(srv.port, "www.example.com", "AAAA")
    assert ipaddress.ip_address(six) in ipaddress.ip_network("fc00::/18")

    for addr, name in ((a, "www.example.com."), (b, "mail.example.com."),
                       (six, "www.example.com.")):
        r = kdig(reverse_name(addr), "PTR", srv.port)
        assert r.rcode == "NOERROR", r.raw
        assert r.rdatas("PTR") == [name]
    # A pool address given to no name: NXDOMAIN.
    r = kdig(reverse_name("198.19.200.1"), "PTR", srv.port)
    assert r.rcode == "NXDOMAIN", r.raw
    assert r.answer == []


def test_aaaa_nodata_without_range6_and_other_types_pass(start_cxxdns):
    srv = start_cxxdns(""".:{PORT} {
    bind 127.0.0.1
    fakeip
}
""")
    r = kdig("www.example.com", "AAAA", srv.port)
    assert r.rcode == "NOERROR", r.raw
    assert r.answer == [] and r.authority == [], r.raw
    # MX is not fakeip's: the chain ends, SERVFAIL.
    assert kdig("www.example.com", "MX", srv.port).rcode == "SERVFAIL"


def test_hosts_names_are_not_faked(start_cxxdns):
    srv = start_cxxdns(""".:{PORT} {
    bind 127.0.0.1
    hosts {
        192.168.1.10 nas.lan
        fallthrough
    }
    fakeip
}
""")
    assert kdig("nas.lan", "A", srv.port).rdatas("A") == ["192.168.1.10"]
    assert ipaddress.ip_address(fake_a(srv.port, "www.example.com")) in \
        ipaddress.ip_network("198.18.0.0/15")


def test_persist_across_restart(start_cxxdns, tmp_path):
    mapfile = tmp_path / "fakeip.map"
    corefile = """.:{PORT} {
    bind 127.0.0.1
    fakeip {
        range 10.77.0.0/16
        persist %s
    }
}
""" % mapfile
    srv = start_cxxdns(corefile)
    a = fake_a(srv.port, "www.example.com")
    b = fake_a(srv.port, "mail.example.com")
    # Debounced write within about a second, while running.
    wait_until(lambda: mapfile.exists() and "mail.example.com." in mapfile.read_text(),
               timeout=5, what="persist file written")
    c = fake_a(srv.port, "late.example.com")
    srv.stop()
    assert "late.example.com." in mapfile.read_text()  # written at stop

    srv2 = start_cxxdns(corefile)
    assert fake_a(srv2.port, "mail.example.com") == b
    assert kdig(reverse_name(a), "PTR", srv2.port).rdatas("PTR") == ["www.example.com."]
    assert kdig(reverse_name(c), "PTR", srv2.port).rdatas("PTR") == ["late.example.com."]
    d = fake_a(srv2.port, "new.example.com")
    assert d not in (a, b, c)


def test_damaged_persist_file_is_a_warning(start_cxxdns, tmp_path):
    mapfile = tmp_path / "fakeip.map"
    mapfile.write_text("10.77.0.5 x.example.\nthis is not a mapping\n")
    # Only example.com is faked, so the harness's readiness probe takes no address.
    srv = start_cxxdns(""".:{PORT} {
    bind 127.0.0.1
    fakeip example.com {
        range 10.77.0.0/16
        persist %s
    }
}
""" % mapfile)
    srv.wait_for_log(r"\[WARNING\] plugin/fakeip: .*fakeip\.map:2")
    assert kdig("5.0.77.10.in-addr.arpa.", "PTR", srv.port).rcode == "NXDOMAIN"
    assert fake_a(srv.port, "www.example.com") == "10.77.0.1"


@pytest.mark.parametrize("body,needle", [
    ("range 198.18.0.0", "not a CIDR"),
    ("range 10.0.0.0/31", "2 usable"),
    ("range6 10.0.0.0/8", "IPv6"),
    ("filter *bad.example", "*bad.example"),
    ("grace -1s", "negative"),
    ("size 1", "out of range"),
    ("rate_limit", "Wrong argument count"),
])
def test_setup_errors(tmp_path, body, needle):
    (tmp_path / "Corefile").write_text(".:1053 {\n    fakeip {\n        %s\n    }\n}\n" % body)
    p = run_cxxdns(["-conf", "Corefile"], cwd=tmp_path)
    assert p.returncode != 0
    out = p.stdout + p.stderr
    assert "plugin/fakeip: Corefile:3 - Error during parsing" in out, out
    assert needle in out, out


# ---------------------------------------------------------------------------------------
# Floods: no name can take another's address (issue 19)
# ---------------------------------------------------------------------------------------

def ask_from(source, port, names, qtype="A"):
    """Each name once from `source` (a 127.0.0.0/8 address): name -> (rcode, address)."""
    from harness import build_query, parse_message
    import socket
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((source, 0))
    s.settimeout(2)
    out = {}
    try:
        for i, name in enumerate(names):
            s.sendto(build_query(name, qtype, i & 0xffff), ("127.0.0.1", port))
            m = parse_message(s.recv(65535))
            out[name] = (m.rcode, m.answer[0].text if m.answer else None)
    finally:
        s.close()
    return out


def test_a_name_flood_cannot_take_a_victims_address(start_cxxdns):
    """A client asking 140,000 names used to recycle the address a victim's name had been
    given: the PTR then named the attacker's domain and the gateway routed the victim's
    connections there. Now an address used within ttl + grace is never recycled: when
    the pool has nothing else, new names get SERVFAIL."""
    srv = start_cxxdns(""".:{PORT} {
    bind 127.0.0.1
    errors
    fakeip example.com evil.test {
        range 10.77.0.0/24
    }
}
""")
    victim = fake_a(srv.port, "bank.example.com")
    # Ten attacker addresses (each within its own rate), 600 names: the /24 has 254.
    got = {}
    for i in range(10):
        got.update(ask_from(f"127.0.4.{i + 1}", srv.port,
                            [f"n{i}-{j}.evil.test" for j in range(60)]))
    fates = [rc for rc, _ in got.values()]
    assert fates.count("NOERROR") == 253 and fates.count("SERVFAIL") == 600 - 253, fates
    assert victim not in {a for _, a in got.values()}
    assert kdig(reverse_name(victim), "PTR", srv.port).rdatas("PTR") == ["bank.example.com."]
    assert fake_a(srv.port, "bank.example.com") == victim
    srv.wait_for_log(r"\[ERROR\] plugin/errors: 2 n\d-\d+\.evil\.test\. A: plugin/fakeip: no "
                     r"address for n\d-\d+\.evil\.test\.: every address of 10\.77\.0\.0/24 was "
                     r"used in the last 601s")
    assert srv.stop() == 0


def test_new_names_are_rate_limited_per_client(start_cxxdns):
    srv = start_cxxdns(""".:{PORT} {
    bind 127.0.0.1
    fakeip example.com {
        rate_limit 5 50
    }
}
""")
    start = time.monotonic()
    flood = ask_from("127.0.5.1", srv.port, [f"f{j}.example.com" for j in range(80)])
    took = time.monotonic() - start
    fates = [rc for rc, _ in flood.values()]
    # The burst of 50, plus what 5 a second refilled while the 80 queries went out (timed, so
    # that a slow machine gets its refill and no limit at all still fails: 80).
    refilled = int(5 * took) + 1
    assert 50 <= fates.count("NOERROR") <= 50 + refilled, (took, fates)
    assert fates.count("SERVFAIL") == 80 - fates.count("NOERROR"), fates
    # Another client is not held back; a name already mapped is answered to everyone.
    other = ask_from("127.0.5.2", srv.port, ["o1.example.com", "f0.example.com"])
    assert other["o1.example.com"][0] == "NOERROR"
    assert other["f0.example.com"] == flood["f0.example.com"]
    assert srv.stop() == 0


def test_range6_is_bounded_by_size(start_cxxdns):
    """An IPv6 range holds 2^110 addresses: the pool used to grow (about 600 bytes a
    mapping) up to 2^24 mappings. `size` bounds it (default 131072)."""
    from harness import free_port, http_get
    metrics = free_port()
    srv = start_cxxdns(f""".:{{PORT}} {{
    bind 127.0.0.1
    prometheus 127.0.0.1:{metrics}
    fakeip example.com {{
        range6 fc00::/18
        size 500
        grace 0s
        ttl 0
        rate_limit 0
    }}
}}
""")
    got = ask_from("127.0.0.1", srv.port, [f"v{j}.example.com" for j in range(1500)], "AAAA")
    assert all(rc == "NOERROR" for rc, _ in got.values())
    assert len({a for _, a in got.values()}) == 500  # addresses recycled within the 500
    status, text = http_get(metrics, "/metrics")
    used = [line for line in text.splitlines() if line.startswith("cxxdns_fakeip_pool_used")]
    assert used and float(used[0].split()[-1]) <= 500 + 1, used  # + the A pool's probe name
    assert srv.stop() == 0


# ---------------------------------------------------------------------------------------
# With a real upstream (needs the forward plugin)
# ---------------------------------------------------------------------------------------

UPSTREAM_DATA = [
    "real.example.com. 300 IN A 192.0.2.10",
    "real.example.com. 300 IN AAAA 2001:db8::10",
    "router.lan. 300 IN A 192.168.1.1",
    "noaddr.example.com. 300 IN TXT \"no address\"",
]


def upstream(start_unbound):
    return start_unbound(local_zones=[("example.com.", "static"), ("lan.", "static")],
                         local_data=UPSTREAM_DATA)


@needs_forward
def test_filtered_names_go_upstream(start_cxxdns, start_unbound):
    up = upstream(start_unbound)
    srv = start_cxxdns(""".:{PORT} {
    bind 127.0.0.1
    fakeip {
        filter +.lan real.example.com
    }
    forward . 127.0.0.1:%d
}
""" % up.port)
    assert kdig("router.lan", "A", srv.port).rdatas("A") == ["192.168.1.1"]
    assert kdig("real.example.com", "A", srv.port).rdatas("A") == ["192.0.2.10"]
    fake = fake_a(srv.port, "other.example.com")
    assert ipaddress.ip_address(fake) in ipaddress.ip_network("198.18.0.0/15")
    # Other types are the upstream's.
    assert kdig("noaddr.example.com", "TXT", srv.port).rdatas("TXT") == ['"no address"']


@needs_forward
def test_verify_with_real_upstream(start_cxxdns, start_unbound):
    up = upstream(start_unbound)
    srv = start_cxxdns(""".:{PORT} {
    bind 127.0.0.1
    fakeip {
        verify
    }
    forward . 127.0.0.1:%d
}
""" % up.port)
    fake = fake_a(srv.port, "real.example.com")
    assert ipaddress.ip_address(fake) in ipaddress.ip_network("198.18.0.0/15")
    # A search-expanded name that does not exist keeps its NXDOMAIN.
    r = kdig("real.example.com.example.com", "A", srv.port)
    assert r.rcode == "NXDOMAIN", r.raw
    # A name without addresses keeps its NODATA.
    r = kdig("noaddr.example.com", "A", srv.port)
    assert r.rcode == "NOERROR" and r.answer == [], r.raw
    # AAAA without range6: the real IPv6 address is not handed out.
    r = kdig("real.example.com", "AAAA", srv.port)
    assert r.rcode == "NOERROR" and r.answer == [], r.raw
