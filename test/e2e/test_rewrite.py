"""rewrite: the corpus Corefiles' rewrite rules (../shared/corefiles 07, 10, 19, 21, 39) in the
real binary on loopback, queried with dig and kdig; the rewritten names are answered by an
unbound started here (standing in for the cluster DNS they point at), and the EDNS0 options
reach a recording UDP server."""

import re
import socket
import struct
import threading

from harness import (
    build_query, encode_name, parse_message, run_cxxdns, udp_query, dig,
)

INGRESS = "ingress-nginx-controller.ingress-nginx.svc.cluster.local."


def cluster_dns(start_unbound):
    """An unbound that knows the names the rules rewrite to."""
    return start_unbound(
        local_zones=["cluster.local."],
        local_data=[f"{INGRESS} 30 IN A 10.96.0.50",
                    "authentik-server.authentik.svc.cluster.local. 30 IN A 10.96.0.60",
                    "web.default.svc.cluster.local. 30 IN A 10.96.0.70"],
        extra="  log-queries: yes")


def test_eks_ingress_aliases(start_unbound, start_cxxdns):
    up = cluster_dns(start_unbound)
    # 19-eks-user-rewrite-ingress: the three rules as written, forward to the cluster DNS.
    srv = start_cxxdns(f""".:{{PORT}} {{
    bind 127.0.0.1
    errors
    rewrite name gitlab.demo.com ingress-nginx-controller.ingress-nginx.svc.cluster.local
    rewrite name jenkins.demo.com ingress-nginx-controller.ingress-nginx.svc.cluster.local
    rewrite name sonarqube.demo.com ingress-nginx-controller.ingress-nginx.svc.cluster.local
    forward . 127.0.0.1:{up.port}
    cache 30
    loop
    loadbalance
}}
""")
    for alias in ("gitlab.demo.com", "jenkins.demo.com", "sonarqube.demo.com"):
        r = dig(alias, "A", srv.port)
        assert r.rcode == "NOERROR", r.raw
        # dig checks the question matches its own; the answer is under the alias.
        assert r.records("A") == [(alias + ".", 30, "IN", "A", "10.96.0.50")], r.raw
    srv.stop()
    up.stop()
    assert f"info: 127.0.0.1 {INGRESS} A IN" in up.stderr_text()
    assert "gitlab.demo.com" not in up.stderr_text()


def test_macropower_continue_block(start_unbound, start_cxxdns):
    up = cluster_dns(start_unbound)
    # 39-macropower-homelab's rule block.
    srv = start_cxxdns(f""".:{{PORT}} {{
    bind 127.0.0.1
    errors
    rewrite continue {{
      name exact authentik.home.macro.network authentik-server.authentik.svc.cluster.local
    }}
    forward . 127.0.0.1:{up.port}
    cache 30
}}
""")
    r = dig("authentik.home.macro.network", "A", srv.port)
    assert r.records("A") == [("authentik.home.macro.network.", 30, "IN", "A", "10.96.0.60")], \
        r.raw


def test_aks_custom_server_block_regex_with_answer_rule(start_unbound, start_cxxdns):
    up = cluster_dns(start_unbound)
    # 10-aks-with-coredns-custom.d/custom/test.server, forward moved to the cluster DNS.
    srv = start_cxxdns(f"""contoso.com:{{PORT}} {{
bind 127.0.0.1
log
errors
rewrite stop {{
  name regex (.*)\\.contoso\\.com {{1}}.default.svc.cluster.local
  answer name (.*)\\.default\\.svc\\.cluster\\.local {{1}}.contoso.com
}}
forward . 127.0.0.1:{up.port}
}}
""")
    r = dig("web.contoso.com", "A", srv.port)
    assert r.records("A") == [("web.contoso.com.", 30, "IN", "A", "10.96.0.70")], r.raw
    # The log line shows the client's question.
    srv.wait_for_log(r'"A IN web\.contoso\.com\. udp ')


class Recorder:
    """A UDP server on 127.0.0.1 that answers every query with 192.0.2.99 for the name asked
    and keeps the queries it got."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.queries = []
        self.stopped = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stopped:
            try:
                data, addr = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            q = parse_message(data)
            self.queries.append(q)
            name, qtype, qclass = q.questions[0]
            flags = 0x8000 | (q.flags & 0x0100)
            reply = struct.pack("!HHHHHH", q.id, flags, 1, 1, 0, 0)
            reply += encode_name(name) + struct.pack("!HH", qtype, qclass)
            reply += b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([192, 0, 2, 99])
            self.sock.sendto(reply, addr)

    def close(self):
        self.stopped = True
        self.sock.close()
        self.thread.join(2)


def options(opt_bytes):
    """[(code, data)] of an OPT record's RDATA."""
    out, i = [], 0
    while i + 4 <= len(opt_bytes):
        code, n = struct.unpack("!HH", opt_bytes[i:i + 4])
        out.append((code, opt_bytes[i + 4:i + 4 + n]))
        i += 4 + n
    return out


def test_edns0_options_reach_the_upstream(start_cxxdns):
    rec = Recorder()
    try:
        srv = start_cxxdns(f""".:{{PORT}} {{
    bind 127.0.0.1
    rewrite continue edns0 local set 0xffee 0x61626364
    rewrite continue edns0 nsid set
    rewrite edns0 subnet set 24 56
    forward . 127.0.0.1:{rec.port}
}}
""")
        reply = parse_message(udp_query(build_query("www.example.org.", "A", 0x5151,
                                                    bufsize=1232), srv.port))
        assert reply.rcode == "NOERROR"
        assert reply.answer[0].text == "192.0.2.99"
        asked = [q for q in rec.queries if q.questions[0][0] == "www.example.org."]
        assert asked, [q.questions for q in rec.queries]
        opts = dict(options(asked[-1].opt.options))
        assert opts[0xffee] == b"abcd"
        assert opts[3] == b""  # NSID, empty: asking for the server's
        assert opts[8] == bytes([0, 1, 24, 0, 127, 0, 0])  # ECS: 127.0.0.0/24
    finally:
        rec.close()


