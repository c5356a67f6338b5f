"""chaos with the real binary and real clients: the TXT answers in class CH that OpenShift's
DNS operator (hostname.bind, corpus 13 and 14) and a dn42 node (version.bind, authors.bind,
id.server..., corpus 33) configure, asked with dig and kdig."""

import socket

from harness import dig, kdig

CORPUS = """
hostname.bind:{PORT} {
    bind 127.0.0.1
    chaos
}
version.bind:{PORT} version.server:{PORT} authors.bind:{PORT} id.server:{PORT} {
    bind 127.0.0.1
    chaos xst-fan dn42@wolfyang.fan "Miek Gieben"
}
.:{PORT} {
    bind 127.0.0.1
    log
    chaos CoreDNS-001
    whoami
}
"""


def test_hostname_bind_is_the_host_name(start_cxxdns):
    srv = start_cxxdns(CORPUS)
    r = dig("hostname.bind", "TXT", srv.port, qclass="CH")
    assert r.rcode == "NOERROR", r.raw
    assert "aa" not in r.flags
    assert r.answer == [("hostname.bind.", 0, "CH", "TXT", f'"{socket.gethostname()}"')], r.raw
    k = kdig("id.server", "TXT", srv.port, qclass="CH")
    assert k.answer == [("id.server.", 0, "CH", "TXT", f'"{socket.gethostname()}"')], k.raw


def test_version_and_authors(start_cxxdns):
    srv = start_cxxdns(CORPUS)
    for name in ("version.bind", "version.server"):
        r = kdig(name, "TXT", srv.port, qclass="CH")
        assert r.answer == [(name + ".", 0, "CH", "TXT", '"xst-fan"')], r.raw
    r = dig("authors.bind", "TXT", srv.port, qclass="CH")
    assert sorted(a[4] for a in r.answer) == ['"Miek Gieben"', '"dn42@wolfyang.fan"'], r.raw
    assert {a[:4] for a in r.answer} == {("authors.bind.", 0, "CH", "TXT")}


def test_other_questions_go_on(start_cxxdns):
    srv = start_cxxdns(CORPUS)
    # A CH TXT name chaos does not know, and an IN question: whoami answers them.
    for name, qclass in (("example.org", "CH"), ("example.net", "IN")):
        r = kdig(name, "TXT", srv.port, qclass=qclass)
        assert r.rcode == "NOERROR" and r.answer == [], r.raw
        assert len(r.additional) == 2, r.raw  # whoami's address and port
    # In the blocks of the chaos names chaos is alone: another type, or class IN, finds
    # nothing after it (CoreDNS's NextOrFailure): SERVFAIL.
    for qtype, qclass in (("SRV", "CH"), ("TXT", "IN")):
        r = kdig("authors.bind", qtype, srv.port, qclass=qclass)
        assert r.rcode == "SERVFAIL", r.raw
    assert srv.stop() == 0


def test_default_version_is_cxxdns(start_cxxdns):
    srv = start_cxxdns(".:{PORT} {\n    bind 127.0.0.1\n    chaos\n}\n")
    r = kdig("version.bind", "TXT", srv.port, qclass="CH")
    assert len(r.answer) == 1 and r.answer[0][4].startswith('"cxxdns-'), r.raw
    r = kdig("authors.bind", "TXT", srv.port, qclass="CH")
    assert r.answer == [("authors.bind.", 0, "CH", "TXT", '"cxxdns maintainers"')], r.raw
