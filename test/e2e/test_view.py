"""view: several server blocks on one zone and address, each query going to the first whose
view expressions all hold, as CoreDNS's view; the real binary, kdig and dig as clients bound
to different 127.x source addresses (-b), a real unbound behind forward for the default
block. Bad expressions stop the server at start, naming file:line."""

import pytest

from harness import dig, kdig

SPLIT = """.:{PORT} {
    bind 127.0.0.1 ::1
    view example1 {
        expr incidr(client_ip(), '127.0.0.0/24')
    }
    hosts {
        1.1.1.1 test
    }
}

.:{PORT} {
    bind 127.0.0.1 ::1
    view example2 {
        expr incidr(client_ip(), '127.0.1.0/24')
    }
    hosts {
        2.2.2.2 test
    }
}

.:{PORT} {
    bind 127.0.0.1 ::1
    hosts {
        3.3.3.3 test
    }
}
"""


def from_source(srv, source, name="test", qtype="A", **kw):
    return kdig(name, qtype, srv.port, extra=["-b", source], **kw)


def test_split_dns_by_client_network(start_cxxdns):
    srv = start_cxxdns(SPLIT)
    for source, want in (("127.0.0.1", "1.1.1.1"), ("127.0.0.2", "1.1.1.1"),
                         ("127.0.0.254", "1.1.1.1"), ("127.0.1.1", "2.2.2.2"),
                         ("127.0.1.77", "2.2.2.2"), ("127.1.0.1", "3.3.3.3")):
        r = from_source(srv, source)
        assert r.rdatas("A") == [want], (source, r.raw)
    # dig, over TCP, from 127.0.1.9: the same choice.
    d = dig("test", "A", srv.port, tcp=True, extra=["-b", "127.0.1.9"])
    assert d.rdatas("A") == ["2.2.2.2"], d.raw
    # An IPv6 client is in neither network.
    assert kdig("test", "A", srv.port, server="::1").rdatas("A") == ["3.3.3.3"]
    # As CoreDNS, the start lists the zone once per address, not once per block.
    assert srv.stdout_text().splitlines().count(f".:{srv.port}") == 2, srv.stdout_text()


@pytest.fixture
def upstream(start_unbound):
    return start_unbound(local_zones=[("corp.example.", "static"), ("example.net.", "static")],
                         local_data=["www.corp.example. 300 IN A 192.0.2.50",
                                     'www.corp.example. 300 IN TXT "public"',
                                     "www.example.net. 300 IN A 192.0.2.80"])


def test_by_name_and_type(start_cxxdns, upstream):
    srv = start_cxxdns(f""".:{{PORT}} {{
    bind 127.0.0.1
    view internal {{
        expr name() matches '^[a-z]+\\\\.corp\\\\.example\\\\.$'
        expr type() in ['A', 'AAAA']
    }}
    hosts {{
        10.0.0.1 www.corp.example
    }}
}}
.:{{PORT}} {{
    bind 127.0.0.1
    forward . 127.0.0.1:{upstream.port}
}}
""")
    # Both expressions hold: the view's block answers from its hosts.
    assert kdig("www.corp.example", "A", srv.port).rdatas("A") == ["10.0.0.1"]
    assert kdig("WWW.Corp.Example", "A", srv.port).rdatas("A") == ["10.0.0.1"]
    # TXT is not in the list: the default block forwards it.
    assert kdig("www.corp.example", "TXT", srv.port).rdatas("TXT") == ['"public"']
    # A name the pattern does not match goes to the default block too.
    assert kdig("a.b.corp.example", "A", srv.port).rcode == "NXDOMAIN"
    assert kdig("www.example.net", "A", srv.port).rdatas("A") == ["192.0.2.80"]


def test_every_expression_must_hold(start_cxxdns):
    srv = start_cxxdns(""".:{PORT} {
    bind 127.0.0.1
    view tcp-local {
        expr incidr(client_ip(), '127.0.0.0/24')
        expr proto() == 'tcp' || client_ip() == '127.0.0.9'
    }
    hosts {
        1.1.1.1 test
    }
}
.:{PORT} {
    bind 127.0.0.1
    hosts {
        3.3.3.3 test
    }
}
""")
    assert from_source(srv, "127.0.0.2", tcp=True).rdatas("A") == ["1.1.1.1"]
    assert from_source(srv, "127.0.0.2").rdatas("A") == ["3.3.3.3"]
    assert from_source(srv, "127.0.0.9").rdatas("A") == ["1.1.1.1"]
    assert from_source(srv, "127.1.0.1", tcp=True).rdatas("A") == ["3.3.3.3"]


def test_longer_zone_view_then_shorter_zone(start_cxxdns):
    srv = start_cxxdns("""example.org:{PORT} {
    bind 127.0.0.1
    view special {
        expr client_ip() != '127.0.0.1'
    }
    template IN A {
        answer "{{ .Name }} 60 IN A 10.9.9.9"
    }
}
.:{PORT} {
    bind 127.0.0.1
    template IN A {
        answer "{{ .Name }} 60 IN A 10.1.1.1"
    }
}
""")
    assert from_source(srv, "127.0.0.5", "www.example.org").rdatas("A") == ["10.9.9.9"]
    assert from_source(srv, "127.0.0.1", "www.example.org").rdatas("A") == ["10.1.1.1"]
    assert from_source(srv, "127.0.0.5", "www.example.com").rdatas("A") == ["10.1.1.1"]


def refused_start(start_cxxdns, corefile):
    srv = start_cxxdns(corefile, start=False)
    srv.start(ready=False)
    assert srv.proc.wait(timeout=10) != 0
    return srv.stderr_text() + srv.stdout_text()


def test_bad_expressions_and_orders_are_refused(start_cxxdns):
    err = refused_start(start_cxxdns, """.:{PORT} {
    bind 127.0.0.1
    view v {
        expr name() == 1
    }
    whoami
}
""")
    assert "Corefile:4" in err and "mismatched types string and int" in err, err
    err = refused_start(start_cxxdns, """.:{PORT} {
    bind 127.0.0.1
    view v {
        expr nosuch() == 'a'
    }
    whoami
}
""")
    assert "Corefile:4" in err and "unknown name nosuch" in err, err
    # A block without a view takes every query left: nothing may follow it on its zone.
    err = refused_start(start_cxxdns, """.:{PORT} {
    bind 127.0.0.1
    whoami
}
.:{PORT} {
    bind 127.0.0.1
    view v {
        expr type() == 'A'
    }
    whoami
}
""")
    assert "Corefile:5" in err and "already defined" in err, err
