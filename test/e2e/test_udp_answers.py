"""How UDP answers leave: from the address the query came to, and never dropped for their
size (issue 19)."""
import pytest

from harness import build_query, dig, free_wildcard_port, kdig, parse_message, udp_query


@pytest.mark.parametrize("bind", [None, "0.0.0.0", "::"])
@pytest.mark.parametrize("client", ["kdig", "dig"])
def test_a_wildcard_listener_answers_from_the_address_asked(start_cxxdns, bind, client):
    """A server listening on every address used to answer a query sent to 127.0.0.5 from
    127.0.0.1, and the client dropped it (any host with secondary addresses lost DNS on
    them). kdig and dig accept only an answer from the address they asked."""
    bind_line = f"    bind {bind}\n" if bind else ""
    srv = start_cxxdns(".:{PORT} {\n" + bind_line + "    whoami\n}\n", port=free_wildcard_port())
    ask = kdig if client == "kdig" else dig
    for server in ("127.0.0.5", "127.0.0.1", "127.1.2.3"):
        r = ask("a.example", "A", srv.port, server=server, timeout=2, check=False)
        assert r.rcode == "NOERROR", f"{server}: {r.raw}{r.stderr}"
        assert r.additional and r.additional[0][3] == "A", r.raw
    # The raw client checks the source address of the datagram too (harness.udp_query).
    m = udp_query(build_query("b.example", "A", 0x55), srv.port, server="127.0.0.5")
    assert m is not None and parse_message(m).rcode == "NOERROR"
    assert srv.stop() == 0


# 4,092 A records: with an OPT record, an answer of 65,512 bytes, more than IPv4 can carry
# in one UDP datagram (65,507) but less than the 65,535 a client may announce.
BIG_ADDRS = [f"10.{i // 256 % 256}.{i % 256}.{i // 65536 + 1}" for i in range(4092)]
BIG = """
.:{PORT} {
    bind 127.0.0.1
    hosts {
""" + "".join(f"        {a} big.example.\n" for a in BIG_ADDRS) + """    }
}
"""


def test_an_answer_too_big_for_udp_is_truncated_not_dropped(start_cxxdns):
    srv = start_cxxdns(BIG)
    full = kdig("big.example", "A", srv.port, tcp=True, bufsize=65535)
    assert full.size is not None and 65507 < full.size <= 65535, full.size
    assert len(full.answer) == 4092
    # Over UDP with EDNS 65535 it used to be dropped silently (sendmsg: message too long).
    m = udp_query(build_query("big.example", "A", 0x77, bufsize=65535), srv.port, timeout=3)
    assert m is not None, "no answer"
    msg = parse_message(m)
    assert msg.tc and len(m) <= 65507 and msg.opt is not None, (msg.tc, len(m))
    # And a client that follows TC gets everything over TCP.
    r = kdig("big.example", "A", srv.port, bufsize=65535, ignore_tc=False)
    assert len(r.answer) == 4092
    assert srv.stop() == 0
