// template: the template blocks of the corpus Corefiles (copied here as written), answering
// as their authors intend, and CoreDNS's behaviour around them.
#include <catch2/catch.hpp>

#include "core/dns/writer.h"
#include "core/metrics/metrics.h"
#include "core/plugin/setup.h"
#include "core/plugin/testing.h"
#include "plugins/builtin.h"

using cxxdns::testing::Answer;
using cxxdns::testing::ChainTest;
using cxxdns::testing::NextHandler;
using cxxdns::testing::QueryOptions;
using cxxdns::testing::setup_error;

namespace {

// The built-in plugins and `next` after hosts: what forward would answer, counted.
struct WithNext {
  NextHandler* next = nullptr;
  cxxdns::Registry reg;
  cxxdns::BuildOptions opt;
  WithNext() {
    reg = cxxdns::testing::with_next_handler(cxxdns::plugins::builtin(), "hosts", "next", [this] {
      auto h = std::make_unique<NextHandler>(cxxdns::dns::rcode::REFUSED);
      next = h.get();
      return h;
    });
    opt.registry = &reg;
  }
};

// AKS's default Corefile (09, 10) and LocalDNS (11): the two template blocks as written.
constexpr const char* kAksTemplates = R"CF(
    template ANY ANY internal.cloudapp.net {
      match "^(?:[^.]+\.){4,}internal\.cloudapp\.net\.$"
      rcode NXDOMAIN
      fallthrough
    }
    template ANY ANY reddog.microsoft.com {
      rcode NXDOMAIN
    }
)CF";

}  // namespace

TEST_CASE("template: AKS answers NXDOMAIN for search-list completions of its internal zones",
          "[template][corpus]") {
  WithNext w;
  ChainTest t(std::string(".:53 {\n") + kAksTemplates + "    next\n}\n", w.opt);
  // A name with the cluster's search domains appended (4+ labels before the zone).
  auto a = t.query("www.example.com.svc.cluster.internal.cloudapp.net.", "A");
  CHECK(a.rcode == "NXDOMAIN");
  CHECK(a.aa());
  CHECK(a.answer.empty());
  CHECK(w.next->calls == 0);
  // A VM's own name in the zone (fewer labels) goes on to the upstream.
  auto vm = t.query("myvm.internal.cloudapp.net.", "A");
  CHECK(vm.rcode == "REFUSED");
  CHECK(w.next->calls == 1);
  // Every name in reddog.microsoft.com, whatever the type.
  CHECK(t.query("anything.reddog.microsoft.com.", "AAAA").rcode == "NXDOMAIN");
  CHECK(t.query("reddog.microsoft.com.", "TXT").rcode == "NXDOMAIN");
  // Everything else goes on.
  CHECK(t.query("www.example.com.", "A").rcode == "REFUSED");
  CHECK(w.next->calls == 2);
}

TEST_CASE("template: OpenShift's AAAA filter answers an empty NOERROR", "[template][corpus]") {
  WithNext w;
  // 14-openshift-ipv6filter (and 44's `template IN AAAA { rcode NOERROR }`).
  ChainTest t(R"CF(.:5353 {
    template ANY AAAA {
        rcode NOERROR
    }
    next
})CF",
              w.opt);
  QueryOptions o;
  o.bufsize = 1232;
  auto a = t.query("registry.example.com.", "AAAA", o);
  CHECK(a.rcode == "NOERROR");
  CHECK(a.aa());
  CHECK(a.answer.empty());
  CHECK(a.authority.empty());
  CHECK(a.has_opt);
  CHECK(t.query("registry.example.com.", "A").rcode == "REFUSED");
  CHECK(w.next->calls == 1);
}

TEST_CASE("template: the autopath tuning guide's AAAA block answers NXDOMAIN",
          "[template][corpus]") {
  WithNext w;
  // 27-user-autopath-tuning
  ChainTest t(R"CF(.:53 {
    template ANY AAAA {
       rcode NXDOMAIN
    }
    next
})CF",
              w.opt);
  CHECK(t.query("www.example.com.default.svc.cluster.local.", "AAAA").rcode == "NXDOMAIN");
  CHECK(t.query("www.example.com.", "A").rcode == "REFUSED");
}

