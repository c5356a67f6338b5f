"""End-to-end test harness for cxxdns.

Everything here talks to real processes over 127.0.0.1 only:

  * ``Cxxdns``   - runs the real ``cxxdns`` binary on a Corefile written to a temp dir.
  * ``Unbound``  - runs a real, offline ``unbound`` that answers only local data.
  * ``kdig()`` / ``dig()`` - run the real clients and parse their text output.
  * raw helpers  - build DNS packets with ``struct`` and send them over UDP/TCP, for
                   the cases a real client cannot produce (malformed packets, pipelining).

See test/e2e/README.md for how to write a test with it.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import random
import re
import resource
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

LOCALHOST = "127.0.0.1"
SOURCE_DIR = Path(os.environ.get("CXXDNS_SOURCE") or Path(__file__).resolve().parents[2])
PROBE_NAME = "cxxdns-harness-probe.invalid."


def cxxdns_bin() -> str:
    """Path of the binary under test: $CXXDNS_BIN, default /work/main/build/cxxdns."""
    return os.environ.get("CXXDNS_BIN") or "/work/main/build/cxxdns"


# --------------------------------------------------------------------------------------
# DNS constants
# --------------------------------------------------------------------------------------

TYPES = {
    "A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "HINFO": 13, "MX": 15, "TXT": 16,
    "AAAA": 28, "SRV": 33, "NAPTR": 35, "DS": 43, "OPT": 41, "RRSIG": 46, "NSEC": 47,
    "DNSKEY": 48, "HTTPS": 65, "SVCB": 64, "CAA": 257, "AXFR": 252, "IXFR": 251,
    "ANY": 255,
}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
CLASSES = {"IN": 1, "CH": 3, "HS": 4, "NONE": 254, "ANY": 255}
CLASS_NAMES = {v: k for k, v in CLASSES.items()}
RCODES = {
    0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED",
    6: "YXDOMAIN", 7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE", 16: "BADVERS",
}
RCODE_VALUES = {v: k for k, v in RCODES.items()}

# header flag bits (second 16-bit word)
QR = 0x8000
AA = 0x0400
TC = 0x0200
RD = 0x0100
RA = 0x0080
AD = 0x0020
CD = 0x0010


def _code(value, table, generic) -> int:
    """A type or class by mnemonic ("AAAA"), generic form ("TYPE28") or number."""
    if isinstance(value, int):
        return value
    value = value.upper()
    if value in table:
        return table[value]
    if value.startswith(generic):
        return int(value[len(generic):])
    raise ValueError(f"unknown {generic.lower()} {value!r}")


def type_code(t) -> int:
    return _code(t, TYPES, "TYPE")


def type_name(code: int) -> str:
    return TYPE_NAMES.get(code, f"TYPE{code}")


def class_code(c) -> int:
    return _code(c, CLASSES, "CLASS")


def fqdn(name: str) -> str:
    """Absolute form of a name: kdig/dig never apply a search list to a name with a
    trailing dot, so every query the harness sends uses one."""
    return name if name.endswith(".") else name + "."


def _check_loopback(server: str) -> None:
    if not ipaddress.ip_address(server).is_loopback:
        raise ValueError(f"e2e tests must only talk to loopback, not {server}")


# --------------------------------------------------------------------------------------
# Ports
# --------------------------------------------------------------------------------------

_handed_out: set[int] = set()


def port_is_free(port: int, host: str = LOCALHOST) -> bool:
    """True when nothing is bound to host:port: both a UDP and a TCP socket can bind it now.
    (TCP with SO_REUSEADDR so leftover TIME_WAIT connections do not count; Linux still
    refuses the bind when any socket listens on the port.)"""
    socks = []
    try:
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            s = socket.socket(socket.AF_INET, kind)
            socks.append(s)
            if kind == socket.SOCK_STREAM:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()


def _below_ephemeral_range() -> range:
    """Ports the kernel never hands to a socket bound to port 0 (connect()'s and kdig's
    source ports come from ip_local_port_range): a server started on one of these cannot
    find its port taken by some client's socket between free_port() and its bind."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    return range(10000, max(low, 10001))


_PORT_CLAIMS = Path(tempfile.gettempdir()) / "cxxdns-test-ports"


