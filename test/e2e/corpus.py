"""Moves a real Corefile (test/corpus) onto this test's loopback, as a user trying cxxdns on
one machine would, and changes nothing else.

What moves (test/corpus/README.md says why each must):
- listen ports: every server block key gets a free port (a key's own port maps to the same
  new port wherever it appears; keys without one get the one that stands for 53), and a
  block without `bind` gets `bind 127.0.0.1`;
- health, ready and prometheus listen on free ports of 127.0.0.1 (one per original address);
- forward's upstreams: `/etc/resolv.conf` and every address become one of the test's unbound
  listeners (127.0.0.1, 127.0.0.201, ...: each original upstream its own address, so a
  forward line keeps its number of upstreams); an upstream that is one of the Corefile's own
  blocks (127.0.0.1:5301 in a README example) becomes that block's new port; DNS-over-TLS
  upstreams go to the same unbound's TLS port (its certificate, trusted through
  SSL_CERT_FILE, names the servers the corpus names);
- kubernetes reads a state file (`state FILE`) instead of an API server (`endpoint` and
  `kubeconfig` lines go);
- etcd's `endpoint` becomes the test's etcd (a free port of 127.0.0.1, Moved.etcd_port);
- files under /etc/coredns (hosts files, zone files, imports) come from the test's
  directory; imports are moved the same way, file by file;
- a server block's `tls CERT KEY [CA]` names files the test writes under tls/ (its
  certificate, key and CA; see Moved.server_tls); tls:// and https:// keys without a port
  stand for 853 and 443, and get free ports of their own as other keys.
Everything else (plugins, options, order, comments) is the text as published.
"""
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import harness

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
STATE = Path(__file__).resolve().parents[1] / "data" / "k8s" / "cluster.json"

# The addresses the test's unbound listens on, in the order upstreams are met.
UPSTREAM_ADDRESSES = ["127.0.0.1"] + [f"127.0.0.{n}" for n in range(201, 221)]

DEFAULT_HTTP = {"health": ":8080", "ready": ":8181", "prometheus": "localhost:9153"}
SCHEMES = ("dns://", "tls://", "https://", "grpc://", "quic://")


@dataclass
class Block:
    keys: list            # (scheme, zone, new port) per key
    listen: str           # the address a client asks: its first bind address, or 127.0.0.1
    directives: list = field(default_factory=list)  # first words of its lines
    body: list = field(default_factory=list)        # its lines, comments cut


@dataclass
class Moved:
    text: str
    files: dict                      # relative path -> text, written beside the Corefile
    blocks: list                     # Block, in order (imports included)
    http: dict                       # (plugin, original address) -> new port
    upstreams: dict                  # original upstream -> loopback address
    ports: dict                      # original listen port -> new port
    tls_files: list                  # forward's CA/certificate files the test must write
    server_tls: list = field(default_factory=list)  # a block's tls CERT KEY [CA], moved
    etcd_port: Optional[int] = None  # where the test's etcd must listen (an etcd block)

    def port_of(self, zone: str = ".") -> int:
        """The new port of the first block serving `zone` over plain DNS."""
        for b in self.blocks:
            for scheme, z, port in b.keys:
                if z.rstrip(".") == zone.rstrip(".") and scheme in ("", "dns://"):
                    return port
        raise KeyError(zone)

    def block_of(self, zone: str = ".") -> Block:
        for b in self.blocks:
            if any(z.rstrip(".") == zone.rstrip(".") for _, z, _ in b.keys):
                return b
        raise KeyError(zone)

    def http_port(self, plugin: str) -> int:
        for (p, _), port in self.http.items():
            if p == plugin:
                return port
        raise KeyError(plugin)


