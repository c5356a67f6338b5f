"""reload (plugin and SIGUSR1) under a query loop, a broken Corefile on reload, and the loop
plugin stopping a real forwarding loop between two cxxdns servers."""
import os
import re
import socket
import threading
import time

import harness
from harness import build_query, parse_message, udp_query, wait_until

COREFILE = """
.:{PORT} {{
    bind 127.0.0.1
    reload 2s 1s
    hosts {{
        {addr} a.example.
    }}
}}
"""


class QueryLoop:
    """Asks a.example A over UDP as fast as it gets answers, counting every failure."""

    def __init__(self, port):
        self.port = port
        self.sent = 0
        self.failed = []
        self.answers = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        qid = 0
        while not self._stop.is_set():
            qid = (qid + 1) % 65536
            # 5 s: a loaded machine may keep the server waiting; a query dropped at the swap
            # never gets an answer and still counts as failed.
            reply = udp_query(build_query("a.example.", "A", qid), self.port, timeout=5.0)
            self.sent += 1
            if reply is None:
                self.failed.append("no answer")
                continue
            m = parse_message(reply)
            if m.rcode != "NOERROR" or not m.answer:
                self.failed.append(m.rcode)
                continue
            self.answers.add(m.answer[0].text)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(10)


def test_reload_plugin_swaps_with_no_failed_query(start_cxxdns):
    srv = start_cxxdns(COREFILE.format(addr="10.0.0.1", PORT="{PORT}"), workers=2)
    srv.wait_for_log(r"plugin/reload: Running configuration SHA512 = [0-9a-f]{128}")
    with QueryLoop(srv.port) as loop:
        wait_until(lambda: loop.sent > 50, 5, what="queries flowing")
        (srv.dir / "Corefile").write_text(
            COREFILE.format(addr="10.0.0.2", PORT="{PORT}").replace("{PORT}", str(srv.port)))
        srv.wait_for_log(r"\[INFO\] Reloading complete", timeout=10)
        wait_until(lambda: "10.0.0.2" in loop.answers, 5, what="the new answer")
        sent_at_swap = loop.sent
        wait_until(lambda: loop.sent > sent_at_swap + 50, 5, what="queries after the swap")
    assert loop.failed == [], f"{len(loop.failed)} of {loop.sent} failed: {loop.failed[:5]}"
    assert loop.answers == {"10.0.0.1", "10.0.0.2"}
    assert srv.stop() == 0


def test_broken_corefile_is_refused_and_old_one_keeps_serving(start_cxxdns):
    srv = start_cxxdns(COREFILE.format(addr="10.0.0.1", PORT="{PORT}"))
    corefile = srv.dir / "Corefile"
    corefile.write_text(f".:{srv.port} {{\n    bind 127.0.0.1\n    cahce\n}}\n")
    srv.reload_signal()
    srv.wait_for_log(r"^\[INFO\] SIGUSR1: Reloading$")  # CoreDNS's line
    srv.wait_for_log(r"\[ERROR\] Restart failed: Corefile:3 - Error during parsing: "
                     r"Unknown directive 'cahce'")
    r = srv.query("a.example", "A")
    assert r.rcode == "NOERROR" and r.rdatas("A") == ["10.0.0.1"], r.raw
    # A good Corefile after the broken one is taken.
    corefile.write_text(COREFILE.format(addr="10.0.0.3", PORT=srv.port))
    srv.reload_signal()
    wait_until(lambda: srv.query("a.example", "A").rdatas("A") == ["10.0.0.3"], 5,
               what="the good Corefile after a broken one")
    assert srv.stop() == 0


def test_reload_adds_and_removes_listeners(start_cxxdns):
    second = harness.free_port()
    srv = start_cxxdns(COREFILE.format(addr="10.0.0.1", PORT="{PORT}"))
    (srv.dir / "Corefile").write_text(
        COREFILE.format(addr="10.0.0.1", PORT=srv.port) +
        f".:{second} {{\n    bind 127.0.0.1\n    whoami\n}}\n")
    srv.reload_signal()
    wait_until(lambda: not harness.port_is_free(second), 5, what="the new listener")
    r = harness.kdig("x.example", "A", second)
    assert r.records("A", "additional"), r.raw
    (srv.dir / "Corefile").write_text(COREFILE.format(addr="10.0.0.1", PORT=srv.port))
    srv.reload_signal()
    wait_until(lambda: harness.port_is_free(second), 5, what="the removed listener to close")
    assert srv.query("a.example", "A").rdatas("A") == ["10.0.0.1"]
    assert srv.stop() == 0


