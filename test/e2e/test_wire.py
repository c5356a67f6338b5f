"""On the wire: UDP truncation and TC, EDNS sizes and the OPT record, TCP framing and
pipelining, malformed packets, and a smoke test of the harness's Unbound upstream."""

import random
import re
import shutil
import struct
import subprocess

import pytest

from harness import (
    AA, QR, RD, TC, build_opt, build_query, frame, kdig, dig, parse_message, tcp_connect,
    tcp_pipeline, tcp_query, tcp_read_reply, udp_drain, udp_query, udp_socket,
)

N_BIG = 60  # 60 A records: ~990 bytes, more than 512, less than 1232

BIG_ADDRS = [f"10.0.{i // 250}.{i % 250 + 1}" for i in range(N_BIG)]

BIG = (""".:{PORT} {
    bind 127.0.0.1
    hosts {
""" + "".join(f"        {a} big.example.\n" for a in BIG_ADDRS) + """        10.9.9.9 small.example.
    }
}
whoami.test:{PORT} {
    bind 127.0.0.1
    whoami
}
""")


@pytest.fixture
def big(start_cxxdns):
    return start_cxxdns(BIG)


def udp_big(srv, bufsize=None, qid=0x0B16):
    pkt = build_query("big.example", "A", qid=qid, bufsize=bufsize)
    reply = udp_query(pkt, srv.port)
    assert reply is not None, "no UDP reply"
    return parse_message(reply)  # raises ParseError if the truncated message is broken


# ---------------------------------------------------------------------------------------
# truncation
# ---------------------------------------------------------------------------------------

def test_udp_without_edns_is_truncated_to_512_with_tc(big):
    m = udp_big(big)
    assert m.size <= 512, m.size
    assert m.tc, "TC not set although records were dropped"
    assert m.rcode == "NOERROR"
    assert len(m.answer) < N_BIG
    assert m.opt is None, "OPT in a reply to a query without EDNS"
    for rr in m.answer:
        assert rr.name == "big.example." and rr.text in BIG_ADDRS


def test_kdig_sees_tc_over_udp(big):
    r = kdig("big.example", "A", big.port)
    assert "tc" in r.flags, r.raw
    assert len(r.answer) < N_BIG
    assert r.size <= 512, r.raw


def test_kdig_falls_back_to_tcp_and_gets_everything(big):
    r = kdig("big.example", "A", big.port, ignore_tc=False)
    assert "tc" not in r.flags, r.raw
    assert sorted(r.rdatas("A")) == sorted(BIG_ADDRS), r.raw


def test_dig_falls_back_to_tcp_and_gets_everything(big):
    r = dig("big.example", "A", big.port, ignore_tc=False)
    assert sorted(r.rdatas("A")) == sorted(BIG_ADDRS), r.raw


@pytest.mark.parametrize("bufsize", [1232, 4096, 65535])
def test_udp_edns_size_large_enough_gets_everything(big, bufsize):
    m = udp_big(big, bufsize)
    assert not m.tc
    assert sorted(rr.text for rr in m.answer) == sorted(BIG_ADDRS)
    assert m.size <= bufsize
    assert m.opt is not None, "no OPT in the reply to an EDNS query"


@pytest.mark.parametrize("bufsize", [512, 600, 800])
def test_udp_edns_small_size_truncates_to_that_size(big, bufsize):
    m = udp_big(big, bufsize)
    assert m.size <= bufsize, (m.size, bufsize)
    assert m.tc
    assert len(m.answer) < N_BIG
    assert m.opt is not None, "OPT dropped from a truncated EDNS reply"


def test_truncation_keeps_the_records_that_fit(big):
    """Truncated to the client's size: as many whole records as fit stay in (CoreDNS's
    dns.Msg.Truncate), so a bigger buffer keeps more of them."""
    small = udp_big(big, None)
    mid = udp_big(big, 800)
    assert 0 < len(small.answer) < len(mid.answer) < N_BIG, \
        (len(small.answer), len(mid.answer))
    # a 512-byte reply has room for 30 of these A records with name compression, 17
    # without: whole records are kept up to the limit
    assert len(small.answer) >= 17, len(small.answer)


def test_small_answer_is_not_truncated(big):
    pkt = build_query("small.example", "A", qid=5)
    m = parse_message(udp_query(pkt, big.port))
    assert not m.tc
    assert [rr.text for rr in m.answer] == ["10.9.9.9"]


