#!/usr/bin/python3
"""Soak test: cxxdns under dnsperf load while things around it change (make soak).

cxxdns runs cache + kubernetes (state file) + forward to a real unbound, all on 127.0.0.1.
For DURATION seconds (default 240):
  * dnsperf sends a steady mix of upstream, cluster and NXDOMAIN names (-Q QPS);
  * a Python probe sends one query every 20 ms and records each query's fate
    (rcode, or lost = no answer within 2 s) with its send time;
  * a Python sender mixes in malformed packets (garbage, short headers, responses, bad
    counts, oversized) over UDP and TCP;
  * on a schedule the upstream unbound is killed and restarted on the same port, the
    Corefile is changed and reloaded with SIGUSR1, and the kubernetes state file is
    rewritten (a service appears and disappears);
  * cxxdns's RSS is read from /proc every second.
  * then, once the outages and reloads are over, attackers for 30 s: 1,000 slowloris TCP
    connections (one byte every 2.5 s), 40 connections every 10 s that ask for 64 KB answers
    and never read, and a flood of new fakeip names from 40 addresses; a TCP probe opens a
    connection and asks once a second throughout the run.
Then it reports each query's fate, lost queries inside / outside the upstream outages,
RSS over time, and whether the server stayed up. Exit 1 if the server died, a probe
query was lost outside an outage, a TCP probe query went unanswered, or RSS at the end is
more than 10% above its warm level (before the attacks), median against median.
"""

import argparse
import json
import os
import random
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "test" / "e2e"))
import harness  # noqa: E402
import resource  # noqa: E402

# The attackers hold over a thousand sockets.
_soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if _soft != resource.RLIM_INFINITY and _soft < 8192:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(8192, _hard), _hard))

UPSTREAM_ZONE = "soak.test."
UPSTREAM_TTL = 5  # short, so the cache keeps going back upstream during the run
CLUSTER_NAMES = [
    "kubernetes.default.svc.cluster.local.",
    "kube-dns.kube-system.svc.cluster.local.",
    "web.prod.svc.cluster.local.",
    "api.staging.svc.cluster.local.",
    "db.prod.svc.cluster.local.",
]
EXTRA_SERVICE = "soak.prod.svc.cluster.local."  # present only in every other state file

COREFILE = """.:{PORT} {
    bind 127.0.0.1
    errors
    cache %(ttl)d
    kubernetes cluster.local in-addr.arpa {
        state cluster.json
        pods verified
        fallthrough in-addr.arpa
    }
    forward . 127.0.0.1:%(up)d {
        max_concurrent 1000
    }
}
fake.soak:{PORT} {
    bind 127.0.0.1
    fakeip {
        range 10.88.0.0/20
    }
}
big.soak:{PORT} {
    bind 127.0.0.1
    hosts big.hosts
}
"""
# big.soak has 4,000 addresses: a 64 KB answer over TCP, for the clients that never read.
BIG_HOSTS = "".join(f"10.{i // 250 % 250}.{i % 250}.1 big.soak\n" for i in range(4000))