def _claim(port: int) -> bool:
    """Claims port for this process across processes (ctest runs test files in parallel): a
    file named after the port holds the claimer's PID; a claim whose process is gone is
    taken over."""
    _PORT_CLAIMS.mkdir(exist_ok=True)
    path = _PORT_CLAIMS / str(port)
    for _ in range(2):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            try:
                owner = int(path.read_text() or "0")
            except (OSError, ValueError):
                return False
            if owner == os.getpid() or (owner and Path(f"/proc/{owner}").exists()):
                return False
            path.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w") as f:
            f.write(str(os.getpid()))
        return True
    return False


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1, below the kernel's ephemeral range (no
    client socket can take it before the server binds it).

    Never returns the same port twice in one process, nor a port another live test process
    has claimed, so servers started by tests running side by side do not collide."""
    ports = _below_ephemeral_range()
    for _ in range(500):
        port = random.choice(ports)
        if port in _handed_out or not port_is_free(port):
            continue
        if not _claim(port):
            continue
        _handed_out.add(port)
        return port
    raise RuntimeError("could not find a free UDP+TCP port on 127.0.0.1")


# --------------------------------------------------------------------------------------
# Raw DNS packets
# --------------------------------------------------------------------------------------

def encode_name(name: str) -> bytes:
    """Wire form of a domain name (no compression). '.' is the root."""
    name = fqdn(name)
    if name == ".":
        return b"\x00"
    out = b""
    for label in name[:-1].split("."):
        raw = label.encode("ascii")
        if not 0 < len(raw) < 64:
            raise ValueError(f"bad label {label!r} in {name!r}")
        out += bytes([len(raw)]) + raw
    return out + b"\x00"


def build_opt(udp_size: int = 1232, do: bool = False, version: int = 0, ext_rcode: int = 0,
              options: bytes = b"") -> bytes:
    """An OPT pseudo-record (RFC 6891) ready to append to the additional section."""
    ttl = (ext_rcode << 24) | (version << 16) | (0x8000 if do else 0)
    return b"\x00" + struct.pack("!HHIH", 41, udp_size, ttl, len(options)) + options


def build_query(name: str, qtype="A", qid: Optional[int] = None, *, qclass="IN",
                rd: bool = True, flags: Optional[int] = None, bufsize: Optional[int] = None,
                do: bool = False, qdcount: Optional[int] = None,
                ancount: int = 0, nscount: int = 0, arcount: Optional[int] = None,
                extra: bytes = b"") -> bytes:
    """A query packet. bufsize=None: no OPT record; otherwise an OPT with that UDP size
    (and the DO bit when do=True). flags, when given, is the whole second header word.
    The counts can be overridden to build inconsistent packets; extra is appended raw."""
    if qid is None:
        qid = random.randrange(0, 65536)
    if flags is None:
        flags = RD if rd else 0
    opt = build_opt(bufsize, do) if bufsize is not None else b""
    if qdcount is None:
        qdcount = 1
    if arcount is None:
        arcount = 1 if opt else 0
    header = struct.pack("!HHHHHH", qid, flags, qdcount, ancount, nscount, arcount)
    question = encode_name(name) + struct.pack("!HH", type_code(qtype), class_code(qclass))
    return header + question + opt + extra


class ParseError(Exception):
    pass


@dataclasses.dataclass
class RR:
    name: str
    type: int
    cls: int
    ttl: int
    rdata: bytes
    text: str  # presentation form of rdata for common types, hex otherwise

    @property
    def type_name(self) -> str:
        return type_name(self.type)

    def as_tuple(self):
        """Same shape as the records kdig()/dig() return."""
        return (self.name, self.ttl, CLASS_NAMES.get(self.cls, f"CLASS{self.cls}"),
                self.type_name, self.text)


@dataclasses.dataclass
class Opt:
    udp_size: int
    ext_rcode: int
    version: int
    do: bool
    options: bytes


@dataclasses.dataclass
class Message:
    id: int
    flags: int
    questions: list  # [(name, type, class)]
    answer: list     # [RR]
    authority: list
    additional: list  # without the OPT record
    opt: Optional[Opt]
    counts: tuple    # (qd, an, ns, ar) as in the header
    size: int

    qr = property(lambda self: bool(self.flags & QR))
    aa = property(lambda self: bool(self.flags & AA))
    tc = property(lambda self: bool(self.flags & TC))
    rd = property(lambda self: bool(self.flags & RD))
    ra = property(lambda self: bool(self.flags & RA))
    opcode = property(lambda self: (self.flags >> 11) & 0xF)

    @property
    def rcode(self) -> str:
        code = self.flags & 0xF
        if self.opt is not None:
            code |= self.opt.ext_rcode << 4
        return RCODES.get(code, f"RCODE{code}")


def read_name(buf: bytes, off: int) -> tuple[str, int]:
    """Read a possibly compressed name; returns (name, offset after it). Raises ParseError
    on pointer loops or names running past the end."""
    labels = []
    end = None
    jumps = 0
    while True:
        if off >= len(buf):
            raise ParseError("name runs past end of message")
        n = buf[off]
        if n & 0xC0 == 0xC0:
            if off + 1 >= len(buf):
                raise ParseError("truncated compression pointer")
            ptr = ((n & 0x3F) << 8) | buf[off + 1]
            if end is None:
                end = off + 2
            jumps += 1
            if jumps > 64 or ptr >= len(buf):
                raise ParseError("bad compression pointer")
            off = ptr
            continue
        if n & 0xC0:
            raise ParseError("bad label type")
        off += 1
        if n == 0:
            break
        if off + n > len(buf):
            raise ParseError("label runs past end of message")
        labels.append(buf[off:off + n].decode("latin-1"))
        off += n
    name = ".".join(labels) + "." if labels else "."
    return name, (end if end is not None else off)


def _rdata_text(buf: bytes, off: int, rtype: int, rdlen: int) -> str:
    rd = buf[off:off + rdlen]
    try:
        if rtype == 1 and rdlen == 4:
            return socket.inet_ntop(socket.AF_INET, rd)
        if rtype == 28 and rdlen == 16:
            return socket.inet_ntop(socket.AF_INET6, rd)
        if rtype in (2, 5, 12):
            return read_name(buf, off)[0]
        if rtype == 33:
            prio, weight, port = struct.unpack("!HHH", rd[:6])
            return f"{prio} {weight} {port} {read_name(buf, off + 6)[0]}"
        if rtype == 15:
            return f"{struct.unpack('!H', rd[:2])[0]} {read_name(buf, off + 2)[0]}"
        if rtype == 16:
            parts, i = [], 0
            while i < len(rd):
                n = rd[i]
                parts.append('"' + rd[i + 1:i + 1 + n].decode("latin-1") + '"')
                i += 1 + n
            return " ".join(parts)
        if rtype == 6:
            mname, o = read_name(buf, off)
            rname, o = read_name(buf, o)
            nums = struct.unpack("!IIIII", buf[o:o + 20])
            return " ".join([mname, rname] + [str(x) for x in nums])
    except (ParseError, struct.error, OSError):
        pass
    return rd.hex()


def parse_message(buf: bytes) -> Message:
    """Parse a whole DNS message; raises ParseError when it is malformed."""
    if len(buf) < 12:
        raise ParseError(f"message of {len(buf)} bytes is shorter than a header")
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", buf[:12])
    off = 12
    questions = []
    for _ in range(qd):
        name, off = read_name(buf, off)
        if off + 4 > len(buf):
            raise ParseError("question runs past end of message")
        qt, qc = struct.unpack("!HH", buf[off:off + 4])
        off += 4
        questions.append((name, qt, qc))
    sections = []
    opt = None
    for count in (an, ns, ar):
        rrs = []
        for _ in range(count):
            name, off = read_name(buf, off)
            if off + 10 > len(buf):
                raise ParseError("record header runs past end of message")
            rtype, rcls, ttl, rdlen = struct.unpack("!HHIH", buf[off:off + 10])
            off += 10
            if off + rdlen > len(buf):
                raise ParseError("rdata runs past end of message")
            if rtype == 41 and count is ar:
                opt = Opt(udp_size=rcls, ext_rcode=ttl >> 24, version=(ttl >> 16) & 0xFF,
                          do=bool(ttl & 0x8000), options=buf[off:off + rdlen])
            else:
                rrs.append(RR(name, rtype, rcls, ttl, buf[off:off + rdlen],
                              _rdata_text(buf, off, rtype, rdlen)))
            off += rdlen
        sections.append(rrs)
    if off != len(buf):
        raise ParseError(f"{len(buf) - off} trailing bytes after the message")
    return Message(qid, flags, questions, sections[0], sections[1], sections[2], opt,
                   (qd, an, ns, ar), len(buf))


def udp_socket(bind_port: int = 0) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((LOCALHOST, bind_port))
    return s


def udp_query(packet: bytes, port: int, timeout: float = 5.0, *,
              sock: Optional[socket.socket] = None, server: str = LOCALHOST,
              others: Optional[list] = None) -> Optional[bytes]:
    """Send one UDP packet and return the first reply from server:port whose ID matches
    the packet's ID (or any reply when the packet is shorter than 2 bytes); None when no
    reply arrives within timeout. Datagrams with another ID are appended to others (when
    given) and otherwise ignored."""
    _check_loopback(server)
    own = sock is None
    if own:
        sock = udp_socket()
    try:
        sock.sendto(packet, (server, port))
        want_id = packet[:2] if len(packet) >= 2 else None
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            sock.settimeout(left)
            try:
                data, addr = sock.recvfrom(65535)
            except socket.timeout:
                return None
            except ConnectionRefusedError:
                continue
            if addr != (server, port):
                continue
            if want_id is None or data[:2] == want_id:
                return data
            if others is not None:
                others.append(data)
    finally:
        if own:
            sock.close()


def udp_drain(sock: socket.socket, timeout: float) -> list[bytes]:
    """Every datagram that arrives on sock within timeout."""
    got = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return got
        sock.settimeout(left)
        try:
            data, _ = sock.recvfrom(65535)
            got.append(data)
        except socket.timeout:
            return got
        except ConnectionRefusedError:
            continue


def tcp_connect(port: int, timeout: float = 5.0, server: str = LOCALHOST) -> socket.socket:
    _check_loopback(server)
    s = socket.create_connection((server, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def frame(packet: bytes) -> bytes:
    """A DNS-over-TCP frame: 2-byte big-endian length, then the message."""
    return struct.pack("!H", len(packet)) + packet


def _recv_exact(sock: socket.socket, n: int, deadline: float) -> Optional[bytes]:
    buf = b""
    while len(buf) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            chunk = sock.recv(n - len(buf))
        except socket.timeout:
            return None
        except ConnectionResetError:
            return None
        if not chunk:
            return None
        buf += chunk
    return buf


def tcp_read_reply(sock: socket.socket, timeout: float = 5.0) -> Optional[bytes]:
    """One length-prefixed reply, or None on timeout / connection closed."""
    deadline = time.monotonic() + timeout
    head = _recv_exact(sock, 2, deadline)
    if head is None:
        return None
    (n,) = struct.unpack("!H", head)
    return _recv_exact(sock, n, deadline)


def tcp_pipeline(packets: Sequence[bytes], port: int, timeout: float = 5.0, *,
                 server: str = LOCALHOST, one_write: bool = True) -> list[bytes]:
    """Send several queries on one TCP connection (all in one write when one_write) before
    reading anything, then read replies until as many as queries arrived, the connection
    closed, or timeout. Replies are returned in arrival order (match them by ID)."""
    sock = tcp_connect(port, timeout, server)
    try:
        if one_write:
            sock.sendall(b"".join(frame(p) for p in packets))
        else:
            for p in packets:
                sock.sendall(frame(p))
        replies = []
        deadline = time.monotonic() + timeout
        while len(replies) < len(packets):
            r = tcp_read_reply(sock, max(0.0, deadline - time.monotonic()))
            if r is None:
                break
            replies.append(r)
        return replies
    finally:
        sock.close()


def tcp_query(packet: bytes, port: int, timeout: float = 5.0, *,
              server: str = LOCALHOST) -> Optional[bytes]:
    replies = tcp_pipeline([packet], port, timeout, server=server)
    return replies[0] if replies else None


# --------------------------------------------------------------------------------------
# kdig / dig
# --------------------------------------------------------------------------------------

class ClientError(AssertionError):
    """kdig/dig got no usable answer."""


@dataclasses.dataclass
class DigResult:
    rcode: Optional[str]
    id: Optional[int]
    flags: set
    answer: list      # [(name, ttl, class, type, rdata)]
    authority: list
    additional: list  # without the OPT pseudo-record
    edns: Optional[dict]  # {"version": int, "flags": set, "udp_size": int} or None
    counts: dict      # {"QUERY": n, "ANSWER": n, "AUTHORITY": n, "ADDITIONAL": n}
    size: Optional[int]  # bytes received (kdig only)
    raw: str
    stderr: str
    returncode: int

    def records(self, rtype: Optional[str] = None, section: str = "answer") -> list:
        rrs = getattr(self, section)
        return [r for r in rrs if rtype is None or r[3] == rtype]

    def rdatas(self, rtype: Optional[str] = None, section: str = "answer") -> list:
        return [r[4] for r in self.records(rtype, section)]


_SECTION_RE = re.compile(r"^;; (ANSWER|AUTHORITY|ADDITIONAL) SECTION:\s*$")


def _parse_rr_line(line: str):
    parts = line.split(None, 4)
    if len(parts) < 4:
        return None
    name, ttl, cls, rtype = parts[:4]
    rdata = parts[4].strip() if len(parts) > 4 else ""
    try:
        ttl_i = int(ttl)
    except ValueError:
        return None
    return (name, ttl_i, cls, rtype, rdata)


@dataclasses.dataclass
class _ClientFormat:
    """The lines of one client's text output that carry the header, flags, EDNS and size."""
    header: re.Pattern
    flags: re.Pattern
    edns: re.Pattern
    size: re.Pattern
    edns_fields: Callable[[re.Match], dict]