@pytest.mark.parametrize("bufsize", [None, 512, 1232])
def test_tcp_is_never_truncated(big, bufsize):
    pkt = build_query("big.example", "A", qid=77, bufsize=bufsize)
    reply = tcp_query(pkt, big.port)
    assert reply is not None
    m = parse_message(reply)
    assert not m.tc
    assert sorted(rr.text for rr in m.answer) == sorted(BIG_ADDRS)
    r = kdig("big.example", "A", big.port, tcp=True, bufsize=bufsize)
    assert "tc" not in r.flags and len(r.answer) == N_BIG, r.raw


# ---------------------------------------------------------------------------------------
# EDNS
# ---------------------------------------------------------------------------------------

def test_opt_is_echoed_only_when_the_query_has_one(big):
    sock = udp_socket()
    try:
        for name in ("small.example", "x.whoami.test"):
            m = parse_message(udp_query(build_query(name, "A", qid=1), big.port, sock=sock))
            assert m.opt is None, f"{name}: OPT without EDNS in the query"
            m = parse_message(udp_query(build_query(name, "A", qid=2, bufsize=1232),
                                        big.port, sock=sock))
            assert m.opt is not None, f"{name}: no OPT in the reply"
            assert m.opt.version == 0
            assert m.opt.udp_size >= 512
            assert m.rcode == "NOERROR"
    finally:
        sock.close()


def test_do_bit_is_echoed(big):
    for name in ("small.example", "x.whoami.test"):
        m = parse_message(udp_query(build_query(name, "A", qid=3, bufsize=1232, do=True),
                                    big.port))
        assert m.opt is not None and m.opt.do, f"{name}: DO bit not copied (RFC 3225)"
        m = parse_message(udp_query(build_query(name, "A", qid=4, bufsize=1232), big.port))
        assert m.opt is not None and not m.opt.do


def test_kdig_edns_view(big):
    r = kdig("x.whoami.test", "A", big.port, bufsize=1400)
    assert r.edns is not None and r.edns["version"] == 0, r.raw
    r = kdig("x.whoami.test", "A", big.port)
    assert r.edns is None, r.raw


def test_edns_on_refused_and_servfail_replies(start_cxxdns):
    srv = start_cxxdns("""example.org:{PORT} {
    bind 127.0.0.1
    whoami
}
chainend.test:{PORT} {
    bind 127.0.0.1
    log
}
""")
    for name, rcode in (("other.net", "REFUSED"), ("chainend.test", "SERVFAIL")):
        m = parse_message(udp_query(build_query(name, "A", qid=9, bufsize=1232), srv.port))
        assert m.rcode == rcode
        assert m.opt is not None, f"{rcode} reply lost the OPT record"


# ---------------------------------------------------------------------------------------
# TCP framing and pipelining
# ---------------------------------------------------------------------------------------

def test_tcp_pipelined_queries_are_all_answered(big):
    names = ["small.example", "big.example", "x.whoami.test", "nope.example"] * 5
    packets = [build_query(n, "A", qid=1000 + i) for i, n in enumerate(names)]
    replies = tcp_pipeline(packets, big.port, timeout=10)
    assert len(replies) == len(packets), f"{len(replies)} replies to {len(packets)} queries"
    by_id = {}
    for raw in replies:
        m = parse_message(raw)
        assert m.id not in by_id, f"two replies with ID {m.id}"
        by_id[m.id] = m
    assert set(by_id) == {1000 + i for i in range(len(names))}
    for i, n in enumerate(names):
        m = by_id[1000 + i]
        assert m.questions[0][0] == n + "."
        if n == "small.example":
            assert [rr.text for rr in m.answer] == ["10.9.9.9"]
        elif n == "big.example":
            assert len(m.answer) == N_BIG and not m.tc
        elif n == "x.whoami.test":
            assert {rr.type_name for rr in m.additional} == {"A", "SRV"}
        else:
            # hosts without fallthrough: SERVFAIL for an unknown name, as in CoreDNS
            assert m.rcode == "SERVFAIL"


def test_tcp_pipelining_with_several_workers(start_cxxdns):
    srv = start_cxxdns(BIG, workers=4)
    packets = [build_query(f"q{i}.whoami.test", "A", qid=i) for i in range(50)]
    replies = tcp_pipeline(packets, srv.port, timeout=10, one_write=False)
    ids = sorted(parse_message(r).id for r in replies)
    assert ids == list(range(50))