def test_loop_between_two_servers_is_detected(start_cxxdns):
    port_a, port_b = harness.free_port(), harness.free_port()
    block = """
.:{me} {{
    bind 127.0.0.1
    loop
    forward . 127.0.0.1:{other}
}}
"""
    a = start_cxxdns(block.format(me="{PORT}", other=port_b), port=port_a, ready=False)
    b = start_cxxdns(block.format(me="{PORT}", other=port_a), port=port_b, ready=False)
    fatal = r"\[FATAL\] plugin/loop: Loop \(127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+\) detected " \
            r"for zone \"\.\", see https://coredns\.io/plugins/loop#troubleshooting\. " \
            r"Query: \"HINFO \d+\.\d+\.\""
    wait_until(lambda: not a.alive() or not b.alive(), 20, what="a server to stop on the loop")
    stopped = a if not a.alive() else b
    assert re.search(fatal, stopped.stdout_text()), stopped.output_report()
    assert stopped.stop() == 1


def test_no_loop_no_stop(start_cxxdns, start_unbound):
    up = start_unbound(local_zones=["example.net."],
                       local_data=["www.example.net. 300 IN A 192.0.2.1"])
    srv = start_cxxdns(f"""
.:{{PORT}} {{
    bind 127.0.0.1
    loop
    forward . 127.0.0.1:{up.port}
}}
""")
    time.sleep(3)  # the probe is answered (REFUSED by unbound) and detection switches off
    assert srv.alive()
    assert srv.query("www.example.net", "A").rdatas("A") == ["192.0.2.1"]
    assert srv.stop() == 0


def udp_sockets_of(pid: int) -> list:
    """(local address, remote address) of each UDP/IPv4 socket the process has open, as
    "a.b.c.d:port" strings, from /proc (the socket inodes of its fds in /proc/net/udp)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])

    def addr(hexaddr):
        ip, port = hexaddr.split(":")
        return f"{socket.inet_ntoa(bytes.fromhex(ip)[::-1])}:{int(port, 16)}"

    out = []
    with open(f"/proc/{pid}/net/udp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                out.append((addr(fields[1]), addr(fields[2])))
    return out


def test_loop_probe_socket_is_bound_to_the_server_address(start_cxxdns, start_unbound):
    # The probe socket is a client socket of the server's own: bound to the block's address
    # and connected to its listener, never a wildcard that any host could send to.
    up = start_unbound(local_zones=["example.net."],
                       local_data=["www.example.net. 300 IN A 192.0.2.1"])
    srv = start_cxxdns(f"""
.:{{PORT}} {{
    bind 127.0.0.1
    loop
    forward . 127.0.0.1:{up.port}
}}
""", workers=1)
    assert srv.query("www.example.net", "A").rdatas("A") == ["192.0.2.1"]
    socks = udp_sockets_of(srv.pid)
    assert socks, "no UDP socket found"
    assert [s for s in socks if s[0].startswith("0.0.0.0:")] == [], socks
    assert (f"127.0.0.1:{srv.port}" in [remote for _, remote in socks]), socks  # the probe's
    assert srv.stop() == 0


def test_fakeip_mapping_survives_a_reload(start_cxxdns):
    corefile = """
.:{PORT} {
    bind 127.0.0.1
    fakeip example.
}
"""
    srv = start_cxxdns(corefile)
    before = {n: srv.query(f"{n}.example", "A").rdatas("A") for n in ("a", "b", "c")}
    assert len({tuple(v) for v in before.values()}) == 3, before
    # The new configuration also answers one name from hosts, so we can see it is live.
    (srv.dir / "Corefile").write_text(corefile.replace("{PORT}", str(srv.port)).replace(
        "    fakeip example.", "    hosts {\n        10.9.9.9 live.example.\n        fallthrough\n"
        "    }\n    fakeip example."))
    srv.reload_signal()
    wait_until(lambda: srv.query("live.example", "A").rdatas("A") == ["10.9.9.9"], 5,
               what="the reloaded configuration")
    # Asked in another order than first: a fresh pool would hand out different addresses.
    for n in ("c", "a", "b"):
        assert srv.query(f"{n}.example", "A").rdatas("A") == before[n], n
    assert srv.stop() == 0