_KDIG = _ClientFormat(  # Knot DNS 3.x kdig
    header=re.compile(r"^;; ->>HEADER<<- opcode: (\S+); status: (\S+); id: (\d+)"),
    flags=re.compile(r"^;; Flags: ([^;]*); (.*)$"),
    edns=re.compile(r"^;; Version: (\d+); flags: ([^;]*); UDP size: (\d+) B; ext-rcode: (\S+)"),
    size=re.compile(r"^;; Received (\d+) B"),
    edns_fields=lambda m: {"version": int(m.group(1)), "flags": set(m.group(2).split()),
                           "udp_size": int(m.group(3)), "ext_rcode": m.group(4)})

_DIG = _ClientFormat(  # BIND 9.18 dig
    header=re.compile(r"^;; ->>HEADER<<- opcode: (\S+), status: (\S+), id: (\d+)"),
    flags=re.compile(r"^;; flags:([^;]*); (.*)$"),
    edns=re.compile(r"^; EDNS: version: (\d+), flags:([^;]*); udp: (\d+)"),
    size=re.compile(r"^;; MSG SIZE\s+rcvd: (\d+)"),
    edns_fields=lambda m: {"version": int(m.group(1)), "flags": set(m.group(2).split()),
                           "udp_size": int(m.group(3))})


