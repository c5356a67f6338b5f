"""How UDP answers leave: from the address the query came to, and never dropped for their
size (issue 19)."""
import pytest

from harness import build_query, dig, kdig, parse_message, udp_query


@pytest.mark.parametrize("bind", [None, "0.0.0.0", "::"])
@pytest.mark.parametrize("client", ["kdig", "dig"])
def test_a_wildcard_listener_answers_from_the_address_asked(start_cxxdns, bind, client):
    """A server listening on every address used to answer a query sent to 127.0.0.5 from
    127.0.0.1, and the client dropped it (any host with secondary addresses lost DNS on
    them). kdig and dig accept only an answer from the address they asked."""
    bind_line = f"    bind {bind}\n" if bind else ""
    srv = start_cxxdns(".:{PORT} {\n" + bind_line + "    whoami\n}\n")
    ask = kdig if client == "kdig" else dig
    for server in ("127.0.0.5", "127.0.0.1", "127.1.2.3"):
        r = ask("a.example", "A", srv.port, server=server, timeout=2, check=False)
        assert r.rcode == "NOERROR", f"{server}: {r.raw}{r.stderr}"
        assert r.additional and r.additional[0][3] == "A", r.raw
    # The raw client checks the source address of the datagram too (harness.udp_query).
    m = udp_query(build_query("b.example", "A", 0x55), srv.port, server="127.0.0.5")
    assert m is not None and parse_message(m).rcode == "NOERROR"
    assert srv.stop() == 0

