"""`cxxdns resolve` against the real glibc: in a network namespace of its own, with its own
/etc/resolv.conf (`ip netns exec` mounts /etc/netns/NAME/resolv.conf over it), a scripted DNS
server on 127.0.0.1:53 answers each search candidate a chosen way (NXDOMAIN, REFUSED,
SERVFAIL, NODATA, a CNAME alone, an address of its own); `getent ahosts` (getaddrinfo) shows
what an application gets, and `cxxdns resolve` must name the same candidate (or the same
failure) for glibc. Nothing leaves the namespace's loopback."""
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import harness

SEARCH = ["ns.svc.cluster.local", "svc.cluster.local", "lan"]

# The responder: one address per name, so the address an application gets names the
# candidate it came from. RULES maps a name to how it is answered; others get NXDOMAIN.
RESPONDER = r'''
import json, socket, struct, sys
rules = json.loads(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
print("ready", flush=True)

def name_end(buf, off):
    while buf[off]:
        off += 1 + buf[off]
    return off + 1

def read_name(buf, off):
    labels = []
    while buf[off]:
        labels.append(buf[off + 1:off + 1 + buf[off]].decode().lower())
        off += 1 + buf[off]
    return ".".join(labels) + "."

def encode(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.rstrip(".").split(".")) + b"\0"

while True:
    q, peer = s.recvfrom(512)
    qid, flags = struct.unpack("!HH", q[:4])
    end = name_end(q, 12)
    name = read_name(q, 12)
    qtype = struct.unpack("!H", q[end:end + 2])[0]
    question = q[12:end + 4]
    rule = rules.get(name, "NXDOMAIN")
    rcode, answers = 3, []
    if rule in ("REFUSED", "SERVFAIL", "NXDOMAIN"):
        rcode = {"REFUSED": 5, "SERVFAIL": 2, "NXDOMAIN": 3}[rule]
    elif rule == "NODATA":
        rcode = 0
    elif rule == "CNAME":
        rcode = 0
        target = encode("target.elsewhere.example.")
        answers.append(b"\xc0\x0c" + struct.pack("!HHIH", 5, 1, 30, len(target)) + target)
    else:  # an IPv4 address: A gets it, AAAA is NODATA
        rcode = 0
        if qtype == 1:
            answers.append(b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 30, 4) +
                           socket.inet_aton(rule))
    header = struct.pack("!HHHHHH", qid, 0x8180 | (flags & 0x0100) | rcode, 1, len(answers),
                         0, 0)
    s.sendto(header + question + b"".join(answers), peer)
'''


def netns_available():
    if os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("getent"):
        return False
    probe = f"cxxdns-probe-{os.getpid()}"
    ok = subprocess.run(["ip", "netns", "add", probe], capture_output=True).returncode == 0
    if ok:
        subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return ok


pytestmark = pytest.mark.skipif(not netns_available(), reason="needs root and ip netns")


@pytest.fixture
def namespace():
    """A namespace with loopback up and a resolv.conf of a pod in namespace `ns`."""
    name = f"cxxdns-resolve-{os.getpid()}"
    etc = Path("/etc/netns") / name
    subprocess.run(["ip", "netns", "add", name], check=True)
    # Loopback, and a veth pair that goes nowhere: getaddrinfo asks for A (AAAA) only when the
    # host has a non-loopback IPv4 (IPv6) address (AI_ADDRCONFIG).
    for cmd in (["ip", "link", "set", "lo", "up"],
                ["ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1"],
                ["ip", "addr", "add", "10.255.0.1/30", "dev", "v0"],
                ["ip", "addr", "add", "fd00:255::1/64", "dev", "v0"],
                ["ip", "link", "set", "v0", "up"], ["ip", "link", "set", "v1", "up"]):
        subprocess.run(["ip", "netns", "exec", name, *cmd], check=True)
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "resolv.conf").write_text(
        "nameserver 127.0.0.1\nsearch " + " ".join(SEARCH) +
        "\noptions ndots:5 timeout:5 attempts:1\n")  # every name is answered: the
    # timeout only matters to an answer lost on a loaded machine
    started = []

    def serve(rules):
        p = subprocess.Popen(["ip", "netns", "exec", name, sys.executable, "-c", RESPONDER,
                              json.dumps(rules)], stdout=subprocess.PIPE, text=True)
        started.append(p)
        assert p.stdout.readline().strip() == "ready"
        return name

    yield serve
    for p in started:
        p.kill()
        p.wait()
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    shutil.rmtree(etc, ignore_errors=True)


