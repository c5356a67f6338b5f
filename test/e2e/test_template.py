"""template: the corpus Corefiles' template blocks (../shared/corefiles 09, 14, 15, 20, 35) in
the real binary on loopback, queried with kdig and dig; where a block forwards, it forwards
to an unbound started here, whose query log shows what the templates kept from it."""

import re

from harness import build_query, http_get, free_port, parse_message, udp_query

# AKS's default Corefile (09): what it forwards and caches, and its two template blocks as
# written. kubernetes, health, ready and prometheus are left out (no cluster here).
AKS = """.:{{PORT}} {{
    bind 127.0.0.1
    errors
    forward . 127.0.0.1:{up}
    cache 30
    loop
    loadbalance
    template ANY ANY internal.cloudapp.net {{
      match "^(?:[^.]+\\.){{4,}}internal\\.cloudapp\\.net\\.$"
      rcode NXDOMAIN
      fallthrough
    }}
    template ANY ANY reddog.microsoft.com {{
      rcode NXDOMAIN
    }}
}}
"""


def queried(up):
    """The names unbound was asked (its log-queries lines)."""
    return re.findall(r"info: 127\.0\.0\.1 (\S+) (\S+) IN", up.stderr_text())


def test_aks_blocks_answer_nxdomain_without_asking_the_upstream(start_unbound, start_cxxdns):
    up = start_unbound(local_zones=["internal.cloudapp.net."],
                       local_data=["myvm.internal.cloudapp.net. 60 IN A 10.224.0.4"],
                       extra="  log-queries: yes")
    srv = start_cxxdns(AKS.format(up=up.port))
    # A pod's search list appended to an outside name: 4+ labels before the zone.
    r = srv.query("login.microsoftonline.com.svc.cluster.internal.cloudapp.net", "A")
    assert r.rcode == "NXDOMAIN", r.raw
    assert "aa" in r.flags
    assert srv.query("www.example.com.cluster.local.reddog.microsoft.com", "AAAA").rcode == \
        "NXDOMAIN"
    assert srv.query("reddog.microsoft.com", "TXT").rcode == "NXDOMAIN"
    # The VM names of the zone still resolve upstream.
    vm = srv.query("myvm.internal.cloudapp.net", "A")
    assert vm.rdatas("A") == ["10.224.0.4"], vm.raw
    srv.stop()
    up.stop()
    names = [n for n, _ in queried(up)]
    assert "myvm.internal.cloudapp.net." in names
    assert not [n for n in names if "reddog" in n or n.count(".") > 4], names


def test_openshift_aaaa_filter_is_empty_noerror_and_a_is_forwarded(start_unbound, start_cxxdns):
    up = start_unbound(local_zones=["example.org."],
                       local_data=["www.example.org. 60 IN A 192.0.2.10",
                                   "www.example.org. 60 IN AAAA 2001:db8::10"],
                       extra="  log-queries: yes")
    # 14-openshift-ipv6filter: forward, cache and the AAAA template as written (its bufsize
    # line left out: that plugin is another change's).
    srv = start_cxxdns(f""".:{{PORT}} {{
    bind 127.0.0.1
    errors
    forward . 127.0.0.1:{up.port} {{
        policy sequential
    }}
    cache 900 {{
        denial 9984 30
    }}
    template ANY AAAA {{
        rcode NOERROR
    }}
}}
""")
    aaaa = srv.query("www.example.org", "AAAA", bufsize=1232)
    assert aaaa.rcode == "NOERROR", aaaa.raw
    assert aaaa.answer == []
    assert "aa" in aaaa.flags
    a = srv.query("www.example.org", "A")
    assert a.rdatas("A") == ["192.0.2.10"]
    srv.stop()
    up.stop()
    assert ("www.example.org.", "A") in queried(up)
    assert ("www.example.org.", "AAAA") not in queried(up)


