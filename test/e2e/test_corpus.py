"""The real Corefiles of test/corpus (distributions, managed services, CoreDNS's READMEs,
users), each moved onto this test's loopback (corpus.py says exactly what moves) and run
with the real binary: it starts, and answers what its Corefile is there for. Upstreams are
a real unbound (offline: local data only); kubernetes reads the cluster state file.

Three lists say what does not run, each with the reason; a test fails when one of them
becomes wrong, so the README's count stays true:
- REJECTED: CoreDNS refuses these itself; cxxdns must refuse them too, naming file:line;
- MISSING: they need a plugin or transport cxxdns does not have yet; cxxdns must refuse them
  naming that missing part (never start half of one);
- everything else starts and answers.
"""
import http.client
import os
import re
import socket
import subprocess

import pytest

import corpus
import harness

ALL = sorted(p.name for p in corpus.CORPUS.glob("*.Corefile"))

# The plugins this binary has.
HAVE = set(re.findall(r"dns\.(\w+)", subprocess.run([harness.cxxdns_bin(), "-plugins"],
                                                     capture_output=True, text=True).stdout))

REJECTED = {
    "07-kubespray-external-zones.Corefile": r"rewrite",      # `rewrite name stop ...`
    "44-brenix-local-ops.Corefile": r"prefetch|30%",
}

# What each file needs that cxxdns lacks, as the error names it.
MISSING = {
    "18-eks-route53.Corefile": "route53",
}

RUNS = [n for n in ALL if n not in REJECTED and n not in MISSING]

# Files that start but do not yet answer all they are there for (strict: when the answer
# comes, the mark must go).
PENDING: dict = {}


def runs():
    return [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=PENDING[n]))
            if n in PENDING else n for n in RUNS]

# The values test/corpus/README.md gives file 34's environment (ports moved to loopback).
ENV_34 = {"DNS_CACHE_TIME": "30", "DNS_CACHE_SUCCESS": "5000", "DNS_CACHE_DENIAL": "2500",
          "DNS_CACHE_PREFETCH": "10"}

# Files the Corefiles read, with what a cluster would hold there.
NODE_HOSTS = "127.0.1.1 master-0\n172.18.0.2 k3s-server\n"
KUBESPRAY_HOSTS = "10.0.0.5 node1.cluster.local node1\n"


def zone_file(origin: str) -> str:
    origin = origin.rstrip(".") + "."
    return (f"$ORIGIN {origin}\n$TTL 300\n"
            f"@ IN SOA ns hostmaster 2024010101 3600 600 86400 60\n"
            f"@ IN NS ns\nns IN A 192.0.2.53\ncorpus-probe IN A 192.0.2.99\n")


def probe_name(zone: str) -> str:
    zone = zone.rstrip(".")
    if zone in ("", ".") or zone.endswith("arpa"):
        return "corpus-probe.example."
    return f"corpus-probe.{zone}."


# The names DNS-over-TLS upstreams are known by in the corpus (tls_servername).
TLS_NAMES = ["dns.foo.com", "dns.bar.com", "dns.quad9.net", "dns.google", "cloudflare-dns.com",
             "localhost"]


@pytest.fixture(scope="module")
def tls_certificate(tmp_path_factory):
    """A self-signed certificate for the TLS upstream, for every name and address the moved
    Corefiles use; the server trusts it through SSL_CERT_FILE, as a machine's store."""
    d = tmp_path_factory.mktemp("tls")
    sans = ",".join([f"DNS:{n}" for n in TLS_NAMES] +
                    [f"IP:{a}" for a in corpus.UPSTREAM_ADDRESSES])
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=corpus-upstream", "-addext", f"subjectAltName={sans}",
                    "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem")],
                   check=True, capture_output=True)
    return d / "cert.pem", d / "key.pem"