TEST_CASE("template: OpenShift's cloud DNS answers *.apps, api and api-int, then hosts",
          "[template][corpus]") {
  WithNext w;
  // 15-openshift-cloud-alt-dns, the template and hosts blocks as rendered.
  ChainTest t(R"CF(. {
    template IN A mycluster.example.com {
        match .*[.]apps.mycluster.example.com
        answer "{{ .Name }} 60 in {{ .Type }} 127.0.0.80"
        fallthrough
    }
    template IN AAAA mycluster.example.com {
        match .*[.]apps.mycluster.example.com
        
        fallthrough
    }
    template IN A mycluster.example.com {
        match ^api.mycluster.example.com
        answer "{{ .Name }} 60 in {{ .Type }} 127.0.0.81"
        fallthrough
    }
    template IN AAAA mycluster.example.com {
        match ^api.mycluster.example.com
        
        fallthrough
    }
    template IN A mycluster.example.com {
        match ^api-int.mycluster.example.com
        answer "{{ .Name }} 60 in {{ .Type }} 127.0.0.82"
        fallthrough
    }
    template IN AAAA mycluster.example.com {
        match ^api-int.mycluster.example.com
        
        fallthrough
    }
    hosts {
        127.0.1.1 master-0 master-0.mycluster.example.com
        fallthrough
    }
    next
})CF",
              w.opt);
  auto apps = t.query("console-openshift-console.apps.mycluster.example.com.", "A");
  REQUIRE(apps.rcode == "NOERROR");
  CHECK(apps.answer == std::vector<std::string>{
                           "console-openshift-console.apps.mycluster.example.com.\t60\tIN\tA\t"
                           "127.0.0.80"});
  auto apps6 = t.query("console-openshift-console.apps.mycluster.example.com.", "AAAA");
  CHECK(apps6.rcode == "NOERROR");
  CHECK(apps6.answer.empty());
  CHECK(t.query("api.mycluster.example.com.", "A").answer ==
        std::vector<std::string>{"api.mycluster.example.com.\t60\tIN\tA\t127.0.0.81"});
  CHECK(t.query("api-int.mycluster.example.com.", "A").answer ==
        std::vector<std::string>{"api-int.mycluster.example.com.\t60\tIN\tA\t127.0.0.82"});
  CHECK(t.query("api.mycluster.example.com.", "AAAA").answer.empty());
  // Not a template's name: on to hosts, then to the upstream.
  CHECK(t.query("master-0.mycluster.example.com.", "A").answer ==
        std::vector<std::string>{"master-0.mycluster.example.com.\t3600\tIN\tA\t127.0.1.1"});
  CHECK(w.next->calls == 0);
  CHECK(t.query("www.example.org.", "A").rcode == "REFUSED");
  CHECK(w.next->calls == 1);
}

TEST_CASE("template: the README's A and PTR for ip-a-b-c-d.example", "[template][corpus]") {
  WithNext w;
  // 20-readme-template-ip-ptr
  ChainTest t(R"CF(. {
    template IN A example {
      match (^|[.])ip-(?P<a>[0-9]*)-(?P<b>[0-9]*)-(?P<c>[0-9]*)-(?P<d>[0-9]*)[.]example[.]$
      answer "{{ .Name }} 60 IN A {{ .Group.a }}.{{ .Group.b }}.{{ .Group.c }}.{{ .Group.d }}"
      fallthrough
    }
    template IN PTR in-addr.arpa {
      match ^(?P<d>[0-9]*)[.](?P<c>[0-9]*)[.](?P<b>[0-9]*)[.](?P<a>[0-9]*)[.]in-addr[.]arpa[.]$
      answer "{{ .Name }} 60 IN PTR ip-{{ .Group.a }}-{{ .Group.b }}-{{ .Group.c }}-{{ .Group.d }}.example."
    }
    next
})CF",
              w.opt);
  CHECK(t.query("ip-10-64-1-7.example.", "A").answer ==
        std::vector<std::string>{"ip-10-64-1-7.example.\t60\tIN\tA\t10.64.1.7"});
  // "the A record is actually a wildcard"
  CHECK(t.query("www.ip-10-64-1-7.example.", "A").answer ==
        std::vector<std::string>{"www.ip-10-64-1-7.example.\t60\tIN\tA\t10.64.1.7"});
  CHECK(t.query("7.1.64.10.in-addr.arpa.", "PTR").answer ==
        std::vector<std::string>{"7.1.64.10.in-addr.arpa.\t60\tIN\tPTR\tip-10-64-1-7.example."});
  // Other names of .example fall through; the PTR template has no fallthrough: SERVFAIL.
  CHECK(t.query("www.example.", "A").rcode == "REFUSED");
  CHECK(t.query("64.10.in-addr.arpa.", "PTR").rcode == "SERVFAIL");
  CHECK(w.next->calls == 1);
}