def test_openshift_cloud_dns_apps_api_and_hosts(start_unbound, start_cxxdns):
    up = start_unbound(local_zones=["example.net."],
                       local_data=["quay.example.net. 60 IN A 192.0.2.30"])
    health = free_port()
    # 15-openshift-cloud-alt-dns as rendered; port, health and upstream moved to loopback.
    srv = start_cxxdns(f""".:{{PORT}} {{
    bind 127.0.0.1
    errors
    health 127.0.0.1:{health}
    forward . 127.0.0.1:{up.port} {{
        policy sequential
    }}
    cache 30
    reload
    template IN A mycluster.example.com {{
        match .*[.]apps.mycluster.example.com
        answer "{{{{ .Name }}}} 60 in {{{{ .Type }}}} 127.0.0.80"
        fallthrough
    }}
    template IN AAAA mycluster.example.com {{
        match .*[.]apps.mycluster.example.com

        fallthrough
    }}
    template IN A mycluster.example.com {{
        match ^api.mycluster.example.com
        answer "{{{{ .Name }}}} 60 in {{{{ .Type }}}} 127.0.0.81"
        fallthrough
    }}
    template IN AAAA mycluster.example.com {{
        match ^api.mycluster.example.com

        fallthrough
    }}
    template IN A mycluster.example.com {{
        match ^api-int.mycluster.example.com
        answer "{{{{ .Name }}}} 60 in {{{{ .Type }}}} 127.0.0.82"
        fallthrough
    }}
    template IN AAAA mycluster.example.com {{
        match ^api-int.mycluster.example.com

        fallthrough
    }}
    hosts {{
        127.0.1.1 master-0 master-0.mycluster.example.com
        fallthrough
    }}
}}
""")
    apps = srv.query("oauth-openshift.apps.mycluster.example.com", "A")
    # TTL 30, not the template's 60: `cache 30` comes first and caps it, as in CoreDNS.
    assert apps.records("A") == [("oauth-openshift.apps.mycluster.example.com.", 30, "IN", "A",
                                  "127.0.0.80")], apps.raw
    apps6 = srv.query("oauth-openshift.apps.mycluster.example.com", "AAAA")
    assert apps6.rcode == "NOERROR" and apps6.answer == []
    assert srv.query("api.mycluster.example.com", "A").rdatas("A") == ["127.0.0.81"]
    assert srv.query("api-int.mycluster.example.com", "A").rdatas("A") == ["127.0.0.82"]
    assert srv.query("master-0.mycluster.example.com", "A").rdatas("A") == ["127.0.1.1"]
    assert srv.query("quay.example.net", "A").rdatas("A") == ["192.0.2.30"]
    status, _ = http_get(health, "/health")
    assert status == 200


def test_readme_ip_and_ptr_templates_with_metrics(start_unbound, start_cxxdns):
    up = start_unbound(local_zones=["example.com."],
                       local_data=["www.example.com. 60 IN A 192.0.2.50"])
    metrics = free_port()
    # 20-readme-template-ip-ptr, with prometheus to see coredns_template_matches_total.
    srv = start_cxxdns(f""".:{{PORT}} {{
    bind 127.0.0.1
    prometheus 127.0.0.1:{metrics}
    forward . 127.0.0.1:{up.port}

    # ip-a-b-c-d.example A a.b.c.d

    template IN A example {{
      match (^|[.])ip-(?P<a>[0-9]*)-(?P<b>[0-9]*)-(?P<c>[0-9]*)-(?P<d>[0-9]*)[.]example[.]$
      answer "{{{{ .Name }}}} 60 IN A {{{{ .Group.a }}}}.{{{{ .Group.b }}}}.{{{{ .Group.c }}}}.{{{{ .Group.d }}}}"
      fallthrough
    }}

    # d.c.b.a.in-addr.arpa PTR ip-a-b-c-d.example

    template IN PTR in-addr.arpa {{
      match ^(?P<d>[0-9]*)[.](?P<c>[0-9]*)[.](?P<b>[0-9]*)[.](?P<a>[0-9]*)[.]in-addr[.]arpa[.]$
      answer "{{{{ .Name }}}} 60 IN PTR ip-{{{{ .Group.a }}}}-{{{{ .Group.b }}}}-{{{{ .Group.c }}}}-{{{{ .Group.d }}}}.example."
    }}
}}
""")
    a = srv.query("ip-172-16-9-3.example", "A")
    assert a.records("A") == [("ip-172-16-9-3.example.", 60, "IN", "A", "172.16.9.3")], a.raw
    ptr = srv.query("3.9.16.172.in-addr.arpa", "PTR")
    assert ptr.rdatas("PTR") == ["ip-172-16-9-3.example."], ptr.raw
    assert srv.query("www.example.com", "A").rdatas("A") == ["192.0.2.50"]  # forwarded
    _, text = http_get(metrics, "/metrics")
    assert re.search(r'coredns_template_matches_total\{server="dns://127\.0\.0\.1:\d+",'
                     r'zone="example\.",view="",class="IN",type="A"\} 1', text), text
    assert re.search(r'coredns_template_matches_total\{server="dns://127\.0\.0\.1:\d+",'
                     r'zone="in-addr\.arpa\.",view="",class="IN",type="PTR"\} 1', text), text