def start(name, start_cxxdns, start_unbound, tls_certificate, start_etcd=None):
    """Moves `name` to loopback, starts its unbound (and etcd, for an etcd block) and the
    server; returns (moved, srv, probe answers by name)."""
    up_port = harness.free_port()
    env = dict(ENV_34)
    env["DNS_HEALTH_PORT"] = str(harness.free_port())
    env["DNS_PROMETHEUS_PORT"] = str(harness.free_port())
    env["DNS_UPSTREAM"] = "127.0.0.53"
    files = {"NodeHosts": NODE_HOSTS, "hosts": KUBESPRAY_HOSTS}
    tls_port = harness.free_port()
    https_port = harness.free_port()
    moved = corpus.move(name, up_port, files, env=env, tls_port=tls_port,
                        state=STATES.get(name, corpus.STATE), https_port=https_port)
    for b in moved.blocks:
        for line in b.body:
            if line.split()[:1] == ["file"]:
                path = line.split()[1].removeprefix("/etc/coredns/")
                files[path] = zone_file(b.keys[0][1])
    # What the upstream knows: a probe name per zone, each its own address.
    answers = {}
    for b in moved.blocks:
        for _, zone, _ in b.keys:
            answers.setdefault(probe_name(zone), f"192.0.2.{len(answers) + 1}")
    cert, key = tls_certificate
    for f in moved.tls_files:
        files[f] = cert.read_text()  # the CA bundle a Corefile names: the test's certificate
    for f in moved.server_tls:  # a tls:// or https:// block's own certificate, key and CA
        files[f] = (key if "server-key" in f else cert).read_text()
    moved.ca = cert
    interfaces = "\n".join(
        [f"  interface: {a}@{up_port}" for a in corpus.UPSTREAM_ADDRESSES[1:]] +
        [f"  interface: {a}@{tls_port}" for a in corpus.UPSTREAM_ADDRESSES] +
        [f"  interface: {a}@{https_port}" for a in corpus.UPSTREAM_ADDRESSES] +
        [f"  tls-port: {tls_port}", f"  https-port: {https_port}",
         '  http-endpoint: "/dns-query"', f'  tls-service-key: "{key}"',
         f'  tls-service-pem: "{cert}"'])
    for alias, target in REWRITTEN.get(name, {}).items():
        answers[target] = answers[alias]
    zones = {n.split(".", 1)[1] or "." for n in answers}
    start_unbound(local_zones=[(z, "static") for z in zones if z != "."],
                  local_data=[f"{n} 300 IN A {a}" for n, a in answers.items()],
                  port=up_port, extra=interfaces)
    if moved.etcd_port:
        moved.etcd = start_etcd(port=moved.etcd_port)
    first = moved.blocks[0]
    port = first.keys[0][2]
    srv = start_cxxdns(moved.text, port=port, files=moved.files | files, ready=False,
                       env=dict(os.environ, SSL_CERT_FILE=str(cert)))

    def answering():
        assert srv.alive(), srv.output_report()
        r = ask_over(moved, first, first.keys[0][0], port, "corpus-ready.example.", "SOA",
                     check=False, timeout=1)
        return r.rcode is not None
    harness.wait_until(answering, timeout=15, what=f"{name} answering")
    return moved, srv, answers


class HttpAnswer:
    """What an answer over plain HTTP/1.1 shows, read as kdig's results are."""

    def __init__(self, msg):
        self.rcode = msg.rcode if msg else None
        self.answer = [(rr.name, rr.ttl, "IN", rr.type_name, rr.text)
                       for rr in msg.answer] if msg else []
        self.raw = repr(msg)

    def rdatas(self, rtype=None):
        return [r[4] for r in self.answer if rtype is None or r[3] == rtype]


def doh_in_the_clear(address, port, name, qtype, timeout=5):
    """A DoH GET over HTTP/1.1 without TLS: an https:// block without `tls`."""
    import base64
    q = harness.build_query(name, qtype, 0)
    path = "/dns-query?dns=" + base64.urlsafe_b64encode(q).rstrip(b"=").decode()
    try:
        conn = http.client.HTTPConnection(address, port, timeout=timeout)
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
    except OSError:
        return HttpAnswer(None)
    return HttpAnswer(harness.parse_message(body) if resp.status == 200 else None)


def grpc_ask(block, port, name, qtype, tls, ca, timeout=5):
    """A gRPC Query call (grpc's own Python client): TLS verified against `ca` when the block
    has `tls`, HTTP/2 in the clear when it has not."""
    import grpc
    import grpc_dns
    try:
        msg = grpc_dns.query(port, name, qtype, host=block.listen, timeout=timeout,
                             ca=ca if tls else None, servername="localhost" if tls else None)
    except grpc.RpcError:
        return HttpAnswer(None)
    return HttpAnswer(msg)