def test_tcp_frame_split_across_writes(big):
    """Length prefix and message arrive in separate pieces: the server reassembles them."""
    pkt = build_query("small.example", "A", qid=4321)
    sock = tcp_connect(big.port)
    try:
        data = frame(pkt)
        sock.sendall(data[:1])
        sock.sendall(data[1:2])
        for i in range(2, len(data), 5):
            sock.sendall(data[i:i + 5])
        reply = tcp_read_reply(sock)
        assert reply is not None, "no reply to a query written in pieces"
        m = parse_message(reply)
        assert m.id == 4321 and [rr.text for rr in m.answer] == ["10.9.9.9"]
        # the same connection still works afterwards
        sock.sendall(frame(build_query("small.example", "A", qid=4322)))
        assert parse_message(tcp_read_reply(sock)).id == 4322
    finally:
        sock.close()


def test_tcp_two_queries_in_one_segment_then_a_third(big):
    sock = tcp_connect(big.port)
    try:
        sock.sendall(frame(build_query("small.example", "A", qid=1))
                     + frame(build_query("x.whoami.test", "A", qid=2)))
        got = {parse_message(tcp_read_reply(sock)).id for _ in range(2)}
        assert got == {1, 2}
        sock.sendall(frame(build_query("small.example", "A", qid=3)))
        assert parse_message(tcp_read_reply(sock)).id == 3
    finally:
        sock.close()


# ---------------------------------------------------------------------------------------
# malformed packets
# ---------------------------------------------------------------------------------------