def _parse_client(fmt: _ClientFormat, text: str, stderr: str, returncode: int) -> DigResult:
    res = DigResult(None, None, set(), [], [], [], None, {}, None, text, stderr, returncode)
    section = None
    for line in text.splitlines():
        m = fmt.header.match(line)
        if m:
            if res.rcode is not None:
                # A second message (e.g. after a TCP retry): keep the last one.
                res.answer, res.authority, res.additional, res.edns = [], [], [], None
            res.rcode, res.id = m.group(2), int(m.group(3))
            section = None
            continue
        m = fmt.flags.match(line)
        if m:
            res.flags = set(m.group(1).split())
            res.counts = {k: int(v) for k, v in re.findall(r"(\w+): (\d+)", m.group(2))}
            continue
        m = fmt.edns.match(line)
        if m:
            res.edns = fmt.edns_fields(m)
            continue
        m = fmt.size.match(line)
        if m:
            res.size = int(m.group(1))
            section = None
            continue
        m = _SECTION_RE.match(line)
        if m:
            section = m.group(1).lower()
            continue
        if not line.strip():
            section = None
            continue
        if line.startswith(";"):
            continue
        if section:
            rr = _parse_rr_line(line)
            if rr is not None:
                getattr(res, section).append(rr)
    return res


def parse_kdig(text: str, stderr: str = "", returncode: int = 0) -> DigResult:
    """Parse kdig (Knot DNS 3.x) default text output."""
    return _parse_client(_KDIG, text, stderr, returncode)


def parse_dig(text: str, stderr: str = "", returncode: int = 0) -> DigResult:
    """Parse BIND 9.18 dig default text output."""
    return _parse_client(_DIG, text, stderr, returncode)


def _run_client(cmd: list, timeout: float) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("LOCALDOMAIN", None)  # never let a search list sneak in
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                          stdin=subprocess.DEVNULL)