class Mover:
    def __init__(self, upstream_port: int, tls_port: Optional[int] = None, state: Path = STATE,
                 files_from: Optional[Path] = None, https_port: Optional[int] = None):
        self.upstream_port = upstream_port
        self.tls_port = tls_port or harness.free_port()
        self.https_port = https_port or harness.free_port()
        self.state = state
        self.files_from = files_from
        self.ports = {}
        self.http = {}
        self.upstreams = {}
        self.blocks = []
        self.files = {}
        self.tls_files = []  # forward's certificate files, moved under tls/
        self.etcd_port = None  # the test's etcd, when an etcd block names an endpoint
        self.server_tls = []  # server blocks' certificate, key and CA files, under tls/

    # --- ports and addresses

    def port(self, original: str) -> int:
        if original not in self.ports:
            self.ports[original] = harness.free_port()
        return self.ports[original]

    def http_address(self, plugin: str, original: Optional[str]) -> str:
        key = (plugin, original or DEFAULT_HTTP[plugin])
        if key not in self.http:
            self.http[key] = harness.free_port()
        return f"127.0.0.1:{self.http[key]}"

    def upstream(self, to: str) -> str:
        bare = to.strip('"')
        if bare.startswith("tls://"):
            # The test's unbound answers DNS over TLS on tls_port (its certificate names
            # the servers the corpus names: tls_servername stays as written).
            if bare not in self.upstreams:
                self.upstreams[bare] = UPSTREAM_ADDRESSES[len(self.upstreams)]
            return f"tls://{self.upstreams[bare]}:{self.tls_port}"
        if bare.startswith("https://"):
            # The test's unbound answers DNS over HTTPS on https_port, same certificate.
            if bare not in self.upstreams:
                self.upstreams[bare] = UPSTREAM_ADDRESSES[len(self.upstreams)]
            return f"https://{self.upstreams[bare]}:{self.https_port}"
        if bare.startswith("grpc://"):
            return to  # no client for it: the Corefile is refused before any packet
        host = bare[len("dns://"):] if bare.startswith("dns://") else bare
        m = re.fullmatch(r"(127\.0\.0\.1|localhost):(\d+)", host)
        if m and m.group(2) in self.ports:
            return f"127.0.0.1:{self.ports[m.group(2)]}"  # one of this Corefile's blocks
        if bare not in self.upstreams:
            self.upstreams[bare] = UPSTREAM_ADDRESSES[len(self.upstreams)]
        return f"{self.upstreams[bare]}:{self.upstream_port}"

    # --- lines

    def key_line(self, line: str, body: list) -> str:
        head, brace, rest = line.partition("{")
        keys = []
        out = []
        for key in head.split():
            scheme = next((s for s in SCHEMES if key.startswith(s)), "")
            zone_port = key[len(scheme):]
            zone, _, port = zone_port.rpartition(":") if ":" in zone_port else (zone_port, "", "")
            # A key's default port is its transport's (CoreDNS: tls 853, https 443).
            default = {"tls://": "853", "https://": "443", "grpc://": "443", "quic://": "853"}
            new = self.port(port or default.get(scheme, "53"))
            keys.append((scheme, zone, new))
            out.append(f"{scheme}{zone}:{new}")
        binds = [w for ln in body for w in ln.split()[1:] if ln.split()[:1] == ["bind"]]
        self.blocks.append(Block(keys, binds[0] if binds else "127.0.0.1",
                                 [ln.split()[0] for ln in body if ln.split()], body))
        new_line = " ".join(out) + " {" + rest
        if not binds:
            new_line += "\n    bind 127.0.0.1"
        return new_line

    def directive(self, line: str) -> str:
        words = line.split()
        if not words:
            return line
        indent = line[:len(line) - len(line.lstrip())]
        name, args = words[0], words[1:]
        comment = ""
        if "#" in args:
            i = args.index("#")
            comment, args = " " + " ".join(args[i:]), args[:i]
        brace = " {" if args and args[-1] == "{" else ""
        if brace:
            args = args[:-1]
        if name in DEFAULT_HTTP:
            addr = args[0] if args else None
            return f"{indent}{name} {self.http_address(name, addr)}{brace}{comment}"
        if name == "tls" and 2 <= len(args) <= 3:
            roles = ["server-cert", "server-key", "server-ca"]
            moved = [f"tls/{roles[i]}-{Path(a).name}" for i, a in enumerate(args)]
            self.server_tls.extend(moved)
            return f"{indent}tls {' '.join(moved)}{brace}{comment}"
        if name == "forward" and len(args) >= 2:
            tos = [self.upstream(t) for t in args[1:]]
            return f"{indent}forward {args[0]} {' '.join(tos)}{brace}{comment}"
        if name == "kubernetes":
            state = f"{indent}    state {self.state}"
            if brace:
                return f"{indent}kubernetes {' '.join(args)} {{{comment}\n{state}"
            return f"{indent}kubernetes {' '.join(args)} {{{comment}\n{state}\n{indent}}}"
        if name in ("endpoint", "kubeconfig") and self.current_sub == "kubernetes":
            return f"{indent}# moved to loopback: {line.strip()}"
        if name == "endpoint" and self.current_sub == "etcd":
            self.etcd_port = self.etcd_port or harness.free_port()
            return f"{indent}endpoint http://127.0.0.1:{self.etcd_port}{comment}"
        if name in ("hosts", "file", "import") and args and args[0].strip('"').startswith("/etc/coredns/"):
            local = args[0].strip('"')[len("/etc/coredns/"):]
            return f"{indent}{name} {local} {' '.join(args[1:])}{brace}{comment}".replace("  ", " ")
        return line

    def tls_files_line(self, line: str) -> str:
        """forward's `tls CERT KEY CA` (or `tls CA`): files the test writes under tls/."""
        indent = line[:len(line) - len(line.lstrip())]
        words = line.split()
        moved = []
        for w in words[1:]:
            local = "tls/" + Path(w).name
            self.tls_files.append(local)
            moved.append(local)
        return f"{indent}tls {' '.join(moved)}"

    def move(self, text: str, depth: int = 0) -> str:
        lines = text.split("\n")
        out = []
        self.current_sub = None
        i = 0
        while i < len(lines):
            line = lines[i]
            stripped = line.split("#")[0].strip() if not line.strip().startswith("#") else ""
            if depth == 0 and stripped.endswith("{") and not stripped.startswith("("):
                # A server block: its lines up to the matching brace, for bind.
                body, d, j = [], 1, i + 1
                while j < len(lines) and d > 0:
                    s = lines[j].split("#")[0]
                    d += s.count("{") - s.count("}")
                    body.append(s.strip())
                    j += 1
                out.append(self.key_line(stripped, body))
                depth = 1
                i += 1
                continue
            if depth >= 1 and stripped:
                if depth == 1:
                    line = self.directive(line)
                    if stripped.endswith("{"):
                        self.current_sub = stripped.split()[0]
                elif depth == 2 and self.current_sub in ("kubernetes", "etcd"):
                    line = self.directive(line)
                elif depth == 2 and self.current_sub == "forward" and stripped.startswith("tls "):
                    line = self.tls_files_line(line)
            depth += stripped.count("{") - stripped.count("}")
            if depth <= 1 and stripped.startswith("}"):
                self.current_sub = None
            if depth == 0 and stripped.startswith("import"):
                line = self.directive(line)
            out.append(line)
            i += 1
        return "\n".join(out)


