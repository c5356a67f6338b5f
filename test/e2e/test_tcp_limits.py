"""TCP clients cannot shut other clients out, and what they make the server hold comes back
(issue 19: slowloris, held connections, clients that never read, the open-file limit).

Hostile clients are raw sockets from 127.0.0.0/8 source addresses; the legitimate client is
kdig. The server's open-file limit is set at start (rlimit_nofile) so that the connection
caps it derives are small enough to reach in a few seconds."""
import resource
import socket
import time
from pathlib import Path

import pytest

from harness import (build_query, frame, is_sanitized, kdig, tcp_connect, tcp_read_reply,
                     wait_until)

WHOAMI = """
.:{PORT} {
    bind 127.0.0.1
    whoami
}
"""


def raise_own_open_files(need: int) -> None:
    """The test process holds thousands of sockets too."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < need:
        pytest.skip(f"open-file hard limit {hard} < {need}")
    if soft != resource.RLIM_INFINITY and soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))


def server_soft_open_files(pid: int) -> int:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            return int(line.split()[3])
    raise AssertionError("no 'Max open files' line")


def open_fds(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def connect_from(source: str, port: int) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    s.setblocking(False)
    return s


def is_closed_by_server(s: socket.socket, wait: float = 0.0) -> bool:
    """True when the server closed s (EOF or reset)."""
    s.settimeout(wait) if wait else s.setblocking(False)
    try:
        return s.recv(1) == b""
    except (BlockingIOError, socket.timeout):
        return False
    except ConnectionResetError:
        return True


def close_all(socks):
    for s in socks:
        s.close()


# ---------------------------------------------------------------------------------------
# A deadline per message, not per byte
# ---------------------------------------------------------------------------------------

def test_a_trickled_message_is_cut_at_its_read_deadline(start_cxxdns):
    # One byte every 0.5 s: each byte used to restart the 3 s read timer, so the connection
    # lived as long as the client liked. The deadline now runs from the message's first byte.
    srv = start_cxxdns(WHOAMI)
    s = tcp_connect(srv.port)
    msg = frame(build_query("a.example.", "A", 5))  # 30 bytes: 15 s at this pace
    start = time.monotonic()
    outcome = None
    for byte in msg:
        try:
            s.send(bytes([byte]))
            s.settimeout(0.5)
            data = s.recv(1)
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        outcome = "closed" if data == b"" else "answered"
        break
    waited = time.monotonic() - start
    s.close()
    assert outcome == "closed", f"{outcome} after {waited:.1f}s"
    # The default read timeout, 3 s; the upper bound leaves room for a loaded machine (the
    # old per-byte timer would have let the 15 s message be answered).
    assert 2.5 <= waited <= 8, waited
    assert srv.stop() == 0


# ---------------------------------------------------------------------------------------
# Caps: the connection idle longest gives way
# ---------------------------------------------------------------------------------------

def test_at_the_per_client_cap_the_clients_longest_idle_connection_goes(start_cxxdns):
    srv = start_cxxdns(WHOAMI, workers=1,
                       args=["-tcp.max-per-client", "4", "-tcp.max-connections", "100"])
    socks = []
    for i in range(6):
        socks.append(connect_from("127.0.0.2", srv.port))
        time.sleep(0.05)  # a distinct order of activity
    try:
        # The two oldest made room for the fifth and the sixth.
        wait_until(lambda: is_closed_by_server(socks[0]) and is_closed_by_server(socks[1]),
                   timeout=3, what="the two idlest closed")
        for s in socks[2:]:
            assert not is_closed_by_server(s)
            s.setblocking(True)
            s.sendall(frame(build_query("a.example.", "A", 9)))
            assert tcp_read_reply(s) is not None
        # Another address has its own share.
        assert kdig("b.example", "A", srv.port, tcp=True).rcode == "NOERROR"
    finally:
        close_all(socks)
    assert srv.stop() == 0


def test_at_the_connection_cap_the_longest_idle_connection_goes(start_cxxdns):
    srv = start_cxxdns(WHOAMI, workers=1, args=["-tcp.max-connections", "5"])
    socks = []
    for i in range(5):
        socks.append(connect_from(f"127.0.0.{10 + i}", srv.port))
        time.sleep(0.05)
    try:
        # The first becomes the most recently active: it asks a question.
        socks[0].setblocking(True)
        socks[0].sendall(frame(build_query("a.example.", "A", 1)))
        assert tcp_read_reply(socks[0]) is not None
        assert kdig("c.example", "A", srv.port, tcp=True).rcode == "NOERROR"
        # kdig's connection took the place of the idlest: the second, not the first.
        assert is_closed_by_server(socks[1], wait=2)
        assert not is_closed_by_server(socks[0])
    finally:
        close_all(socks)
    assert srv.stop() == 0


HOSTILE = 5000


def hold_connections(port: int, n: int, sources: list) -> list:
    socks = []
    for i in range(n):
        try:
            socks.append(connect_from(sources[i % len(sources)], port))
        except OSError:
            pass  # refused or timed out: the server is full, which is its right
    return socks


@pytest.mark.parametrize("style", ["idle", "trickle"])
@pytest.mark.parametrize("sources", ["same", "one", "forty"])
def test_a_tcp_query_is_answered_while_5000_hostile_connections_are_held(start_cxxdns, style,
                                                                         sources):
    """The server starts with a soft open-file limit of 1024 (hard 2048): it raises it to
    2048 and admits 1536 client connections, 192 per address. 5,000 connections, silent or
    sending one byte of a message now and then, from the querier's own address, from one
    other or from forty: every new connection still gets in and is answered."""
    raise_own_open_files(HOSTILE + 1000)
    src = {"same": ["127.0.0.1"], "one": ["127.0.0.2"],
           "forty": [f"127.0.1.{i}" for i in range(1, 41)]}[sources]
    srv = start_cxxdns(WHOAMI, workers=1, rlimit_nofile=(1024, 2048))
    assert server_soft_open_files(srv.pid) == 2048
    socks = hold_connections(srv.port, HOSTILE, src)
    try:
        assert len(socks) > 2000, len(socks)
        for round_ in range(3):
            if style == "trickle":  # one byte of a length prefix each, then more
                for s in socks:
                    try:
                        s.send(b"\x00")
                    except OSError:
                        pass
            r = kdig(f"q{round_}.example", "A", srv.port, tcp=True, timeout=3, retry=0,
                     check=False)
            assert r.rcode == "NOERROR", f"round {round_}: {r.raw}{r.stderr}"
            assert open_fds(srv.pid) < 2048 - 256  # the reserve is never touched
            time.sleep(1.2)
    finally:
        close_all(socks)
    assert srv.stop() == 0


# ---------------------------------------------------------------------------------------
# Clients that never read
# ---------------------------------------------------------------------------------------

# 4,092 A records: an answer of 65,512 bytes over TCP.
BIG_ADDRS = [f"10.{i // 256 % 256}.{i % 256}.{i // 65536 + 1}" for i in range(4092)]
BIG = """
.:{PORT} {
    bind 127.0.0.1
    hosts {
""" + "".join(f"        {a} big.example.\n" for a in BIG_ADDRS) + """    }
}
"""


def test_clients_that_never_read_cannot_pin_memory(start_cxxdns):
    """40 connections each send 128 queries for a 64 KB answer and never read. They used to
    pin 333 MB that stayed after they left: what one connection may be owed is bounded now
    (reading stops, then the connection closes), and the memory goes back."""
    srv = start_cxxdns(BIG, workers=1)
    q = frame(build_query("big.example.", "A", 3))
    s = tcp_connect(srv.port)
    s.sendall(q)
    reply = tcp_read_reply(s)
    assert reply is not None and len(reply) > 65000
    s.close()
    time.sleep(0.5)
    warm = rss_kb(srv.pid)
    socks = []
    for i in range(40):
        c = connect_from(f"127.0.2.{i + 1}", srv.port)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        socks.append(c)
    for c in socks:
        try:
            c.setblocking(True)
            c.settimeout(2)
            c.sendall(q * 128)
        except OSError:
            pass  # the server stopped reading, or closed it: both are the point
    time.sleep(2)
    during = rss_kb(srv.pid)
    close_all(socks)
    assert srv.query("big.example", "A", tcp=True).rcode == "NOERROR"
    if is_sanitized():
        # ASan's allocator keeps freed memory in quarantine: nothing to judge, but the
        # attack ran under it (a report fails the test at teardown).
        assert srv.stop() == 0
        return
    # The workers give back contexts, and the server trims the heap, every 10 s.
    after = wait_until(lambda: (v := rss_kb(srv.pid)) <= warm * 1.1 + 2048 and v, timeout=25,
                       what=f"RSS back near {warm} kB")
    assert during - warm < 60 * 1024, (warm, during)
    print(f"RSS warm {warm} kB, with 40 never-reading clients {during} kB, after {after} kB")
    assert srv.stop() == 0


# ---------------------------------------------------------------------------------------
# The open-file limit
# ---------------------------------------------------------------------------------------

def test_the_soft_open_file_limit_is_raised_to_the_hard_limit(start_cxxdns):
    srv = start_cxxdns(WHOAMI, rlimit_nofile=(1024, 4096))
    assert server_soft_open_files(srv.pid) == 4096
    assert srv.stop() == 0


def test_held_connections_cannot_take_the_descriptors_forward_needs(start_cxxdns,
                                                                     start_unbound):
    """Open-file limit 1024 that cannot be raised: 1,100 idle client connections used to
    take every descriptor, and every forwarded query failed ("cannot open a UDP socket").
    Client connections get at most 768 now; the rest is kept for upstream sockets."""
    raise_own_open_files(3000)
    up = start_unbound(local_zones=["example.net."],
                       local_data=["www.example.net. 300 IN A 192.0.2.1"])
    corefile = f"""
.:{{PORT}} {{
    bind 127.0.0.1
    forward . 127.0.0.1:{up.port}
}}
"""
    srv = start_cxxdns(corefile, workers=2, rlimit_nofile=(1024, 1024))
    socks = hold_connections(srv.port, 1100, [f"127.0.3.{i}" for i in range(1, 31)])
    try:
        assert len(socks) == 1100
        for i in range(5):
            r = kdig(f"n{i}.example.net", "A", srv.port, timeout=3, check=False)
            assert r.rcode == "NXDOMAIN", r.raw  # from unbound: forward opened its socket
        r = kdig("www.example.net", "A", srv.port, tcp=True, timeout=3, check=False)
        assert r.rcode == "NOERROR" and r.rdatas("A") == ["192.0.2.1"], r.raw + r.stderr
        assert open_fds(srv.pid) <= 1024 - 200
    finally:
        close_all(socks)
    assert srv.stop() == 0
    assert "cannot open" not in srv.stdout_text()