def ask_over(moved, block, scheme, port, name, qtype="A", **kw):
    """`name` asked on a key as its transport wants: UDP for dns://; for tls://, https://
    and grpc://, TLS (verified against the test's certificate) when the block has `tls`,
    plain TCP, plain HTTP/1.1 and HTTP/2 in the clear when it has not (as CoreDNS serves
    them)."""
    tls = "tls" in block.directives
    if scheme == "grpc://":
        return grpc_ask(block, port, name, qtype, tls, moved.ca, kw.get("timeout", 5))
    verify = [f"+tls-ca={moved.ca}", "+tls-hostname=localhost"]
    if scheme == "tls://":
        return harness.kdig(name, qtype, port, server=block.listen, tcp=not tls,
                            extra=verify if tls else [], **kw)
    if scheme == "https://" and tls:
        return harness.kdig(name, qtype, port, server=block.listen, extra=["+https"] + verify,
                            **kw)
    if scheme == "https://":
        return doh_in_the_clear(block.listen, port, name, qtype, kw.get("timeout", 5))
    return harness.kdig(name, qtype, port, server=block.listen, **kw)


def ask(moved, zone, name, qtype="A", **kw):
    b = moved.block_of(zone)
    port = next(p for s, z, p in b.keys if z == zone)
    return harness.kdig(name, qtype, port, server=b.listen, **kw)


def cluster_name(block, zone):
    """The kubernetes service's name as this block serves it: under cluster.local when that is
    one of its kubernetes zones, under the root zone (SERVICE.NS.svc.) when `.` is; None when
    the block has no kubernetes or the name is outside the block's zone."""
    line = next((ln.split() for ln in block.body if ln.split()[:1] == ["kubernetes"]), None)
    if line is None:
        return None
    zones = [z for z in line[1:] if z != "{"] or [zone]
    zones = [z.rstrip(".") for z in zones]
    if "cluster.local" in zones:
        name = "kubernetes.default.svc.cluster.local."
    elif "" in zones:
        name = "kubernetes.default.svc."
    else:
        return None
    z = zone.rstrip(".")
    return name if z == "" or name.rstrip(".").endswith("." + z) else None


@pytest.mark.parametrize("name", runs())
def test_starts_and_answers(name, start_cxxdns, start_unbound, tls_certificate, start_etcd):
    moved, srv, answers = start(name, start_cxxdns, start_unbound, tls_certificate, start_etcd)
    for b in moved.blocks:
        for scheme, zone, port in b.keys:
            if scheme in ("tls://", "https://", "grpc://") and "forward" in b.directives:
                n = probe_name(zone)
                r = ask_over(moved, b, scheme, port, n)
                assert r.rdatas("A") == [answers[n]], (name, scheme, zone, r.raw)
            if scheme not in ("", "dns://"):
                continue
            name_k8s = cluster_name(b, zone)
            if name_k8s and name not in STATES:
                r = harness.kdig(name_k8s, "A", port, server=b.listen)
                assert r.rdatas("A") == ["10.96.0.1"], (name, zone, r.raw)
            if "forward" in b.directives:
                n = probe_name(zone)
                r = harness.kdig(n, "A", port, server=b.listen)
                assert r.rdatas("A") == [answers[n]], (name, zone, r.raw)
            if "file" in b.directives:
                r = harness.kdig(f"corpus-probe.{zone.rstrip('.')}", "A", port, server=b.listen)
                assert r.rdatas("A") == ["192.0.2.99"] and "aa" in r.flags, (name, r.raw)
    for (plugin, _), port in moved.http.items():
        path = {"health": "/health", "ready": "/ready", "prometheus": "/metrics"}[plugin]
        status, _ = harness.wait_until(lambda: (lambda s: s if s[0] == 200 else None)(
            harness.http_get(port, path)), timeout=10, what=f"{plugin} on {port}")
        assert status == 200
    if name in INTENTS:
        INTENTS[name](moved)
    assert srv.alive()