def kdig(name: str, qtype="A", port: int = 53, *, tcp: bool = False,
         bufsize: Optional[int] = None, do: bool = False, rd: bool = True,
         qclass: str = "IN", ignore_tc: bool = True, timeout: int = 2, retry: int = 1,
         extra: Iterable[str] = (), server: str = LOCALHOST,
         check: bool = True) -> Optional[DigResult]:
    """Query server:port with kdig and parse its output.

    bufsize=None sends no OPT record; an int sends EDNS with that UDP size. do=True sets
    the DO bit (implies EDNS, 1232 when bufsize is None). ignore_tc=True (the default)
    keeps kdig from retrying over TCP when the UDP answer has TC, so the result is exactly
    what the server sent over UDP. With check=True a missing reply raises ClientError;
    with check=False it returns a result whose rcode is None."""
    _check_loopback(server)
    cmd = ["kdig", f"@{server}", "-p", str(port), "-q", fqdn(name), "-t", str(qtype),
           "-c", qclass, f"+timeout={int(timeout)}", f"+retry={int(retry)}"]
    if tcp:
        cmd.append("+tcp")  # (+notcp would also stop kdig's fallback to TCP after TC)
    if ignore_tc:
        cmd.append("+ignore")
    if do and bufsize is None:
        bufsize = 1232
    if bufsize is not None:
        cmd.append(f"+bufsize={bufsize}")
    if do:
        cmd.append("+dnssec")
    cmd.append("+rec" if rd else "+norec")
    cmd.extend(extra)
    proc = _run_client(cmd, timeout=(timeout + 1) * (retry + 1) + 5)
    res = parse_kdig(proc.stdout, proc.stderr, proc.returncode)
    if check and res.rcode is None:
        raise ClientError(f"no answer from kdig {' '.join(cmd[1:])}\n"
                          f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return res


def dig(name: str, qtype="A", port: int = 53, *, tcp: bool = False,
        bufsize: Optional[int] = None, do: bool = False, rd: bool = True, qclass: str = "IN",
        ignore_tc: bool = True, timeout: int = 2, tries: int = 2, extra: Iterable[str] = (),
        server: str = LOCALHOST, check: bool = True) -> Optional[DigResult]:
    """Same as kdig() but with BIND's dig (-r: no ~/.digrc; +nosearch; no cookie)."""
    _check_loopback(server)
    cmd = ["dig", "-r", f"@{server}", "-p", str(port), "-q", fqdn(name), "-t", str(qtype),
           "-c", qclass, "+nosearch", f"+time={int(timeout)}", f"+tries={int(tries)}",
           "+nocookie"]
    cmd.append("+tcp" if tcp else "+notcp")
    if ignore_tc:
        cmd.append("+ignore")
    if do and bufsize is None:
        bufsize = 1232
    if bufsize is not None:
        cmd.append(f"+bufsize={bufsize}")
    else:
        cmd.append("+noedns")
    if do:
        cmd.append("+dnssec")
    cmd.append("+rec" if rd else "+norec")
    cmd.extend(extra)
    proc = _run_client(cmd, timeout=(timeout + 1) * tries + 5)
    res = parse_dig(proc.stdout, proc.stderr, proc.returncode)
    if check and res.rcode is None:
        raise ClientError(f"no answer from dig {' '.join(cmd[1:])}\n"
                          f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return res


# --------------------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------------------

class ServerError(AssertionError):
    pass


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""


def _probe_udp(port: int, timeout: float = 0.2) -> bool:
    """A quick raw UDP query on a connected socket (so ICMP unreachable shows at once)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect((LOCALHOST, port))
        pkt = build_query(PROBE_NAME, "A")
        s.send(pkt)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            s.settimeout(left)
            try:
                data = s.recv(65535)
            except (socket.timeout, ConnectionRefusedError):
                return False
            if data[:2] == pkt[:2]:
                return True
    finally:
        s.close()


class _Process:
    """Common process handling: output to files, polling, teardown."""

    name = "process"

    def __init__(self, tmpdir: Optional[os.PathLike]):
        self._own_dir = tmpdir is None
        self.dir = Path(tmpdir) if tmpdir is not None else Path(
            tempfile.mkdtemp(prefix=f"{self.name}-e2e-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        self.proc: Optional[subprocess.Popen] = None
        self.stdout_path = self.dir / f"{self.name}.stdout"
        self.stderr_path = self.dir / f"{self.name}.stderr"
        self._out = self._err = None
        self.returncode: Optional[int] = None
        self.cmd: list = []

    def _spawn(self, cmd: list, env: Optional[dict] = None,
               rlimit_nofile: Optional[tuple] = None) -> None:
        self.cmd = cmd
        self._out = open(self.stdout_path, "wb")
        self._err = open(self.stderr_path, "wb")

        def limits():
            if rlimit_nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE, rlimit_nofile)

        self.proc = subprocess.Popen(cmd, cwd=self.dir, stdout=self._out, stderr=self._err,
                                     stdin=subprocess.DEVNULL, env=env,
                                     start_new_session=True,
                                     preexec_fn=limits if rlimit_nofile else None)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stdout_text(self) -> str:
        return _read(self.stdout_path)

    def stderr_text(self) -> str:
        return _read(self.stderr_path)

    def output_report(self) -> str:
        rc = self.proc.poll() if self.proc else None
        return (f"command: {' '.join(map(str, self.cmd))}\ncwd: {self.dir}\n"
                f"exit code: {rc}\n--- stdout ---\n{self.stdout_text()[-8000:]}\n"
                f"--- stderr ---\n{self.stderr_text()[-8000:]}")

    def wait_for_log(self, regex: str, timeout: float = 5.0, stream: str = "stdout",
                     flags: int = re.M) -> re.Match:
        """Poll the process output until regex matches; returns the match. stream is
        'stdout', 'stderr' or 'both'. Fails with the output when timeout passes."""
        pat = re.compile(regex, flags)
        deadline = time.monotonic() + timeout
        while True:
            if stream == "stdout":
                text = self.stdout_text()
            elif stream == "stderr":
                text = self.stderr_text()
            else:
                text = self.stdout_text() + "\n" + self.stderr_text()
            m = pat.search(text)
            if m:
                return m
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: no match for {regex!r} on {stream} within "
                                     f"{timeout}s\n{self.output_report()}")
            time.sleep(0.05)

    wrapper: list = []

    def _wrapped_pids(self) -> list:
        """When the process runs under a wrapper (strace ...), the pids of the wrapper's
        children: the real server, which signals must reach."""
        if not self.wrapper or self.proc is None:
            return []
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        return [int(x) for x in text.split()]

    def _signal(self, sig: int) -> None:
        targets = self._wrapped_pids() or [self.proc.pid]
        for pid in targets:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def send_signal(self, sig: int) -> None:
        if self.alive():
            self._signal(sig)

    def stop(self, timeout: float = 10.0, sig: int = signal.SIGTERM) -> int:
        """Send sig (SIGTERM), wait for the exit and return the exit code (negative: killed
        by a signal). When it does not exit in time it is killed and the test fails."""
        if self.proc is None:
            raise ServerError(f"{self.name} was never started")
        if self.proc.poll() is None:
            self._signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise ServerError(f"{self.name} did not exit within {timeout}s of signal "
                                  f"{sig}\n{self.output_report()}")
        self.returncode = self.proc.returncode
        self._close_files()
        return self.returncode

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            for pid in self._wrapped_pids():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            # it runs in its own session (not reaped yet, so the group id is still ours):
            # this takes down the process and anything it started
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self._close_files()

    def _close_files(self) -> None:
        for f in (self._out, self._err):
            if f is not None and not f.closed:
                f.close()

    def close(self) -> None:
        """Teardown: SIGTERM, give it 5 s, then SIGKILL. Never raises."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                self._signal(signal.SIGTERM)
                self.proc.wait(5)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                pass
        self.kill()
        if self.proc is not None:
            self.returncode = self.proc.returncode
        if self._own_dir and not os.environ.get("CXXDNS_E2E_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class Cxxdns(_Process):
    """The server under test.

        with Cxxdns('''
        .:{PORT} {
            bind 127.0.0.1
            whoami
        }
        ''') as srv:
            r = kdig("example.org", "A", srv.port)

    corefile: Corefile text; every "{PORT}" in it is replaced by .port (a free port unless
    port= is given). It is written to <dir>/<conf_name> and passed as `-conf <conf_name>`
    (relative, the cwd is <dir>), so error messages read `Corefile:LINE - ...`.
    corefile=None writes nothing and passes no -conf (see conf_arg).
    files: {relative path: text or bytes} written into <dir> too.
    workers: adds `-workers N`. args: more command-line arguments.
    ready: wait until the server answers on .port (UDP, any rcode) before returning.
    rlimit_nofile: (soft, hard) open-file limit the server starts with.
    """

    name = "cxxdns"

    def __init__(self, corefile: Optional[str] = None, *, port: Optional[int] = None,
                 files: Optional[dict] = None, workers: Optional[int] = None,
                 args: Sequence[str] = (), tmpdir: Optional[os.PathLike] = None,
                 conf_name: str = "Corefile", conf_arg: Optional[bool] = None,
                 conf_flag: str = "-conf", ready: bool = True, ready_timeout: float = 10.0,
                 binary: Optional[str] = None, env: Optional[dict] = None, start: bool = True,
                 rlimit_nofile: Optional[tuple] = None):
        super().__init__(tmpdir)
        self.rlimit_nofile = rlimit_nofile
        self.port = port if port is not None else free_port()
        self.binary = binary or cxxdns_bin()
        self.corefile = None
        self.conf_path = self.dir / conf_name
        if corefile is not None:
            self.corefile = corefile.replace("{PORT}", str(self.port))
            self.conf_path.write_text(self.corefile)
        for rel, content in (files or {}).items():
            p = self.dir / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                p.write_bytes(content)
            else:
                p.write_text(content)
        if conf_arg is None:
            conf_arg = corefile is not None
        self.args = []
        if conf_arg:
            self.args += [conf_flag, conf_name]
        if workers is not None:
            self.args += ["-workers", str(workers)]
        self.args += list(args)
        self.env = env
        self.ready_timeout = ready_timeout
        if start:
            try:
                self.start(ready=ready)
            except BaseException:
                self.close()
                raise

    def start(self, ready: bool = True) -> "Cxxdns":
        if not os.access(self.binary, os.X_OK):
            raise ServerError(f"cxxdns binary not found or not executable: {self.binary} "
                              "(set CXXDNS_BIN)")
        self._spawn([self.binary] + self.args, env=self.env, rlimit_nofile=self.rlimit_nofile)
        if ready:
            self.wait_ready(self.port, self.ready_timeout)
        return self

    def wait_ready(self, port: Optional[int] = None, timeout: float = 10.0) -> None:
        """Poll until the server answers a UDP query on port (any rcode), then confirm with
        kdig. Fails with the captured output if the process exits or the deadline passes."""
        port = self.port if port is None else port
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise ServerError(f"cxxdns exited before answering on port {port}\n"
                                  f"{self.output_report()}")
            if _probe_udp(port):
                break
            if time.monotonic() > deadline:
                raise ServerError(f"cxxdns did not answer on 127.0.0.1:{port} within "
                                  f"{timeout}s\n{self.output_report()}")
            time.sleep(0.05)
        r = kdig(PROBE_NAME, "A", port, timeout=2, retry=2, check=False)
        if r.rcode is None:
            raise ServerError(f"cxxdns answered a raw probe on {port} but not kdig:\n{r.raw}"
                              f"\n{r.stderr}\n{self.output_report()}")

    def wait_bound(self, timeout: float = 15.0) -> None:
        """Waits for the banner, which cxxdns prints once its sockets are bound (the kernel
        queues what comes from then on): for a server started with ready=False, whose
        readiness probe would not be answered at once (a silent upstream)."""
        self.wait_for_log(r"^cxxdns-", timeout=timeout)

    def reload_signal(self) -> None:
        """SIGUSR1, CoreDNS's reload signal."""
        self.send_signal(signal.SIGUSR1)

    def query(self, name: str, qtype="A", **kw) -> DigResult:
        return kdig(name, qtype, self.port, **kw)

    def sanitizer_report(self) -> Optional[str]:
        """The sanitizer/crash report in stderr, if any (for ASan/UBSan builds)."""
        err = self.stderr_text()
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                       "ThreadSanitizer"):
            if marker in err:
                return err
        return None


def is_sanitized(binary: Optional[str] = None) -> bool:
    """Whether the cxxdns binary is built with AddressSanitizer or ThreadSanitizer: their
    allocators keep freed memory (ASan's quarantine, TSan's own heap that malloc_trim does not
    reach), so tests about memory given back cannot judge it."""
    binary = binary or cxxdns_bin()
    try:
        out = subprocess.run(["ldd", binary], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "libasan" in out or "libtsan" in out


def free_wildcard_port() -> int:
    """A port free on every address (0.0.0.0 and ::, UDP and TCP), for a listener with no
    bind: free_port() only checks 127.0.0.1."""
    for _ in range(50):
        port = free_port()
        socks = []
        try:
            for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
                for typ in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                    s = socket.socket(fam, typ)
                    socks.append(s)
                    if fam == socket.AF_INET6:
                        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                    s.bind((addr, port))
            return port
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise ServerError("no port free on every address")


def run_cxxdns(args: Sequence[str], cwd: os.PathLike, timeout: float = 15.0,
               binary: Optional[str] = None) -> subprocess.CompletedProcess:
    """Run cxxdns to completion (for -version, -plugins, bad Corefiles). If it is still
    running after timeout (it started serving) it is killed and the test fails."""
    binary = binary or cxxdns_bin()
    if not os.access(binary, os.X_OK):
        raise ServerError(f"cxxdns binary not found or not executable: {binary}")
    proc = subprocess.Popen([binary] + list(args), cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # its own session: the binary and any wrapper
        out, err = proc.communicate()
        raise ServerError(f"cxxdns {' '.join(args)} still running after {timeout}s (expected "
                          f"it to exit)\nstdout:\n{out}\nstderr:\n{err}")
    return subprocess.CompletedProcess([binary] + list(args), proc.returncode, out, err)


def run_cxxdns_traced(args: Sequence[str], cwd: os.PathLike, timeout: float = 15.0,
                      binary: Optional[str] = None):
    """run_cxxdns under `strace -f -e trace=bind`: returns (CompletedProcess, ports) where
    ports lists every IPv4/IPv6 port the process (or a thread) successfully bound.
    Returns (None, None) when strace is missing or not permitted here; callers then fall
    back to weaker checks."""
    binary = binary or cxxdns_bin()
    strace = shutil.which("strace")
    if strace is None:
        return None, None
    out = Path(cwd) / "strace.bind.out"
    probe = subprocess.run([strace, "-o", os.devnull, "true"], capture_output=True)
    if probe.returncode != 0:
        return None, None
    proc = run_cxxdns([strace, "-f", "-qq", "-e", "trace=bind", "-o", str(out), binary]
                      + list(args), cwd, timeout, binary=strace)
    ports = []
    for line in _read(out).splitlines():
        m = re.search(r"bind\(.*sin6?_port=htons\((\d+)\).*\)\s*=\s*0\s*$", line)
        if m:
            ports.append(int(m.group(1)))
    proc.args = [binary] + list(args)
    return proc, ports


def _quote_unbound(s: str) -> str:
    if '"' in s:
        if "'" in s:
            raise ValueError(f"cannot quote {s!r} for unbound.conf")
        return f"'{s}'"
    return f'"{s}"'


class Unbound(_Process):
    """A real unbound on 127.0.0.1:.port that answers only from local data and never
    contacts anything else.

        with Unbound(local_zones=[("example.net.", "static")],
                     local_data=["www.example.net. 300 IN A 192.0.2.1"]) as up:
            r = kdig("www.example.net", "A", up.port)

    Offline by construction: `local-zone: "." refuse` (every name outside the test's zones
    is REFUSED, nothing is resolved), root hints that point only at 127.0.0.1 (which
    do-not-query-localhost forbids), and outgoing-interface 127.0.0.1 (a query to another
    address could not even leave). extra is appended to the server: clause verbatim.
    """

    name = "unbound"

    def __init__(self, local_zones: Iterable = (), local_data: Iterable[str] = (), *,
                 port: Optional[int] = None, extra: str = "", verbosity: int = 1,
                 refuse_root: bool = True, tmpdir: Optional[os.PathLike] = None,
                 ready: bool = True, ready_timeout: float = 10.0, start: bool = True,
                 wrapper: Sequence[str] = ()):
        super().__init__(tmpdir)
        self.wrapper = list(wrapper)  # e.g. ["strace", "-f", "-o", FILE] before "unbound"
        self.port = port if port is not None else free_port()
        hints = self.dir / "root.hints"
        hints.write_text(".                        3600000  NS  a.root-servers.invalid.\n"
                         "a.root-servers.invalid.  3600000  A   127.0.0.1\n")
        lines = [
            "server:",
            f"  interface: 127.0.0.1@{self.port}",
            f"  port: {self.port}",
            "  do-daemonize: no",
            '  username: ""',
            '  chroot: ""',
            f'  directory: "{self.dir}"',
            '  pidfile: ""',
            "  num-threads: 1",
            "  access-control: 127.0.0.0/8 allow",
            "  do-ip4: yes",
            "  do-ip6: no",
            "  use-syslog: no",
            '  logfile: ""',
            "  log-time-ascii: yes",
            f"  verbosity: {verbosity}",
            "  so-reuseport: no",
            '  module-config: "iterator"',
            "  outgoing-interface: 127.0.0.1",
            f'  root-hints: "{hints}"',
            "  do-not-query-localhost: yes",
            "  prefetch: no",
        ]
        if refuse_root:
            lines.append('  local-zone: "." refuse')
        for z in local_zones:
            if isinstance(z, str):
                z = (z, "static")
            zone, kind = z
            lines.append(f'  local-zone: "{fqdn(zone)}" {kind}')
        for d in local_data:
            lines.append(f"  local-data: {_quote_unbound(d)}")
        if extra:
            lines.append(extra)
        self.conf_text = "\n".join(lines) + "\n"
        self.conf_path = self.dir / "unbound.conf"
        self.conf_path.write_text(self.conf_text)
        self.ready_timeout = ready_timeout
        if start:
            try:
                self.start(ready=ready)
            except BaseException:
                self.close()
                raise

    def start(self, ready: bool = True) -> "Unbound":
        check = subprocess.run(["unbound-checkconf", str(self.conf_path)], capture_output=True,
                               text=True)
        if check.returncode != 0:
            raise ServerError(f"unbound-checkconf failed:\n{check.stdout}{check.stderr}\n"
                              f"{self.conf_text}")
        self._spawn(self.wrapper + ["unbound", "-d", "-c", str(self.conf_path)])
        if ready:
            deadline = time.monotonic() + self.ready_timeout
            while not _probe_udp(self.port):
                if self.proc.poll() is not None:
                    raise ServerError(f"unbound exited at start\n{self.output_report()}")
                if time.monotonic() > deadline:
                    raise ServerError(f"unbound did not answer on {self.port}\n"
                                      f"{self.output_report()}")
                time.sleep(0.05)
        return self

    def query(self, name: str, qtype="A", **kw) -> DigResult:
        return kdig(name, qtype, self.port, **kw)


def wait_until(pred, timeout: float = 5.0, interval: float = 0.05, what: str = "condition"):
    """Poll pred() until it returns a truthy value (returned) or fail after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def http_get(port: int, path: str, timeout: float = 5.0):
    """GET http://127.0.0.1:PORT/PATH -> (status, body); (None, "") when nothing answers.
    The default timeouts here are for answers that must come, with room for a loaded
    machine; a check that nothing comes passes a short one of its own."""
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(f"http://{LOCALHOST}:{port}{path}", timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        return None, ""



class Etcd(_Process):
    """A real etcd (Debian's etcd-server) on 127.0.0.1: client and peer ports free ones (or
    `port` for the client's), its data in a directory of its own; records go in with etcdctl.

        with Etcd() as e:
            e.put("/skydns/org/example/www", '{"host":"192.0.2.1"}')
    """

    name = "etcd"

    def __init__(self, *, port: Optional[int] = None, tmpdir: Optional[os.PathLike] = None,
                 start: bool = True, ready_timeout: float = 20.0):
        super().__init__(tmpdir)
        self.port = port if port is not None else free_port()
        self.peer_port = free_port()
        self.endpoint = f"http://{LOCALHOST}:{self.port}"
        self.ready_timeout = ready_timeout
        if start:
            try:
                self.start()
            except BaseException:
                self.close()
                raise

    def start(self) -> "Etcd":
        peer = f"http://{LOCALHOST}:{self.peer_port}"
        self._spawn(["etcd", "--name", "e2e", "--data-dir", str(self.dir / "data"),
                     "--listen-client-urls", self.endpoint,
                     "--advertise-client-urls", self.endpoint,
                     "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                     "--initial-cluster", f"e2e={peer}", "--initial-cluster-state", "new"])
        deadline = time.monotonic() + self.ready_timeout
        while True:
            if self.proc.poll() is not None:
                raise ServerError(f"etcd exited at start\n{self.output_report()}")
            if http_get(self.port, "/health")[0] == 200:
                return self
            if time.monotonic() > deadline:
                raise ServerError(f"etcd did not become healthy\n{self.output_report()}")
            time.sleep(0.1)

    def etcdctl(self, *args: str, check: bool = True) -> str:
        r = subprocess.run(["etcdctl", "--endpoints", self.endpoint, *args],
                           capture_output=True, text=True, timeout=20,
                           env=dict(os.environ, ETCDCTL_API="3"))
        if check and r.returncode != 0:
            raise ServerError(f"etcdctl {' '.join(args)}: {r.stderr}")
        return r.stdout

    def put(self, key: str, value: str) -> None:
        self.etcdctl("put", key, value)

    def delete(self, key: str) -> None:
        self.etcdctl("del", key)