def test_split_dns_catch_all_answers_every_name(start_cxxdns):
    # 35-split174-splitdns-template's catch-all block.
    srv = start_cxxdns(""".:{PORT} {
    bind 127.0.0.1
    template IN A {
        match ".*"
        answer "{{ .Name }} 60 IN A 10.8.0.1"
    }

    template IN AAAA {
        match ".*"
        rcode NOERROR
    }
}
""")
    r = srv.query("www.youtube.com", "A")
    assert r.records("A") == [("www.youtube.com.", 60, "IN", "A", "10.8.0.1")]
    assert srv.query("www.youtube.com", "AAAA").answer == []
    # The question goes back in the case it was asked (dig keeps the case it is given).
    raw = parse_message(udp_query(build_query("WWW.YouTube.com.", "A", 0x1f1f), srv.port))
    assert raw.questions == [("WWW.YouTube.com.", 1, 1)]
    assert raw.answer[0].name == "www.youtube.com."


def test_readme_cname_target_is_looked_up_and_invalid_gets_soa_and_ede(start_unbound,
                                                                      start_cxxdns):
    # The README's "Fabricate a CNAME" and "Resolve .invalid as NXDOMAIN" blocks, forward
    # moved to an unbound started here.
    up = start_unbound(local_zones=["google.com."],
                       local_data=["google.com. 120 IN A 192.0.2.80",
                                   "google.com. 120 IN AAAA 2001:db8::80"],
                       extra="  log-queries: yes")
    srv = start_cxxdns(f""".:{{PORT}} {{
    bind 127.0.0.1
    template IN ANY foogle.com {{
      match "^foogle\\.com\\.$"
      answer "foogle.com 60 IN CNAME google.com"
    }}
    template ANY ANY invalid {{
      rcode NXDOMAIN
      authority "invalid. 60 {{{{ .Class }}}} SOA ns.invalid. hostmaster.invalid. (1 60 60 60 60)"
      ederror 21 "Blocked according to RFC2606"
    }}
    forward . 127.0.0.1:{up.port}
}}
""")
    a = srv.query("foogle.com", "A")
    assert a.records() == [("foogle.com.", 60, "IN", "CNAME", "google.com."),
                           ("google.com.", 120, "IN", "A", "192.0.2.80")], a.raw
    aaaa = srv.query("foogle.com", "AAAA")
    assert aaaa.rdatas("AAAA") == ["2001:db8::80"], aaaa.raw
    # Other types get the CNAME only: the target is followed for A and AAAA.
    mx = srv.query("foogle.com", "MX")
    assert mx.records() == [("foogle.com.", 60, "IN", "CNAME", "google.com.")], mx.raw
    assert ("google.com.", "A") in queried(up) and ("google.com.", "MX") not in queried(up)

    r = srv.query("something.invalid", "A", bufsize=1232)
    assert r.rcode == "NXDOMAIN", r.raw
    assert "aa" in r.flags
    assert r.records("SOA", "authority") == [
        ("invalid.", 60, "IN", "SOA", "ns.invalid. hostmaster.invalid. 1 60 60 60 60")], r.raw
    assert re.search(r"EDE: 21 \(Not Supported\): 'Blocked according to RFC2606'", r.raw) or \
        re.search(r"EDE: 21.*Blocked according to RFC2606", r.raw), r.raw
    assert not any(n == "something.invalid." for n, _ in queried(up))


def test_broken_template_is_servfail_and_counted(start_cxxdns):
    metrics = free_port()
    srv = start_cxxdns(f""".:{{PORT}} {{
    bind 127.0.0.1
    errors
    prometheus 127.0.0.1:{metrics}
    template IN A bad.test {{
      answer "{{{{ index .Match 3 }}}} 60 IN A 10.0.0.1"
    }}
    template IN A notrr.test {{
      answer "{{{{ .Name }}}} 60 IN A not-an-address"
    }}
}}
""")
    assert srv.query("x.bad.test", "A").rcode == "SERVFAIL"
    assert srv.query("x.notrr.test", "A").rcode == "SERVFAIL"
    _, text = http_get(metrics, "/metrics")
    assert re.search(r'coredns_template_template_failures_total\{server="dns://127\.0\.0\.1:\d+",'
                     r'zone="bad\.test\.",view="",class="IN",type="A",section="answer",'
                     r'template="\{\{index \.Match 3\}\} 60 IN A 10\.0\.0\.1"\} 1', text), text
    assert re.search(r'coredns_template_rr_failures_total\{server="dns://127\.0\.0\.1:\d+",'
                     r'zone="notrr\.test\.",view="",class="IN",type="A",section="answer",'
                     r'template="\{\{\.Name\}\} 60 IN A not-an-address"\} 1', text), text
    # The server is still there and answers.
    assert srv.query("x.notrr.test", "A").rcode == "SERVFAIL"
