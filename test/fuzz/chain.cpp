// (b) The full message path through a chain, as the server runs it: the query check,
// routing, then cache -> hosts -> kubernetes -> fakeip -> a stub upstream, the reply
// hooks (loadbalance, log) and the server's finalizing.
//
// Input: [options:1][message]. Options bit 0: TCP; bit 1: IPv6 client.
#include <cstdlib>
#include <memory>

#include "common.h"
#include "core/dns/message.h"
#include "core/dns/writer.h"
#include "core/plugin/registry.h"
#include "core/plugin/testing.h"

using namespace cxxdns;

namespace {

// The "forward" of this chain: answers from the name, so the fuzzer can reach empty,
// error, CNAME and oversized answers without a network.
class StubUpstream final : public Plugin {
 public:
  std::string_view name() const override { return "forward"; }
  void serve(QueryContext& ctx) override {
    using namespace dns;
    const QueryView& q = ctx.q();
    std::string_view n = ctx.qname_text();
    if (n.starts_with("fail")) return ctx.reply_rcode(rcode::SERVFAIL);
    if (n.starts_with("nx")) return ctx.reply_rcode(rcode::NXDOMAIN);
    if (n.starts_with("drop")) return ctx.drop();
    MessageWriter w(ctx.response());
    w.start_reply(q, rcode::NOERROR, false);
    static const uint8_t v4[4] = {203, 0, 113, 7};
    static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
    int copies = n.starts_with("big") ? 200 : 1;
    for (int i = 0; i < copies; ++i) {
      if (q.qtype == type::A) {
        w.a(q.qname, 60, v4);
      } else if (q.qtype == type::AAAA) {
        w.aaaa(q.qname, 60, v6);
      } else {
        w.begin_rr(q.qname, type::TXT, cls::IN, 60);
        w.rd_text("upstream answer");
        w.end_rr();
      }
    }
    ctx.reply();
  }
};

const Registry& registry() {
  static Registry r = [] {
    Registry r;
    for (const char* n :
         {"bind", "cache", "hosts", "kubernetes", "fakeip", "loadbalance", "log", "acl"})
      r.add(n, *Registry::builtin().find(n));
    r.add("forward", [](SetupContext&) -> std::unique_ptr<Plugin> {
      return std::make_unique<StubUpstream>();
    });
    return r;
  }();
  return r;
}

std::unique_ptr<testing::ChainTest> chain;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet_stdout();
  BuildOptions o;
  o.registry = &registry();
  o.default_port = 5300;
  std::string corefile = R"(. {
    bind 127.0.0.1
    log
    acl {
        block type ANY
        drop net 192.0.2.0/24
    }
    loadbalance
    cache 30 {
        success 1000
        denial 100
    }
    hosts {
        10.1.2.3 host.example
        fd00::1 host.example
        fallthrough
    }
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        state )" + std::string(CXXDNS_TEST_DATA) +
                         R"(/k8s/cluster.json
        pods verified
        fallthrough in-addr.arpa ip6.arpa
    }
    fakeip {
        range 198.18.0.0/30
        range6 fc00::/126
        filter *.example
    }
    forward . 127.0.0.1
})";
  chain = std::make_unique<testing::ChainTest>(corefile, o);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  testing::QueryOptions o;
  o.tcp = data[0] & 1;
  o.client_ip = (data[0] & 2) ? "::1" : "127.0.0.1";
  o.timeout = std::chrono::milliseconds(1000);
  std::span<const uint8_t> wire(data + 1, size - 1);
  testing::Answer a = chain->query_wire(wire, o);

  dns::QueryView q;
  dns::QueryCheck c = dns::parse_query(wire, q);
  if (c == dns::QueryCheck::drop) {
    if (a.answered) std::abort();  // responses and headerless packets get no answer
    return 0;
  }
  if (!a.answered) return 0;  // dropped by acl or the stub
  if (a.wire.size() < dns::kHeaderSize || a.id != dns::get16(wire.data())) std::abort();
  if (c == dns::QueryCheck::ok && !o.tcp && a.wire.size() > q.udp_size()) std::abort();
  return 0;
}