def test_readme_edns0_with_whoami_shows_the_option(start_cxxdns):
    # 21-readme-rewrite-edns0, as written.
    srv = start_cxxdns(""".:{PORT} {
    bind 127.0.0.1
    rewrite edns0 local set 0xffee 0x61626364
    whoami
}
""")
    reply = parse_message(udp_query(build_query("example.org.", "A", 0x2121, bufsize=1232),
                                    srv.port))
    assert reply.rcode == "NOERROR"
    assert [rr.type_name for rr in reply.additional] == ["A", "SRV"]
    # CoreDNS's server answers with the request's OPT, so the client sees the option too.
    assert options(reply.opt.options) == [(0xffee, b"abcd")]
    r = dig("example.org", "A", srv.port, bufsize=1232)
    assert re.search(r"OPT=65518: 61 62 63 64", r.raw), r.raw


def test_kubespray_rewrite_name_stop_is_rejected_as_coredns_does(tmp_path):
    # 07-kubespray-external-zones: CoreDNS itself refuses `rewrite name stop ...`.
    (tmp_path / "Corefile").write_text("""mydomain.tld:5399 {
    bind 127.0.0.1
    log
    errors {
    }
    rewrite name stop website.tld website.namespace.svc.cluster.local
    forward . 127.0.0.1:1
    loadbalance
    cache 5
}
""")
    p = run_cxxdns(["-conf", "Corefile"], cwd=tmp_path)
    assert p.returncode != 0
    assert ("plugin/rewrite: Corefile:6 - Error during parsing: name rule supports only exact, "
            "prefix, suffix, substring, and regex name matching, received: stop") in \
        p.stdout + p.stderr


def test_suffix_answer_auto_type_ttl_and_rcode_rules(start_unbound, start_cxxdns):
    up = start_unbound(
        local_zones=["google.com.", "example.org.", ("internal.", "static")],
        local_data=["www.google.com. 300 IN CNAME web.google.com.",
                    "web.google.com. 300 IN A 192.0.2.10",
                    "host.example.org. 5 IN A 192.0.2.20",
                    "host.example.org. 3600 IN TXT \"hello\"",
                    "internal. 60 IN SOA ns.internal. h.internal. 1 60 60 60 60"],
        extra="  log-queries: yes")
    srv = start_cxxdns(f""".:{{PORT}} {{
    bind 127.0.0.1
    rewrite name suffix .schmoogle.com. .google.com. answer auto
    rewrite continue ttl regex (.*)\\.example\\.org 30-300
    rewrite type HINFO TXT
    rewrite rcode suffix .internal. NXDOMAIN NOERROR
    forward . 127.0.0.1:{up.port}
}}
""")
    # The suffix goes to google.com upstream; names and the CNAME target come back under
    # schmoogle.com (unbound answers a local-data CNAME without its target).
    r = dig("www.schmoogle.com", "A", srv.port)
    assert r.records() == [("www.schmoogle.com.", 300, "IN", "CNAME", "web.schmoogle.com.")], \
        r.raw
    r = dig("web.schmoogle.com", "A", srv.port)
    assert r.records() == [("web.schmoogle.com.", 300, "IN", "A", "192.0.2.10")], r.raw
    # ttl: 5 raised to 30 (a `continue` rule: the type rule after it is not needed here).
    r = dig("host.example.org", "A", srv.port)
    assert r.records() == [("host.example.org.", 30, "IN", "A", "192.0.2.20")], r.raw
    # type: HINFO asked as TXT; the client's question (HINFO) comes back, dig checks it.
    r = dig("host.example.org", "HINFO", srv.port)
    assert r.rcode == "NOERROR", r.raw
    assert r.records("TXT") == [("host.example.org.", 300, "IN", "TXT", '"hello"')], r.raw
    assert ("host.example.org.", "TXT") in re.findall(r"info: 127\.0\.0\.1 (\S+) (\S+) IN",
                                                      up.stderr_text())
    # rcode: the upstream's NXDOMAIN under .internal becomes NOERROR.
    r = dig("nothing.internal", "A", srv.port)
    assert r.rcode == "NOERROR", r.raw
    assert r.records("SOA", "authority"), r.raw
    # Names no rule matches pass unchanged.
    r = dig("web.google.com", "A", srv.port)
    assert r.records() == [("web.google.com.", 300, "IN", "A", "192.0.2.10")], r.raw


def test_class_rule_and_edns0_revert(start_cxxdns):
    rec = Recorder()
    try:
        srv = start_cxxdns(f""".:{{PORT}} {{
    bind 127.0.0.1
    rewrite continue class CH IN
    rewrite edns0 local set 0xffee 0x01 revert
    forward . 127.0.0.1:{rec.port}
}}
""")
        reply = parse_message(udp_query(build_query("www.example.org.", "A", 0x7171,
                                                    qclass="CH", bufsize=1232), srv.port))
        assert reply.rcode == "NOERROR"
        # The client gets its own class back in the question...
        assert reply.questions == [("www.example.org.", 1, 3)]
        asked = [q for q in rec.queries if q.questions[0][0] == "www.example.org."]
        # ...while the upstream was asked IN, with the option.
        assert asked[-1].questions[0][2] == 1
        assert dict(options(asked[-1].opt.options))[0xffee] == b"\x01"
        # revert: the option is not shown back to the client.
        assert reply.opt is None or 0xffee not in dict(options(reply.opt.options))
    finally:
        rec.close()