TEST_CASE("template: split-DNS catch-alls of 35 and 36, and NixOS's .local (41)",
          "[template][corpus]") {
  WithNext w;
  ChainTest t(R"CF(.:53 {
    template IN A {
        match ".*"
        answer "{{ .Name }} 60 IN A 10.8.0.1"
    }
    template IN AAAA {
        match ".*"
        rcode NOERROR
    }
    next
}
erodev.cloud {
    template IN A {
        answer "{{ .Name }} 60 IN A 100.116.229.118"
    }
    template IN AAAA {
        rcode NOERROR
    }
}
local {
  template IN A  {
      answer "{{ .Name }} 0 IN A 127.0.0.1"
  }
})CF",
              w.opt);
  CHECK(t.query("www.example.com.", "A").answer ==
        std::vector<std::string>{"www.example.com.\t60\tIN\tA\t10.8.0.1"});
  CHECK(t.query("www.example.com.", "AAAA").answer.empty());
  CHECK(t.query("www.example.com.", "TXT").rcode == "REFUSED");  // no template for TXT
  CHECK(t.query("grafana.erodev.cloud.", "A").answer ==
        std::vector<std::string>{"grafana.erodev.cloud.\t60\tIN\tA\t100.116.229.118"});
  CHECK(t.query("grafana.erodev.cloud.", "AAAA").rcode == "NOERROR");
  CHECK(t.query("printer.local.", "A").answer ==
        std::vector<std::string>{"printer.local.\t0\tIN\tA\t127.0.0.1"});
  // A type no template of the block answers, and no plugin after: SERVFAIL, as CoreDNS.
  CHECK(t.query("printer.local.", "MX").rcode == "SERVFAIL");
}

TEST_CASE("template: 43's regex with \\w for a wildcard ingress domain", "[template][corpus]") {
  WithNext w;
  ChainTest t(R"CF(.:53 {
    template IN A fzen.pro {
        match "(^[\w\-_]*[.]|^.*[.]pages[.])fzen[.]pro[.]$"
        answer "{{ .Name }}  60  IN  A  192.168.2.2"
        fallthrough
    }
    next
})CF",
              w.opt);
  CHECK(t.query("grafana.fzen.pro.", "A").answer ==
        std::vector<std::string>{"grafana.fzen.pro.\t60\tIN\tA\t192.168.2.2"});
  CHECK(t.query("blog.user.pages.fzen.pro.", "A").answer.size() == 1);
  CHECK(t.query("a.b.fzen.pro.", "A").rcode == "REFUSED");
  CHECK(w.next->calls == 1);
}

TEST_CASE("template: several blocks, the first match answers (CoreDNS's TestMultiSection)",
          "[template]") {
  WithNext w;
  ChainTest t(R"CF(test:8053 {
    template IN A {
        rcode REFUSED
    }
    template IN TXT {
        match "$^"
        rcode SERVFAIL
        fallthrough
    }
    template CH TXT coredns.invalid {
        answer "{{ .Name }} 60 CH TXT \"test\""
    }
    template IN A example {
        match ^ip-10-(?P<b>[0-9]*)-(?P<c>[0-9]*)-(?P<d>[0-9]*)[.]example[.]$
        answer "{{ .Name }} 60 IN A 10.{{ .Group.b }}.{{ .Group.c }}.{{ .Group.d }}"
        fallthrough
    }
    template IN MX example {
        match ^ip-10-(?P<b>[0-9]*)-(?P<c>[0-9]*)-(?P<d>[0-9]*)[.]example[.]$
        answer "{{ .Name }} 60 IN MX 10 {{ .Name }}"
        additional "{{ .Name }} 60 IN A 10.{{ .Group.b }}.{{ .Group.c }}.{{ .Group.d }}"
    }
    next
}
example:8053 {
    template IN A example {
        match ^ip-10-(?P<b>[0-9]*)-(?P<c>[0-9]*)-(?P<d>[0-9]*)[.]example[.]$
        answer "{{ .Name }} 60 IN A 10.{{ .Group.b }}.{{ .Group.c }}.{{ .Group.d }}"
        fallthrough
    }
    template IN MX example {
        match ^ip-10-(?P<b>[0-9]*)-(?P<c>[0-9]*)-(?P<d>[0-9]*)[.]example[.]$
        answer "{{ .Name }} 60 IN MX 10 {{ .Name }}"
        additional "{{ .Name }} 60 IN A 10.{{ .Group.b }}.{{ .Group.c }}.{{ .Group.d }}"
    }
    next
})CF",
              w.opt);
  CHECK(t.query("some.test.", "A").rcode == "REFUSED");
  CHECK(t.query("some.test.", "TXT").rcode == "REFUSED");  // fell through to next
  auto mx = t.query("ip-10-11-12-13.example.", "MX");
  CHECK(mx.answer == std::vector<std::string>{
                         "ip-10-11-12-13.example.\t60\tIN\tMX\t10 ip-10-11-12-13.example."});
  CHECK(mx.additional ==
        std::vector<std::string>{"ip-10-11-12-13.example.\t60\tIN\tA\t10.11.12.13"});
  // something.example. A falls through, MX does not: SERVFAIL since CoreDNS 1.9.1.
  CHECK(t.query("something.example.", "A").rcode == "REFUSED");
  CHECK(t.query("something.example.", "MX").rcode == "SERVFAIL");
}