def header(qid, flags=RD, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


BAD_ID = 0xBAD0
GOOD_ID = 0x600D

MALFORMED = {
    # name: (packet, may the server answer it with FORMERR?)
    "empty": (b"", False),
    "one_byte": (b"\x01", False),
    "eleven_bytes": (header(BAD_ID)[:11], False),
    "header_only_qdcount_1": (header(BAD_ID), True),
    "label_past_end": (header(BAD_ID) + b"\x3fabc", True),
    "label_past_end_after_good_label": (header(BAD_ID) + b"\x07example\x20ab", True),
    "pointer_loop": (header(BAD_ID) + b"\xc0\x0c" + struct.pack("!HH", 1, 1), True),
    "pointer_loop_two_hops": (header(BAD_ID) + b"\x01a\xc0\x10\x01b\xc0\x0c"
                              + struct.pack("!HH", 1, 1), True),
    "pointer_forward_past_end": (header(BAD_ID) + b"\xc3\xff" + struct.pack("!HH", 1, 1),
                                 True),
    "qdcount_2": (header(BAD_ID, qd=2) + b"\x01a\x00" + struct.pack("!HH", 1, 1)
                  + b"\x01b\x00" + struct.pack("!HH", 1, 1), True),
    "qdcount_2_one_question": (header(BAD_ID, qd=2) + b"\x01a\x00"
                               + struct.pack("!HH", 1, 1), True),
    "garbage_after_header": (header(BAD_ID) + bytes(range(200, 256)) * 3, True),
    "question_without_type": (header(BAD_ID) + b"\x01a\x00\x00", True),
    "bad_label_type": (header(BAD_ID) + b"\x41abc\x00" + struct.pack("!HH", 1, 1), True),
    "arcount_without_records": (header(BAD_ID, ar=3) + b"\x01a\x00"
                                + struct.pack("!HH", 1, 1), True),
    "truncated_opt": (header(BAD_ID, ar=1) + b"\x01a\x00" + struct.pack("!HH", 1, 1)
                      + build_opt(1232)[:7], True),
    "response_bit_set": (build_query("small.example", "A", qid=BAD_ID, flags=QR | AA | RD),
                         False),
    "response_bit_set_big": (header(BAD_ID, flags=QR | TC, qd=1, an=0)
                             + b"\x01a\x00" + struct.pack("!HH", 1, 1), False),
}


def check_after_bad_udp(srv, packet, may_formerr):
    sock = udp_socket()
    try:
        sock.sendto(packet, ("127.0.0.1", srv.port))
        good = build_query("small.example", "A", qid=GOOD_ID)
        others = []
        reply = udp_query(good, srv.port, sock=sock, timeout=3, others=others)
        assert reply is not None, "no answer to a good query after the bad packet"
        m = parse_message(reply)
        assert m.id == GOOD_ID and [rr.text for rr in m.answer] == ["10.9.9.9"]
        # anything else that arrived (or arrives shortly) must be a FORMERR for the bad one
        others += udp_drain(sock, 0.3)
    finally:
        sock.close()
    for raw in others:
        assert may_formerr, f"unexpected reply to a packet that must be dropped: {raw.hex()}"
        assert len(raw) >= 12
        qid, flags = struct.unpack("!HH", raw[:4])
        assert qid == BAD_ID, f"reply with ID {qid:#x}"
        assert flags & QR, "reply without QR"
        assert flags & 0xF == 1, f"reply with rcode {flags & 0xF}, expected FORMERR"
    assert srv.alive(), srv.output_report()


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_udp_then_good_query(big, case):
    packet, may_formerr = MALFORMED[case]
    check_after_bad_udp(big, packet, may_formerr)


def test_all_malformed_udp_in_a_row_then_good_query(big):
    sock = udp_socket()
    try:
        for packet, _ in MALFORMED.values():
            sock.sendto(packet, ("127.0.0.1", big.port))
    finally:
        sock.close()
    check_after_bad_udp(big, header(BAD_ID) + b"\x3fabc", True)


def test_random_udp_garbage_does_not_crash(big):
    rng = random.Random(20240611)
    sock = udp_socket()
    try:
        for i in range(400):
            n = rng.choice([1, 5, 11, 12, 13, 17, 29, 64, 300, 600])
            body = bytes(rng.randrange(256) for _ in range(n))
            if n >= 4 and i % 2 == 0:
                # mostly-plausible queries: QR clear, qdcount 1, random rest
                body = body[:2] + bytes([body[2] & 0x7F, body[3]]) + b"\x00\x01" + body[6:]
            sock.sendto(body, ("127.0.0.1", big.port))
    finally:
        sock.close()
    r = kdig("small.example", "A", big.port)
    assert r.rdatas("A") == ["10.9.9.9"], r.raw
    assert big.alive(), big.output_report()


@pytest.mark.parametrize("case", ["eleven_bytes", "label_past_end", "pointer_loop",
                                  "qdcount_2", "garbage_after_header", "response_bit_set"])
def test_malformed_tcp_then_good_query(big, case):
    packet, may_formerr = MALFORMED[case]
    sock = tcp_connect(big.port)
    try:
        sock.sendall(frame(packet))
        reply = tcp_read_reply(sock, timeout=1.0)  # FORMERR, nothing, or a closed connection
        if reply is not None:
            assert may_formerr, f"reply to a packet that must be dropped: {reply.hex()}"
            qid, flags = struct.unpack("!HH", reply[:4])
            assert (qid, flags & QR, flags & 0xF) == (BAD_ID, QR, 1)
    except (ConnectionResetError, BrokenPipeError):
        pass
    finally:
        sock.close()
    r = kdig("small.example", "A", big.port, tcp=True)
    assert r.rdatas("A") == ["10.9.9.9"], r.raw
    assert big.alive(), big.output_report()


def test_tcp_connection_closed_mid_message(big):
    sock = tcp_connect(big.port)
    sock.sendall(struct.pack("!H", 300) + b"\x12\x34\x01\x00")
    sock.close()
    sock = tcp_connect(big.port)
    sock.sendall(b"\x00")
    sock.close()
    r = kdig("small.example", "A", big.port, tcp=True)
    assert r.rdatas("A") == ["10.9.9.9"], r.raw
    assert big.alive()


# ---------------------------------------------------------------------------------------
# the harness's Unbound upstream
# ---------------------------------------------------------------------------------------

def test_unbound_fixture_serves_local_data_and_stays_offline(start_unbound):
    up = start_unbound(
        local_zones=[("upstream.test.", "static")],
        local_data=[
            "www.upstream.test. 300 IN A 192.0.2.10",
            "www.upstream.test. 300 IN AAAA 2001:db8::10",
            'txt.upstream.test. 60 IN TXT "hello world"',
            "_dns._udp.upstream.test. 60 IN SRV 0 5 53 www.upstream.test.",
        ] + [f"big.upstream.test. 300 IN A {a}" for a in BIG_ADDRS])
    r = kdig("www.upstream.test", "A", up.port)
    assert (r.rcode, r.answer) == ("NOERROR", [("www.upstream.test.", 300, "IN", "A",
                                                "192.0.2.10")]), r.raw
    assert "aa" in r.flags and "qr" in r.flags
    r = kdig("www.upstream.test", "AAAA", up.port, tcp=True)
    assert r.rdatas("AAAA") == ["2001:db8::10"], r.raw
    r = kdig("txt.upstream.test", "TXT", up.port)
    assert r.answer == [("txt.upstream.test.", 60, "IN", "TXT", '"hello world"')], r.raw
    r = kdig("_dns._udp.upstream.test", "SRV", up.port)
    assert r.rdatas("SRV") == ["0 5 53 www.upstream.test."], r.raw
    r = kdig("missing.upstream.test", "A", up.port)
    assert r.rcode == "NXDOMAIN", r.raw
    r = kdig("www.upstream.test", "MX", up.port)
    assert (r.rcode, r.answer) == ("NOERROR", []), r.raw
    # truncation and EDNS through the parser
    r = kdig("big.upstream.test", "A", up.port)
    assert "tc" in r.flags, r.raw
    r = kdig("big.upstream.test", "A", up.port, bufsize=1232, do=True)
    assert len(r.answer) == N_BIG and r.edns["udp_size"] > 0 and "do" in r.edns["flags"]
    # offline: anything outside the local zones is refused, never resolved
    for name in ("example.com.", "www.iana.org.", "."):
        r = kdig(name, "A", up.port)
        assert r.rcode == "REFUSED", r.raw
    assert up.alive()
    assert up.stop() == 0


def test_unbound_fixture_as_dig_target(start_unbound):
    up = start_unbound(local_zones=["upstream.test."],
                       local_data=["www.upstream.test. 300 IN A 192.0.2.10"])
    r = dig("www.upstream.test", "A", up.port)
    assert r.answer == [("www.upstream.test.", 300, "IN", "A", "192.0.2.10")], r.raw
    r = dig("www.upstream.test", "A", up.port, bufsize=1232)
    assert r.edns is not None, r.raw


@pytest.mark.parametrize("refuse_root", [True, False])
def test_unbound_fixture_never_sends_anything_off_loopback(start_unbound, tmp_path,
                                                            refuse_root):
    """Trace unbound's network syscalls while it is asked for names it does not hold:
    it must not send or connect to any address but 127.0.0.1. refuse_root=False checks the
    second line of defence (root hints on 127.0.0.1 + do-not-query-localhost)."""
    strace = shutil.which("strace")
    if strace is None or subprocess.run([strace, "-o", "/dev/null", "true"]).returncode:
        pytest.skip("strace not usable here")
    trace = tmp_path / "unbound.strace"
    up = start_unbound(local_zones=[("upstream.test.", "static")],
                       local_data=["www.upstream.test. 300 IN A 192.0.2.10",
                                   "transparent.example. 300 IN A 192.0.2.11"],
                       refuse_root=refuse_root, ready_timeout=30,
                       wrapper=[strace, "-f", "--seccomp-bpf", "-e",
                                "trace=connect,sendto,sendmsg,sendmmsg", "-o", str(trace)])
    assert kdig("www.upstream.test", "A", up.port).rdatas("A") == ["192.0.2.10"]
    for name, qtype in (("example.com.", "A"), (".", "NS"), ("www.iana.org.", "AAAA"),
                        ("transparent.example.", "MX"), ("sub.transparent.example.", "A")):
        r = kdig(name, qtype, up.port, timeout=5, retry=0)
        assert r.rcode in ("REFUSED", "SERVFAIL", "NOERROR", "NXDOMAIN"), r.raw
        if refuse_root and name != "transparent.example.":
            assert r.rcode == "REFUSED", r.raw
    assert up.stop() == 0
    text = trace.read_text()
    addrs = re.findall(r'inet_addr\("([0-9.]+)"\)', text)
    addrs6 = re.findall(r'inet_pton\(AF_INET6, "([^"]+)"', text)
    assert addrs, "strace saw no traffic at all: the check itself is broken"
    off = [a for a in addrs if not a.startswith("127.")] + [a for a in addrs6 if a != "::1"]
    assert not off, f"unbound talked to {sorted(set(off))}"