def log(msg):
    print(f"[soak {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def state_texts():
    base = json.loads((ROOT / "test/data/k8s/cluster.json").read_text())
    extra = json.loads(json.dumps(base))
    svc = next(i for i in extra["items"]
               if i["kind"] == "Service" and i["metadata"]["name"] == "api")
    svc = json.loads(json.dumps(svc))
    svc["metadata"]["name"] = "soak"
    svc["metadata"]["namespace"] = "prod"
    svc["spec"]["clusterIP"] = "10.96.30.30"
    svc["spec"]["clusterIPs"] = ["10.96.30.30"]
    extra["items"].append(svc)
    return json.dumps(base, indent=1), json.dumps(extra, indent=1)


def write_atomic(path: Path, text: str):
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def rss_kb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class Probe(threading.Thread):
    """One query at a time, every `interval`; each query's fate with its send time."""

    def __init__(self, port, names, stop, interval=0.02, timeout=2.0):
        super().__init__(daemon=True)
        self.port, self.names, self.stop_ev = port, names, stop
        self.interval, self.timeout = interval, timeout
        self.records = []  # (t_sent, name, fate, latency_ms)

    def run(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        i = 0
        while not self.stop_ev.is_set():
            name = self.names[i % len(self.names)]
            qid = random.randrange(65536)
            pkt = harness.build_query(name, "A", qid)
            t0 = time.monotonic()
            sock.sendto(pkt, ("127.0.0.1", self.port))
            fate = "lost"
            deadline = t0 + self.timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                sock.settimeout(left)
                try:
                    data, _ = sock.recvfrom(65535)
                except socket.timeout:
                    break
                if len(data) >= 12 and struct.unpack("!H", data[:2])[0] == qid:
                    try:
                        fate = harness.parse_message(data).rcode
                    except Exception:
                        fate = "unparsable"
                    break
            self.records.append((t0, name, fate, (time.monotonic() - t0) * 1000))
            i += 1
            rest = self.interval - (time.monotonic() - t0)
            if rest > 0:
                time.sleep(rest)
        sock.close()


class BadSender(threading.Thread):
    """Malformed packets at ~`rate`/s; counts what came back."""

    def __init__(self, port, stop, rate=100):
        super().__init__(daemon=True)
        self.port, self.stop_ev, self.rate = port, stop, rate
        self.sent = 0
        self.answers = {}  # rcode -> count
        self.tcp_sessions = 0

    def packets(self):
        good = harness.build_query("www.soak.test.", "A", 0x4242)
        yield os.urandom(random.randrange(1, 600))  # garbage
        yield good[:random.randrange(1, 12)]  # no full header
        yield good[:random.randrange(12, len(good))]  # cut question
        r = bytearray(good)
        r[2] |= 0x80  # a response: must be dropped
        yield bytes(r)
        r = bytearray(good)
        r[4:6] = b"\x00\x05"  # QDCOUNT 5, one question present
        yield bytes(r)
        r = bytearray(good)
        r[10:12] = b"\xff\xff"  # ARCOUNT 65535, none present
        yield bytes(r)
        yield good + os.urandom(random.randrange(1, 64))  # trailing junk
        r = bytearray(good)
        r[12] = 0xC0  # a pointer in the question
        yield bytes(r)
        yield good + b"\x00" * 5000  # oversized

    def run(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        while not self.stop_ev.is_set():
            for p in self.packets():
                try:
                    sock.sendto(p, ("127.0.0.1", self.port))
                    self.sent += 1
                except OSError:
                    pass
            if random.random() < 0.05:
                self.tcp_garbage()
            time.sleep(9.0 / self.rate)
            try:
                while True:
                    data = sock.recv(65535)
                    rc = data[3] & 0x0F if len(data) >= 4 else -1
                    self.answers[rc] = self.answers.get(rc, 0) + 1
            except (BlockingIOError, OSError):
                pass
        sock.close()

    def tcp_garbage(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                self.tcp_sessions += 1
                s.sendall(struct.pack("!H", 40) + os.urandom(40))
                s.sendall(b"\xff\xff" + os.urandom(100))  # announces 64 KiB, sends 100
        except OSError:
            pass


def connect_from(source, port, timeout=2):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    return s


class Slowloris(threading.Thread):
    """`n` TCP connections from one address, each sending one byte of a message every
    2.5 s (the read timeout is 3 s); a connection the server closes is opened again."""

    def __init__(self, port, stop, n=1000, source="127.0.6.1"):
        super().__init__(daemon=True)
        self.port, self.stop_ev, self.n, self.source = port, stop, n, source
        self.opened = self.closed_by_server = 0

    def run(self):
        socks = []
        while not self.stop_ev.is_set():
            while len(socks) < self.n and not self.stop_ev.is_set():
                try:
                    socks.append(connect_from(self.source, self.port))
                    self.opened += 1
                except OSError:
                    break
            alive = []
            for s in socks:
                try:
                    s.send(b"\x00")
                    alive.append(s)
                except OSError:
                    self.closed_by_server += 1
                    s.close()
            socks = alive
            self.stop_ev.wait(2.5)
        for s in socks:
            s.close()


class NeverReaders(threading.Thread):
    """Every 10 s, 40 TCP connections that each send 128 queries for a 64 KB answer and
    never read; the previous ones are dropped then."""

    def __init__(self, port, stop):
        super().__init__(daemon=True)
        self.port, self.stop_ev = port, stop
        self.rounds = 0

    def run(self):
        q = harness.frame(harness.build_query("big.soak.", "A", 0x5151)) * 128
        socks = []
        while not self.stop_ev.is_set():
            for s in socks:
                s.close()
            socks = []
            for i in range(40):
                try:
                    s = connect_from(f"127.0.7.{i + 1}", self.port)
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                    s.settimeout(1)
                    s.sendall(q)
                    socks.append(s)
                except OSError:
                    pass
            self.rounds += 1
            self.stop_ev.wait(10)
        for s in socks:
            s.close()


class PoolFlood(threading.Thread):
    """New fakeip names as fast as answers come, from 40 addresses in turn: the /20 pool
    (4,094 addresses) fills, then every new name must get SERVFAIL, not an address."""

    def __init__(self, port, stop):
        super().__init__(daemon=True)
        self.port, self.stop_ev = port, stop
        self.answers = {}

    def run(self):
        socks = []
        for i in range(40):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((f"127.0.8.{i + 1}", 0))
            s.settimeout(1)
            socks.append(s)
        n = 0
        while not self.stop_ev.is_set():
            s = socks[n % len(socks)]
            try:
                s.sendto(harness.build_query(f"n{n}.fake.soak.", "A", n & 0xFFFF),
                         ("127.0.0.1", self.port))
                rc = harness.parse_message(s.recv(512)).rcode
            except (OSError, harness.ParseError):
                rc = "lost"
            self.answers[rc] = self.answers.get(rc, 0) + 1
            n += 1
        for s in socks:
            s.close()


class TcpProbe(threading.Thread):
    """A new TCP connection and one query every second: what a client whose UDP answer
    was truncated does. Each one's fate is recorded."""

    def __init__(self, port, stop, name):
        super().__init__(daemon=True)
        self.port, self.stop_ev, self.name = port, stop, name
        self.records = []  # (t, fate)

    def run(self):
        i = 0
        while not self.stop_ev.is_set():
            t0 = time.monotonic()
            fate = "lost"
            try:
                s = connect_from("127.0.0.1", self.port)
                s.sendall(harness.frame(harness.build_query(self.name, "A", i & 0xFFFF)))
                m = harness.tcp_read_reply(s, timeout=2)
                if m:
                    fate = harness.parse_message(m).rcode
                s.close()
            except OSError:
                pass
            self.records.append((t0, fate))
            i += 1
            self.stop_ev.wait(max(0.0, 1.0 - (time.monotonic() - t0)))


def run_dnsperf(port, duration, qps, qfile, out):
    cmd = ["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", str(qfile), "-l",
           str(duration), "-Q", str(qps), "-t", "2", "-c", "4", "-q", "200"]
    return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, text=True)


def parse_dnsperf(text):
    r = {}
    for line in text.splitlines():
        line = line.strip()
        for key, label in (("sent", "Queries sent:"), ("completed", "Queries completed:"),
                           ("lost", "Queries lost:"), ("qps", "Queries per second:")):
            if line.startswith(label):
                r[key] = float(line.split()[3]) if key == "qps" else int(line.split()[2])
        if line.startswith("Response codes:"):
            r["rcodes"] = {}
            for part in line[len("Response codes:"):].split(","):
                k, v = part.split()[:2]
                r["rcodes"][k] = int(v)
        if line.startswith("Average Latency (s):"):
            r["latency_avg_ms"] = float(line.split()[3]) * 1000
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.environ.get("CXXDNS_BIN", str(ROOT / "build/cxxdns")))
    ap.add_argument("--duration", type=int, default=240)
    ap.add_argument("--qps", type=int, default=3000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", help="write the result here too")
    args = ap.parse_args()
    os.environ["CXXDNS_BIN"] = os.path.abspath(args.bin)
    D = args.duration

    tmp = Path(tempfile.mkdtemp(prefix="cxxdns-soak-"))
    upstream_names = [f"n{i}.{UPSTREAM_ZONE}" for i in range(200)] + [f"www.{UPSTREAM_ZONE}"]
    local_data = [f"{n} {UPSTREAM_TTL} IN A 192.0.2.{i % 250 + 1}"
                  for i, n in enumerate(upstream_names)]
    up_port = harness.free_port()

    def start_upstream():
        return harness.Unbound(local_zones=[(UPSTREAM_ZONE, "static")], local_data=local_data,
                               port=up_port, tmpdir=tmp)

    base_state, extra_state = state_texts()
    up = start_upstream()
    srv = harness.Cxxdns(COREFILE % {"ttl": 30, "up": up_port}, workers=args.workers,
                         files={"cluster.json": base_state, "big.hosts": BIG_HOSTS}, tmpdir=tmp)
    log(f"cxxdns pid {srv.pid} on 127.0.0.1:{srv.port}, unbound on {up_port}, dir {tmp}")

    qfile = tmp / "queries.txt"
    lines = [f"{n} A" for n in upstream_names]
    lines += [f"{n} A" for n in CLUSTER_NAMES] * 10
    lines += [f"{n} SRV" for n in ["_https._tcp.kubernetes.default.svc.cluster.local."]] * 5
    lines += [f"missing{i}.{UPSTREAM_ZONE} A" for i in range(50)]  # NXDOMAIN upstream
    lines += [f"nosuch{i}.prod.svc.cluster.local. A" for i in range(20)]  # NXDOMAIN cluster
    random.Random(1).shuffle(lines)
    qfile.write_text("\n".join(lines) + "\n")

    probe_names = [f"www.{UPSTREAM_ZONE}", CLUSTER_NAMES[1], f"n7.{UPSTREAM_ZONE}",
                   EXTRA_SERVICE, f"missing.{UPSTREAM_ZONE}", CLUSTER_NAMES[2]]
    stop = threading.Event()
    attack_stop = threading.Event()
    probe = Probe(srv.port, probe_names, stop)
    bad = BadSender(srv.port, stop)
    tcp_probe = TcpProbe(srv.port, stop, CLUSTER_NAMES[1])
    attackers = [Slowloris(srv.port, attack_stop), NeverReaders(srv.port, attack_stop),
                 PoolFlood(srv.port, attack_stop)]
    perf_out = open(tmp / "dnsperf.txt", "w")
    t_start = time.monotonic()
    perf = run_dnsperf(srv.port, D, args.qps, qfile, perf_out)
    probe.start()
    bad.start()
    tcp_probe.start()

    # (seconds from start, action); outages are [kill, restart).
    # On a 240 s timeline: outages, reloads and state rewrites until 155 s; then, with the
    # load going on and nothing else changing (memory moves with each reload and outage:
    # forward's buffers, a new configuration), the attacks from 185 s to 215 s (slowloris,
    # clients that never read, a fakeip pool flood): memory is compared before and after.
    schedule = [(25, "kill"), (35, "restart"), (45, "reload"), (55, "state"),
                (70, "kill"), (75, "restart"), (85, "reload"), (95, "state"),
                (105, "state"), (110, "reload"), (120, "kill"), (140, "restart"),
                (150, "state"), (155, "reload"), (185, "attack"), (215, "calm")]
    schedule = [(t * D / 240, a) for t, a in schedule]
    events, outages, rss = [], [], []
    reloads, states = 0, 0
    server_died_at = None
    next_rss = 0.0
    while time.monotonic() - t_start < D + 1:
        now = time.monotonic() - t_start
        if now >= next_rss:
            v = rss_kb(srv.pid)
            rss.append((round(now, 1), v))
            next_rss += 0.5
            if v is None and server_died_at is None:
                server_died_at = now
                log("cxxdns is gone")
        while schedule and schedule[0][0] <= now:
            _, action = schedule.pop(0)
            t = time.monotonic()
            if action == "kill":
                up.kill()
                up.close()
                outages.append([t, None])
            elif action == "restart":
                up = start_upstream()
                outages[-1][1] = time.monotonic()
            elif action == "reload":
                reloads += 1
                srv.conf_path.write_text(COREFILE.replace("{PORT}", str(srv.port)) % {
                    "ttl": 30 + reloads, "up": up_port})
                srv.reload_signal()
            elif action == "attack":
                for a in attackers:
                    a.start()
            elif action == "calm":
                attack_stop.set()
                for a in attackers:
                    a.join(15)
            elif action == "state":
                states += 1
                write_atomic(tmp / "cluster.json", extra_state if states % 2 else base_state)
            events.append(f"{t - t_start:.1f}s {action}")
            log(action)
        time.sleep(0.05)

    stop.set()
    attack_stop.set()
    perf.wait(timeout=30)
    perf_out.close()
    probe.join(5)
    bad.join(5)
    tcp_probe.join(5)
    alive = srv.alive() if hasattr(srv, "alive") else srv.proc.poll() is None
    final = harness.kdig(f"www.{UPSTREAM_ZONE}", "A", srv.port, timeout=2, check=False)
    srv_out = srv.stdout_text()
    sanitizer = srv.sanitizer_report()
    srv.stop()
    up.kill()
    up.close()
    srv.close()

    # A probe query is explained by an outage when it was sent during it or within the
    # probe timeout after (an answer in flight when unbound came back).
    def in_outage(t):
        return any(a - 0.1 <= t <= (b or 1e18) + 2.5 for a, b in outages)

    fates = {}
    lost_outage, lost_other, servfail_outage, servfail_other = 0, [], 0, []
    for t0, name, fate, _ in probe.records:
        fates.setdefault(name, {}).setdefault(fate, 0)
        fates[name][fate] += 1
        upstream_name = name.endswith(UPSTREAM_ZONE)
        if fate == "lost":
            if upstream_name and in_outage(t0):
                lost_outage += 1
            else:
                lost_other.append((round(t0 - t_start, 2), name))
        if fate == "SERVFAIL":
            if upstream_name and in_outage(t0):
                servfail_outage += 1
            else:
                servfail_other.append((round(t0 - t_start, 2), name))
    lat = sorted(r[3] for r in probe.records if r[2] != "lost")
    perf_text = (tmp / "dnsperf.txt").read_text()
    perf_r = parse_dnsperf(perf_text)
    rss_vals = [(t, v) for t, v in rss if v]
    # Warm: the 15 s before the attacks (the last reload 30 s behind); during them; after:
    # the last 15 s, once the attackers have been gone 10 s (a heap trim is every 10 s).
    # RSS is compared median against median.
    warm = [v for t, v in rss_vals if D * 170 / 240 <= t <= D * 184 / 240]
    during = [v for t, v in rss_vals if D * 186 / 240 <= t <= D * 214 / 240]
    tail = [v for t, v in rss_vals if t >= D * 225 / 240]
    growth = (statistics.median(tail) / statistics.median(warm) - 1) if warm and tail else None
    tcp_lost = [round(t - t_start, 1) for t, fate in tcp_probe.records if fate != "NOERROR"]
    slow, never, flood = attackers
    # Each configuration built (start, every reload) and each state file rewrite loads the
    # state once: evidence that the reloads and rewrites took.
    k8s_loads = sum("plugin/kubernetes: loaded" in l for l in srv_out.splitlines())
    result = {
        "duration_s": D,
        "server_alive_at_end": alive and server_died_at is None,
        "final_query_rcode": final.rcode,
        "sanitizer_report": sanitizer,
        "events": events,
        "outages_s": [f"{a - t_start:.1f}-{(b or a) - t_start:.1f}" for a, b in outages],
        "dnsperf": perf_r,
        "probe": {
            "queries": len(probe.records),
            "fates_by_name": fates,
            "lost_in_outage": lost_outage,
            "lost_outside_outage": lost_other,
            "servfail_in_outage": servfail_outage,
            "servfail_outside_outage": servfail_other,
            "latency_ms_p50": round(lat[len(lat) // 2], 2) if lat else None,
            "latency_ms_p99": round(lat[int(len(lat) * 0.99)], 2) if lat else None,
        },
        "malformed": {"sent": bad.sent, "answers_by_rcode": bad.answers,
                      "tcp_sessions": bad.tcp_sessions},
        "attacks": {"slowloris_connections_opened": slow.opened,
                    "slowloris_closed_by_server": slow.closed_by_server,
                    "never_reading_rounds_of_40": never.rounds,
                    "pool_flood_answers": flood.answers,
                    "tcp_probe": {"queries": len(tcp_probe.records),
                                  "not_answered_at_s": tcp_lost}},
        "rss_kb": {"samples": " ".join(f"{t:.0f}s:{v}" for t, v in rss_vals[::5]),
                   "warm_floor": min(warm) if warm else None,
                   "warm_median": statistics.median(warm) if warm else None,
                   "attacks_median": statistics.median(during) if during else None,
                   "attacks_max": max(during) if during else None,
                   "end_floor": min(tail) if tail else None,
                   "end_median": statistics.median(tail) if tail else None,
                   "max": max(v for _, v in rss_vals) if rss_vals else None,
                   "end_over_warm": round(growth, 4) if growth is not None else None},
        "kubernetes_state_loads": {"seen": k8s_loads, "expected": 1 + reloads + states},
    }
    text = json.dumps(result, indent=1)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")
    # Memory must come back to within 10% of its warm level once the attackers are gone;
    # no TCP probe may go unanswered, attacks or not; the flood never got an address that
    # was not free (SERVFAIL once the pool was full).
    ok = (result["server_alive_at_end"] and not sanitizer and not lost_other
          and growth is not None and growth < 0.1 and not tcp_lost)
    log("PASS" if ok else "FAIL")
    if ok:
        subprocess.run(["rm", "-rf", str(tmp)])
    else:
        log(f"kept {tmp} (dnsperf.txt, Corefile, server output)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
