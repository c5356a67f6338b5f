"""nsid, bufsize, any, local, header, minimal and debug with the real binary, real clients
(dig +nsid, kdig) and, where the plugin changes what goes upstream, a second cxxdns as the
upstream whose `log` shows what it received."""

import socket
import struct

from harness import build_query, dig, kdig, parse_message, udp_query, wait_until


def upstream(start_cxxdns):
    """An upstream that logs every query it gets (its EDNS size and flags) and answers with
    whoami (an empty answer, the client in the additional section)."""
    return start_cxxdns(".:{PORT} {\n    bind 127.0.0.1\n    log\n    whoami\n}\n")


def logged(up, name):
    """The upstream's log line for `name` (waiting for it)."""
    m = up.wait_for_log(r'\[INFO\] 127\.0\.0\.1:\d+ - \d+ "\w+ IN ' + name.replace(".", r"\.")
                        + r'\. \w+ \d+ \w+ \d+" .*')
    return m.group(0)


def test_nsid_with_dig(start_cxxdns):
    # AKS LocalDNS's form (corpus 11): nsid in a forwarding block.
    up = upstream(start_cxxdns)
    srv = start_cxxdns(f".:{{PORT}} {{\n    bind 127.0.0.1\n    nsid localdns\n"
                       f"    forward . 127.0.0.1:{up.port}\n}}\n")
    r = dig("example.org", "A", srv.port, bufsize=1232, extra=["+nsid"])
    assert r.rcode == "NOERROR", r.raw
    assert 'NSID: 6c 6f 63 61 6c 64 6e 73 ("localdns")' in r.raw, r.raw
    # Not asked, not given.
    r = dig("example.org", "A", srv.port, bufsize=1232)
    assert "NSID" not in r.raw, r.raw


def test_bufsize_lowers_what_goes_upstream(start_cxxdns):
    # OpenShift's form (corpus 12): bufsize 512 before forward.
    up = upstream(start_cxxdns)
    srv = start_cxxdns(f".:{{PORT}} {{\n    bind 127.0.0.1\n    bufsize 512\n"
                       f"    forward . 127.0.0.1:{up.port}\n}}\n")
    kdig("big.example.org", "A", srv.port, bufsize=4096)
    line = logged(up, "big.example.org")
    assert '"A IN big.example.org. udp ' in line and " false 512\"" in line, line
    kdig("small.example.org", "A", srv.port, bufsize=500)
    line = logged(up, "small.example.org")
    assert " false 512\"" in line, line  # EDNS sizes below 512 count as 512 (RFC 6891)


def test_any_hinfo(start_cxxdns):
    srv = start_cxxdns(".:{PORT} {\n    bind 127.0.0.1\n    any\n    whoami\n}\n")
    r = kdig("example.org", "ANY", srv.port)
    assert r.rcode == "NOERROR", r.raw
    assert r.answer == [("example.org.", 8482, "IN", "HINFO",
                         '"ANY obsoleted" "See RFC 8482"')], r.raw
    assert kdig("example.org", "A", srv.port).answer == []


def test_local_names(start_cxxdns):
    srv = start_cxxdns(".:{PORT} {\n    bind 127.0.0.1\n    local\n    whoami\n}\n")
    assert kdig("localhost", "A", srv.port).rdatas("A") == ["127.0.0.1"]
    assert kdig("a.b.localhost", "AAAA", srv.port).rdatas("AAAA") == ["::1"]
    assert kdig("1.0.0.127.in-addr.arpa", "PTR", srv.port).rdatas("PTR") == ["localhost."]
    r = kdig("2.0.0.127.in-addr.arpa", "PTR", srv.port)
    assert r.rcode == "NXDOMAIN" and r.records("SOA", "authority"), r.raw


def test_header_rules_on_both_sides(start_cxxdns):
    up = upstream(start_cxxdns)
    srv = start_cxxdns(f".:{{PORT}} {{\n    bind 127.0.0.1\n    header {{\n"
                       f"        query clear rd\n        response set ra aa\n    }}\n"
                       f"    forward . 127.0.0.1:{up.port}\n}}\n")
    r = kdig("hdr.example.org", "A", srv.port)
    assert {"ra", "aa"} <= r.flags, r.raw
    assert "rd" not in r.flags, r.raw  # the answer copies RD from the query as forwarded
    # The upstream got the query without RD: its answer's flags (logged) have none either.
    line = logged(up, "hdr.example.org")
    assert '" NOERROR qr,aa ' in line, line


def test_minimal_drops_the_additional_section(start_cxxdns):
    up = upstream(start_cxxdns)
    full = start_cxxdns(f".:{{PORT}} {{\n    bind 127.0.0.1\n"
                        f"    forward . 127.0.0.1:{up.port}\n}}\n")
    small = start_cxxdns(f".:{{PORT}} {{\n    bind 127.0.0.1\n    minimal\n"
                         f"    forward . 127.0.0.1:{up.port}\n}}\n")
    assert len(kdig("m.example.org", "A", full.port, bufsize=1232).additional) == 2
    r = kdig("m.example.org", "A", small.port, bufsize=1232)
    assert r.rcode == "NOERROR" and r.additional == [], r.raw
    assert r.edns is not None  # the OPT record stays


def test_debug_dumps_a_message_it_cannot_read(start_cxxdns):
    # Corpus 37's `debug` line, in a block of its own.
    srv = start_cxxdns(".:{PORT} {\n    bind 127.0.0.1\n    debug\n    whoami\n}\n")
    bad = build_query("example.org", "A", qid=0x1234)[:20]  # the name cut short
    reply = udp_query(bad, srv.port)
    assert reply is not None and parse_message(reply).rcode == "FORMERR"
    m = srv.wait_for_log(r"\[DEBUG\] Bad DNS message from 127\.0\.0\.1:\d+ \(20 bytes\): "
                         r"malformed, answered FORMERR\ndebug: 000000 12 34 01 00 00 01 00 00 "
                         r"00 00 00 00 07 65 78 61\ndebug: 000010 6d 70 6c 65\ndebug: 000014")
    assert m
    # Without debug: nothing.
    quiet = start_cxxdns(".:{PORT} {\n    bind 127.0.0.1\n    whoami\n}\n")
    udp_query(bad, quiet.port)
    assert quiet.stop() == 0
    assert "[DEBUG]" not in quiet.stdout_text()