TEST_CASE("template: authority, ederror and the data a template sees", "[template]") {
  ChainTest t(R"CF(. {
    template ANY ANY invalid {
      rcode NXDOMAIN
      authority "invalid. 60 {{ .Class }} SOA ns.invalid. hostmaster.invalid. (1 60 60 60 60)"
      ederror 21 "Blocked according to RFC2606"
    }
    template IN TXT {
      answer "{{ .Name }} 30 IN TXT \"{{ .Zone }} {{ .Class }} {{ .Type }} {{ .Remote }} {{ .Regex }} {{ index .Match 0 }} {{ .Question.Name }} {{ .Message.Id }} [{{ .Meta \"kubernetes/client-namespace\" }}]\""
    }
})CF");
  QueryOptions o;
  o.bufsize = 1232;
  auto a = t.query("test.invalid.", "A", o);
  CHECK(a.rcode == "NXDOMAIN");
  CHECK(a.authority == std::vector<std::string>{
                           "invalid.\t60\tIN\tSOA\tns.invalid. hostmaster.invalid. 1 60 60 60 60"});
  // The EDE option (15): code 21 and the text, in the OPT record.
  const std::string text = "Blocked according to RFC2606";
  std::string wire(a.wire.begin(), a.wire.end());
  CHECK(wire.find(std::string("\x00\x0f", 2) + char(0) + char(2 + text.size()) +
                  std::string("\x00\x15", 2) + text) != std::string::npos);
  o.client_ip = "192.0.2.9";
  o.id = 0x2a2a;
  auto txt = t.query("Some.Name.", "TXT", o);
  REQUIRE(txt.answer.size() == 1);
  CHECK(txt.answer[0] ==
        "some.name.\t30\tIN\tTXT\t\". IN TXT 192.0.2.9 .* some.name. Some.Name. "
        "10794 []\"");
}

TEST_CASE("template: a CNAME answer is followed through the server (upstream)", "[template]") {
  // The README's "Fabricate a CNAME"; hosts stands in for the upstream that knows the target.
  ChainTest t(R"CF(. {
    template IN ANY foogle.com {
      match "^foogle\.com\.$"
      answer "foogle.com 60 IN CNAME google.com"
    }
    hosts {
      192.0.2.80 google.com
    }
})CF");
  auto a = t.query("foogle.com.", "A");
  CHECK(a.rcode == "NOERROR");
  CHECK(a.answer == std::vector<std::string>{"foogle.com.\t60\tIN\tCNAME\tgoogle.com.",
                                             "google.com.\t3600\tIN\tA\t192.0.2.80"});
  // Only A and AAAA are followed.
  CHECK(t.query("foogle.com.", "TXT").answer ==
        std::vector<std::string>{"foogle.com.\t60\tIN\tCNAME\tgoogle.com."});
}