def getaddrinfo(ns, name):
    """The IPv4 addresses getaddrinfo (AF_UNSPEC: A and AAAA) returns inside `ns` (empty: it
    failed)."""
    out = subprocess.run(["ip", "netns", "exec", ns, "getent", "ahosts", name],
                         capture_output=True, text=True, timeout=30)
    return sorted({line.split()[0] for line in out.stdout.splitlines()
                   if line.strip() and ":" not in line.split()[0]})


def predicted(ns, name):
    """What `cxxdns resolve` says each stub's application gets, reading the namespace's
    resolv.conf as a stub does."""
    out = subprocess.run(["ip", "netns", "exec", ns, harness.cxxdns_bin(), "resolve", name,
                          "--json"], capture_output=True, text=True, timeout=60)
    assert out.returncode in (0, 1), out.stderr
    return json.loads(out.stdout)


def address_of(report, stub):
    """The address in the answer `stub` returns, or None for an error."""
    s = report["stubs"][stub]
    if not s["found"]:
        return None
    (attempt,) = [a for a in report["attempts"] if a["name"] == s["chosen"]] or [None]
    if attempt is None:
        return "elsewhere"  # a name only that stub asked
    return [line.split()[-1] for line in attempt["answers"] if "\tA\t" in line][0]


NAME = "www.example.com"
CANDIDATES = [f"{NAME}.{d}." for d in SEARCH] + [f"{NAME}."]


@pytest.mark.parametrize("case,rules,glibc_gets", [
    # Every search candidate NXDOMAIN: the name as given, last.
    ("nxdomain", {CANDIDATES[2]: "NXDOMAIN", CANDIDATES[3]: "10.0.0.9"}, "10.0.0.9"),
    # The fake-IP failure: the node's search domain answers first.
    ("gateway", {CANDIDATES[2]: "10.0.0.3", CANDIDATES[3]: "10.0.0.9"}, "10.0.0.3"),
    # REFUSED stops the search list: glibc asks the name as given next.
    ("refused", {CANDIDATES[1]: "REFUSED", CANDIDATES[2]: "10.0.0.3",
                 CANDIDATES[3]: "10.0.0.9"}, "10.0.0.9"),
    # SERVFAIL does not: glibc 2.36 tries the next search domain.
    ("servfail", {CANDIDATES[0]: "SERVFAIL", CANDIDATES[2]: "10.0.0.3",
                  CANDIDATES[3]: "10.0.0.9"}, "10.0.0.3"),
    # NODATA walks on.
    ("nodata", {CANDIDATES[0]: "NODATA", CANDIDATES[2]: "10.0.0.3"}, "10.0.0.3"),
    # A CNAME alone ends the walk, and holds no address: an error.
    ("cname", {CANDIDATES[1]: "CNAME", CANDIDATES[2]: "10.0.0.3"}, None),
])
def test_resolve_predicts_what_glibc_returns(namespace, case, rules, glibc_gets):
    ns = namespace(rules)
    real = getaddrinfo(ns, NAME)
    assert real == ([glibc_gets] if glibc_gets else []), (case, real)
    report = predicted(ns, NAME)
    assert address_of(report, "glibc") == glibc_gets, (case, report["stubs"])
    # The path shown is glibc's, and the application's answer is marked in it.
    assert report["chosen"] == (-1 if glibc_gets is None else
                                [a["name"] for a in report["attempts"]].index(
                                    report["stubs"]["glibc"]["chosen"]))


def test_the_stubs_that_differ_are_named(namespace):
    ns = namespace({CANDIDATES[0]: "SERVFAIL", CANDIDATES[2]: "10.0.0.3"})
    out = subprocess.run(["ip", "netns", "exec", ns, harness.cxxdns_bin(), "resolve", NAME],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith(f"resolving {NAME} A+AAAA via 127.0.0.1:53")
    # musl stops at the first server failure; Go, like glibc, walks on.
    assert any(l.startswith("musl ") and "EAI_AGAIN" in l for l in lines), out.stdout
    assert not any(l.startswith("Go ") for l in lines), out.stdout