def txt(r):
    return [t.strip('"') for t in r.rdatas("TXT")]


def intent_13(moved):
    """OpenShift's DoT zones answer through the TLS upstream; hostname.bind is the host."""
    r = ask(moved, "hostname.bind", "hostname.bind", "TXT", qclass="CH")
    assert txt(r) == [socket.gethostname()], r.raw


def intent_26(moved):
    """hosts' README: the wildcard entry answers names under example.com, the exact entry
    wins for www; other names in example.com fall through to forward."""
    assert ask(moved, ".", "foo.example.com").rdatas("A") == ["192.168.1.10"]
    assert ask(moved, ".", "www.example.com").rdatas("A") == ["192.168.1.11"]


def intent_29(moved):
    """file's README: the zone is transferred to anyone (`transfer { to * }`), over TCP."""
    b = moved.block_of("example.org")
    port = b.keys[0][2]
    out = subprocess.run(["kdig", f"@{b.listen}", "-p", str(port), "example.org", "AXFR",
                          "+timeout=5"], capture_output=True, text=True, timeout=20).stdout
    types = [ln.split()[3] for ln in out.splitlines() if ln and not ln.startswith(";")]
    assert types[0] == "SOA" and types[-1] == "SOA" and "A" in types, out


def intent_33(moved):
    """dn42: `chaos VERSION AUTHOR` answers version.bind and authors.bind; `any` answers an
    ANY query with HINFO (RFC 8482)."""
    b = next(b for b in moved.blocks if "chaos" in b.directives)
    port = b.keys[0][2]
    v = harness.kdig("version.bind", "TXT", port, server=b.listen, qclass="CH")
    assert txt(v) == ["xst-fan"], v.raw
    a = harness.kdig("authors.bind", "TXT", port, server=b.listen, qclass="CH")
    assert txt(a) == ["dn42@wolfyang.fan"], a.raw
    any_ = ask(moved, "dn42", "other.dn42", "ANY")
    assert [rr[3] for rr in any_.answer] == ["HINFO"], any_.raw


def intent_28(moved):
    """k8s_external's README: services' external addresses under example.org, SOA at the
    apex (the cluster state has externalIPs and a load balancer)."""
    assert ask(moved, ".", "ext1.prod.example.org").rdatas("A") == ["192.0.2.1"]
    assert ask(moved, ".", "ext1.prod.example.org", "AAAA").rdatas("AAAA") == ["2001:db8::1"]
    assert "203.0.113.10" in ask(moved, ".", "lb.prod.example.org").rdatas("A")
    soa = ask(moved, ".", "example.org", "SOA")
    assert [rr[3] for rr in soa.answer] == ["SOA"] and "aa" in soa.flags, soa.raw
    assert ask(moved, ".", "nothing.prod.example.org").rcode == "NXDOMAIN"


def intent_aks(moved):
    """AKS: the search-list completions of its internal zones are NXDOMAIN (no trip
    upstream); shorter names of internal.cloudapp.net go on to forward."""
    for b in [b for b in moved.blocks if "template" in b.directives]:
        port = b.keys[0][2]
        for n in ("web.default.svc.cluster.local.internal.cloudapp.net",
                  "anything.reddog.microsoft.com", "reddog.microsoft.com"):
            r = harness.kdig(n, "A", port, server=b.listen)
            assert r.rcode == "NXDOMAIN" and "aa" in r.flags, (n, r.raw)
        r = harness.kdig("vm1.internal.cloudapp.net", "A", port, server=b.listen)
        assert r.rcode != "NXDOMAIN", r.raw


def intent_10(moved):
    """AKS with coredns-custom: the templates, and test.server's rewrite: contoso.com names
    asked as default.svc.cluster.local upstream, answered under the asked name."""
    intent_aks(moved)
    r = ask(moved, "contoso.com", "corpus-probe.contoso.com")
    assert [rr[0] for rr in r.answer] == ["corpus-probe.contoso.com."], r.raw


def intent_14(moved):
    """OpenShift's AAAA filter: every AAAA query an empty NOERROR, A still forwarded."""
    r = ask(moved, ".", "corpus-probe.example", "AAAA")
    assert r.rcode == "NOERROR" and r.answer == [], r.raw


