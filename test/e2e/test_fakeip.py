"""fakeip end to end: the real binary answering A/AAAA with fake addresses, the same address
for a name every time (across workers), PTR back to the name, persistence across restarts,
setup errors; and, when the forward plugin is built in, filtered names and `verify` against a
real unbound upstream."""

import ipaddress
import subprocess

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
])
def test_setup_errors(tmp_path, body, needle):
    (tmp_path / "Corefile").write_text(".:1053 {\n    fakeip {\n        %s\n    }\n}\n" % body)
    p = run_cxxdns(["-conf", "Corefile"], cwd=tmp_path)
    assert p.returncode != 0
    out = p.stdout + p.stderr
    assert "plugin/fakeip: Corefile:3 - Error during parsing" in out, out
    assert needle in out, out


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