def move(name: str, upstream_port: int, extra_files: Optional[dict] = None,
         env: Optional[dict] = None, tls_port: Optional[int] = None,
         state: Path = STATE, https_port: Optional[int] = None) -> Moved:
    """The corpus Corefile `name` moved onto loopback, with the files it reads."""
    text = (CORPUS / name).read_text()
    for var, value in (env or {}).items():
        text = text.replace("{$" + var + "}", value)
    m = Mover(upstream_port, tls_port, state, https_port=https_port)
    # First the keys' own ports, so forward lines that name them can follow them.
    for port in re.findall(r"^[^#\s({][^{\n]*?:(\d+)\b[^\n]*\{", text, flags=re.M):
        m.port(port)
    moved = m.move(text)
    files = dict(extra_files or {})
    custom = CORPUS / name.replace(".Corefile", ".d")
    if custom.is_dir():
        for f in sorted(custom.rglob("*")):
            if f.is_file():
                rel = str(f.relative_to(custom))
                src = f.read_text()
                depth = 0 if f.suffix == ".server" else 1
                files[rel] = m.move(src, depth=depth)
    # The safety net of the loopback rule: no forward line of what will run may still name
    # the machine's resolv.conf or an upstream off 127.0.0.0/8.
    for text_run in [moved, *files.values()]:
        for line in text_run.splitlines():
            words = line.split("#")[0].split()
            if words[:1] == ["forward"]:
                for to in words[2:]:
                    to = to.strip('"')
                    assert to == "{" or "/etc/resolv.conf" not in to, line
                    host = to.split("://")[-1]
                    assert to == "{" or host.startswith("127.") or \
                        to.startswith("grpc://"), f"off loopback: {line}"
    return Moved(moved, files, m.blocks, m.http, m.upstreams, m.ports, m.tls_files,
                 server_tls=m.server_tls, etcd_port=m.etcd_port)