TEST_CASE("template: a CNAME to another server block is routed there", "[template]") {
  ChainTest t(R"CF(.:53 {
    template IN A {
      match "^alias\.example\.$"
      answer "alias.example. 60 IN CNAME target.other."
    }
}
other:53 {
    template IN A {
      answer "{{ .Name }} 5 IN A 198.51.100.1"
    }
})CF");
  CHECK(t.query("alias.example.", "A").answer ==
        std::vector<std::string>{"alias.example.\t60\tIN\tCNAME\ttarget.other.",
                                 "target.other.\t5\tIN\tA\t198.51.100.1"});
}

TEST_CASE("template: a broken template or record is SERVFAIL and counted", "[template]") {
  ChainTest t(R"CF(broken.test:53 {
    template IN TXT {
      answer "{{ .Name }} 60 IN TXT \"{{ index .Match 2 }}\""
    }
    template IN A {
      answer "{{ .Name }}"
    }
})CF");
  auto& reg = cxxdns::metrics::Registry::global();
  CHECK(t.query("x.broken.test.", "TXT").rcode == "SERVFAIL");
  CHECK(t.query("x.broken.test.", "A").rcode == "SERVFAIL");
  const std::string text = reg.render();
  CHECK(text.find("coredns_template_template_failures_total{server=\"dns://:53\",zone=\"broken."
                  "test.\",view=\"\",class=\"IN\",type=\"TXT\",section=\"answer\",template=\"{{."
                  "Name}} 60 IN TXT \\\"{{index .Match 2}}\\\"\"} 1") != std::string::npos);
  CHECK(text.find("coredns_template_rr_failures_total{server=\"dns://:53\",zone=\"broken.test."
                  "\",view=\"\",class=\"IN\",type=\"A\",section=\"answer\",template=\"{{.Name}}"
                  "\"} 1") != std::string::npos);
  CHECK(text.find("coredns_template_matches_total{server=\"dns://:53\",zone=\"broken.test.\","
                  "view=\"\",class=\"IN\",type=\"A\"} 1") != std::string::npos);
}

TEST_CASE("template: setup errors name the line, in CoreDNS's words", "[template]") {
  CHECK(setup_error(". {\n template\n}\n") ==
        "plugin/template: Corefile:2 - Error during parsing: Wrong argument count or unexpected "
        "line ending after 'template'");
  CHECK(setup_error(". {\n template in A\n}\n") ==
        "plugin/template: Corefile:2 - Error during parsing: invalid query class in");
  CHECK(setup_error(". {\n template IN\n}\n") ==
        "plugin/template: Corefile:2 - Error during parsing: Wrong argument count or unexpected "
        "line ending after 'IN'");
  CHECK(setup_error(". {\n template IN FOO\n}\n") ==
        "plugin/template: Corefile:2 - Error during parsing: invalid RR class FOO");
  CHECK(setup_error(". {\n template IN A {\n  match \"(a\"\n }\n}\n") ==
        "plugin/template: Corefile:3 - Error during parsing: could not parse regex: (a, error "
        "parsing regexp: missing closing ): `(a`");
  CHECK(setup_error(". {\n template IN A {\n  answer \"{{ foo }}\"\n }\n}\n") ==
        "plugin/template: Corefile:3 - Error during parsing: could not compile template: {{ foo "
        "}}, template: answer:1: function \"foo\" not defined");
  CHECK(setup_error(". {\n template IN A {\n  rcode NOPE\n }\n}\n") ==
        "plugin/template: Corefile:3 - Error during parsing: unknown rcode NOPE");
  CHECK(setup_error(". {\n template IN A {\n  nope 1\n }\n}\n") ==
        "plugin/template: Corefile:3 - Error during parsing: Wrong argument count or unexpected "
        "line ending after 'nope'");
  CHECK(setup_error(". {\n template IN A {\n  ederror x\n }\n}\n") ==
        "plugin/template: Corefile:3 - Error during parsing: error parsing extended DNS error "
        "code x, strconv.ParseUint: parsing \"x\": invalid syntax");
  // upstream is accepted and ignored; a template with no record and no rcode is NOERROR.
  CHECK(setup_error(". {\n template IN A {\n  upstream\n }\n}\n") == "no error");
  CHECK(setup_error(". {\n template IN A {\n  match (?P<a>x)(?P<b>y)\n  answer \"{{ .Name }} 1 "
                    "A 1.2.3.4\" \"{{ .Name }} 1 A 1.2.3.5\"\n }\n}\n") == "no error");
}