def intent_15(moved):
    """OpenShift's cloud DNS: *.apps, api and api-int from templates (A; AAAA empty), the
    node's name from hosts."""
    base = "mycluster.example.com"
    for n, a in ((f"console.apps.{base}", "127.0.0.80"), (f"api.{base}", "127.0.0.81"),
                 (f"api-int.{base}", "127.0.0.82")):
        r = ask(moved, ".", n)
        assert r.rdatas("A") == [a], r.raw
        r = ask(moved, ".", n, "AAAA")
        assert r.rcode == "NOERROR" and r.answer == [], r.raw
    assert ask(moved, ".", f"master-0.{base}").rdatas("A") == ["127.0.1.1"]


def intent_19(moved):
    """EKS: each public name answers with the ingress controller's cluster address."""
    for n in ("gitlab.demo.com", "jenkins.demo.com", "sonarqube.demo.com"):
        r = ask(moved, ".", n)
        assert r.records("A") == [(n + ".", 5, "IN", "A", "10.96.30.30")], r.raw


def intent_20(moved):
    """The template README: A from the name's groups, PTR back."""
    assert ask(moved, ".", "ip-10-1-2-3.example").rdatas("A") == ["10.1.2.3"]
    assert ask(moved, ".", "3.2.1.10.in-addr.arpa", "PTR").rdatas("PTR") == \
        ["ip-10-1-2-3.example."]


def intent_21(moved):
    """rewrite's README: whoami after the rule sees the option, and shows it back."""
    port = moved.port_of(".")
    q = harness.build_query("example.org.", "A", 0x2121, bufsize=1232)
    reply = harness.parse_message(harness.udp_query(q, port))
    assert b"\xff\xee\x00\x04abcd" in reply.opt.options, reply.opt.options


def intent_27(moved):
    """The autopath tuning guide: AAAA answered NXDOMAIN by its template."""
    assert ask(moved, ".", "corpus-probe.example", "AAAA").rcode == "NXDOMAIN"


def intent_35(moved):
    """Split DNS: every other name answers the proxy's address; AAAA empty."""
    assert ask(moved, ".", "www.youtube.com").rdatas("A") == ["10.8.0.1"]
    r = ask(moved, ".", "www.youtube.com", "AAAA")
    assert r.rcode == "NOERROR" and r.answer == [], r.raw


def intent_36(moved):
    """Tailscale split DNS: every name of the zone answers the node's address."""
    assert ask(moved, "erodev.cloud", "grafana.erodev.cloud").rdatas("A") == \
        ["100.116.229.118"]
    r = ask(moved, "erodev.cloud", "grafana.erodev.cloud", "AAAA")
    assert r.rcode == "NOERROR" and r.answer == [], r.raw


def intent_39(moved):
    """MacroPower: the public name answers with authentik's cluster address."""
    r = ask(moved, ".", "authentik.home.macro.network")
    assert r.records("A") == [("authentik.home.macro.network.", 5, "IN", "A", "10.96.40.40")], \
        r.raw


def intent_41(moved):
    """NixOS: every A of .local is 127.0.0.1."""
    assert ask(moved, "local", "printer.local").rdatas("A") == ["127.0.0.1"]


def intent_37(moved):
    """external-dns's CoreDNS provider: the records it writes into etcd (SkyDNS keys under
    /skydns, an A and its ownership TXT) are answered, a new one without a restart; other
    names of example.org fall through to forward."""
    moved.etcd.put("/skydns/org/example/nginx/6a1f3c2e", '{"host":"192.0.2.80","ttl":30}')
    moved.etcd.put("/skydns/org/example/nginx/0d7e9b41",
                   '{"text":"heritage=external-dns,external-dns/owner=default","ttl":30}')
    harness.wait_until(lambda: ask(moved, ".", "nginx.example.org").rdatas("A") == ["192.0.2.80"],
                       timeout=10, what="external-dns's record answered")
    r = ask(moved, ".", "nginx.example.org", "TXT")
    assert txt(r) == ["heritage=external-dns,external-dns/owner=default"], r.raw
    # A name etcd lacks: forward's answer (the test's unbound), not etcd's NXDOMAIN.
    r = ask(moved, ".", "corpus-probe.example.org", check=False)
    assert not any("ns.dns.example.org." in str(rr) for rr in r.authority), r.raw


def intent_43(moved):
    """The wildcard ingress domain of fzen.pro answers from the template."""
    assert ask(moved, ".", "grafana.fzen.pro").rdatas("A") == ["192.168.2.2"]


def intent_30(moved):
    """An adblocker serving one chain on plain DNS, DNS over TLS and DoH: with no `tls`, as
    CoreDNS 1.12, tls:// is DNS over plain TCP on its own port and https:// is DoH over plain
    HTTP/1.1; hosts falls through to forward on all three, and each answer is logged."""
    b = moved.blocks[0]
    for scheme, zone, port in b.keys:
        r = ask_over(moved, b, scheme, port, "corpus-probe.example.")
        assert r.rcode == "NOERROR" and r.rdatas("A"), (scheme, r.raw)
    ports = {scheme: port for scheme, _, port in b.keys}
    assert len(set(ports.values())) == 3, ports
    # The DoH port speaks HTTP, not DNS over TCP.
    r = harness.kdig("corpus-probe.example.", "A", ports["https://"], tcp=True, check=False,
                     timeout=1, retry=0)
    assert r.rcode is None


def intent_49(moved):
    """tls' README: DNS over TLS with ALPN dot, several queries pipelined on one connection,
    verified against the certificate the block names."""
    import ssl
    b = moved.blocks[0]
    port = b.keys[0][2]
    ctx = ssl.create_default_context(cafile=str(moved.ca))
    ctx.set_alpn_protocols(["dot"])
    with ctx.wrap_socket(socket.create_connection((b.listen, port), timeout=5),
                         server_hostname="localhost") as s:
        assert s.selected_alpn_protocol() == "dot"
        s.sendall(b"".join(harness.frame(harness.build_query("corpus-probe.example.", "A", i))
                           for i in (1, 2, 3)))
        ids = sorted(harness.parse_message(harness.tcp_read_reply(s)).id for _ in range(3))
        assert ids == [1, 2, 3]


def intent_51(moved):
    """tls' README: DoH over HTTP/2 (kdig +https, POST and GET), verified against the
    certificate the block names; a path other than /dns-query is 404."""
    b = moved.blocks[0]
    port = b.keys[0][2]
    verify = [f"+tls-ca={moved.ca}", "+tls-hostname=localhost"]
    for method in ([], ["+https-get"]):
        r = harness.kdig("corpus-probe.example.", "A", port, server=b.listen,
                         extra=["+https"] + verify + method)
        assert r.rdatas("A"), r.raw
    out = subprocess.run(["curl", "-s", "--noproxy", "*", "--http2", "--cacert", str(moved.ca),
                          "--resolve", f"localhost:{port}:{b.listen}", "-o", "/dev/null",
                          "-w", "%{http_code} %{http_version}",
                          f"https://localhost:{port}/other"],
                         capture_output=True, text=True, timeout=20).stdout
    assert out == "404 2", out


def intent_47(moved):
    """kops for IPv6-only clusters adds dns64: its clients ask over IPv6. A client asking over
    IPv4 (this block listens on 127.0.0.1) gets no synthesis, as CoreDNS without allow_ipv4:
    the upstream's A-only name has no AAAA, and its A is still there."""
    r = ask(moved, ".", "corpus-probe.example", "AAAA")
    assert r.rcode == "NOERROR" and r.answer == [], r.raw
    assert ask(moved, ".", "corpus-probe.example").rdatas("A") == ["192.0.2.1"]


def intent_52(moved):
    """view's README: clients in 127.0.0.0/24 get 1.1.1.1 for `test`; any other client (here
    127.1.0.1, outside that network and 192.168.0.0/16) gets the last block's 3.3.3.3."""
    port = moved.port_of(".")
    for source, want in (("127.0.0.1", "1.1.1.1"), ("127.0.0.77", "1.1.1.1"),
                         ("127.1.0.1", "3.3.3.3")):
        r = harness.kdig("test", "A", port, extra=["-b", source])
        assert r.rdatas("A") == [want], (source, r.raw)


def intent_55(moved):
    """dns64's README example is the block alone: no plugin after dns64 answers, so every
    query is SERVFAIL, as in CoreDNS; the server stays up."""
    assert ask(moved, ".", "example.org", "AAAA").rcode == "SERVFAIL"
    assert ask(moved, ".", "example.org", "A").rcode == "SERVFAIL"


# State files other than the default cluster's: 19's and 39's rewrites point at services
# (the ingress controller, authentik) that a cluster running them has.
REWRITE_TARGETS = corpus.STATE.parent / "rewrite-targets.json"
STATES = {"28-readme-k8s-external-transfer.Corefile": corpus.STATE.parent / "external.json",
          "19-eks-user-rewrite-ingress.Corefile": REWRITE_TARGETS,
          "39-macropower-homelab.Corefile": REWRITE_TARGETS}

# Probe names a rewrite rule sends upstream under another name: the upstream knows that one.
REWRITTEN = {"10-aks-with-coredns-custom.Corefile": {
    "corpus-probe.contoso.com.": "corpus-probe.default.svc.cluster.local."}}

# What each Corefile is there for, beyond the answers every block gives.
INTENTS = {"13-openshift-forward-tls.Corefile": intent_13,
           "30-asimbera-adblocker.Corefile": intent_30,
           "49-readme-tls-dot-server.Corefile": intent_49,
           "51-readme-tls-doh-server.Corefile": intent_51,
           "26-readme-hosts-wildcard.Corefile": intent_26,
           "28-readme-k8s-external-transfer.Corefile": intent_28,
           "29-readme-file-transfer.Corefile": intent_29,
           "33-wolfyangfan-dn42.Corefile": intent_33,
           "09-aks-default.Corefile": intent_aks,
           "10-aks-with-coredns-custom.Corefile": intent_10,
           "11-aks-localdns.Corefile": intent_aks,
           "14-openshift-ipv6filter.Corefile": intent_14,
           "15-openshift-cloud-alt-dns.Corefile": intent_15,
           "19-eks-user-rewrite-ingress.Corefile": intent_19,
           "20-readme-template-ip-ptr.Corefile": intent_20,
           "21-readme-rewrite-edns0.Corefile": intent_21,
           "27-user-autopath-tuning.Corefile": intent_27,
           "35-split174-splitdns-template.Corefile": intent_35,
           "36-erousr99-tailscale-template.Corefile": intent_36,
           "37-externaldns-etcd.Corefile": intent_37,
           "39-macropower-homelab.Corefile": intent_39,
           "41-krutonium-nixos.Corefile": intent_41,
           "43-firzen475-template-svc.Corefile": intent_43,
           "47-kops-ipv6.Corefile": intent_47,
           "52-readme-view-splitdns.Corefile": intent_52,
           "55-readme-dns64.Corefile": intent_55}


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_rejected_as_coredns_rejects_it(name, start_cxxdns, start_unbound):
    moved = corpus.move(name, harness.free_port(), {})
    srv = start_cxxdns(moved.text, files=moved.files, start=False)
    srv.start(ready=False)
    code = srv.proc.wait(timeout=10)
    err = srv.stderr_text() + srv.stdout_text()
    assert code != 0, err
    assert re.search(r"Corefile:\d+", err) and re.search(REJECTED[name], err), err


@pytest.mark.parametrize("name", sorted(MISSING))
def test_missing_parts_are_named(name, start_cxxdns):
    moved = corpus.move(name, harness.free_port(), {"NodeHosts": NODE_HOSTS})
    srv = start_cxxdns(moved.text, files=moved.files, start=False)
    srv.start(ready=False)
    code = srv.proc.wait(timeout=10)
    err = srv.stderr_text() + srv.stdout_text()
    assert code != 0, err
    assert re.search(MISSING[name], err), err


def test_the_readme_counts_what_runs():
    """README.md's table of what works gives the number of corpus Corefiles that run."""
    accepted = len(ALL) - len(REJECTED)
    readme = (corpus.CORPUS.parents[1] / "README.md").read_text()
    assert f"{len(RUNS)} of the {accepted}" in readme, (len(RUNS), accepted)
