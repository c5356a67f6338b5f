// What the server answers itself, before any plugin runs (CoreDNS's dnsserver.ServeDNS):
// classes other than IN, EDNS versions above 0, FORMERR and NOTIMP with an OPT, bytes after
// the question.
#include <catch2/catch.hpp>

#include "core/dns/message.h"
#include "core/dns/response.h"
#include "core/dns/writer.h"
#include "core/plugin/registry.h"
#include "core/plugin/testing.h"
#include "plugins/builtin.h"

using cxxdns::testing::ChainTest;
using cxxdns::testing::QueryOptions;
namespace dns = cxxdns::dns;

namespace {

constexpr const char* kHostsBlock = R"(example.org {
    hosts {
        10.0.0.1 www.example.org
    }
}
)";

std::vector<uint8_t> header_only(uint16_t id, uint16_t flags, uint16_t qdcount) {
  std::vector<uint8_t> m(dns::kHeaderSize);
  dns::Header h;
  h.id = id;
  h.flags = flags;
  h.qdcount = qdcount;
  h.write(m.data());
  return m;
}

}  // namespace

TEST_CASE("server: class CH and ANY are REFUSED where no plugin serves them", "[server]") {
  ChainTest t(kHostsBlock);
  QueryOptions o;
  for (uint16_t cls : {dns::cls::CH, dns::cls::ANY}) {
    o.qclass = cls;
    auto a = t.query("www.example.org.", "A", o);
    REQUIRE(a.answered);
    CHECK(a.rcode == "REFUSED");
    CHECK_FALSE(a.aa());
    CHECK(a.answer.empty());
  }
  o.qclass = dns::cls::IN;
  CHECK(t.query("www.example.org.", "A", o).answer.size() == 1);
}

TEST_CASE("server: a listener with a plugin that serves every class lets CH through", "[server]") {
  // CoreDNS opens a listener to other classes when any of its blocks has chaos or forward.
  CHECK(cxxdns::plugins::builtin().any_class("forward"));
  CHECK_FALSE(cxxdns::plugins::builtin().any_class("hosts"));
  cxxdns::Registry reg = cxxdns::plugins::builtin();
  reg.serves_any_class("whoami");
  cxxdns::BuildOptions b;
  b.registry = &reg;
  // Two blocks on one address: whoami's opens it for the hosts block too, as in CoreDNS.
  ChainTest t(std::string(kHostsBlock) + "whoami.test {\n    whoami\n}\n", b);
  QueryOptions o;
  o.qclass = dns::cls::CH;
  auto a = t.query("x.whoami.test.", "TXT", o);
  CHECK(a.rcode == "NOERROR");
  CHECK(t.query("www.example.org.", "A", o).rcode != "REFUSED");
}

TEST_CASE("server: an EDNS version above 0 gets BADVERS with an OPT of version 0", "[server]") {
  ChainTest t(kHostsBlock);
  QueryOptions o;
  o.bufsize = 1232;
  o.edns_version = 1;
  o.id = 0x4242;
  auto a = t.query("www.example.org.", "A", o);
  REQUIRE(a.answered);
  CHECK(a.id == 0x4242);
  CHECK(dns::response_rcode(a.wire) == 16);  // BADVERS
  CHECK((a.flags & dns::flag::RCODE_MASK) == 0);
  REQUIRE(a.has_opt);
  CHECK(a.edns_version == 0);
  CHECK(a.answer.empty());
  CHECK_FALSE(a.aa());
  // Outside the zones too: the version is checked before the zone is looked for.
  CHECK(dns::response_rcode(t.query("elsewhere.test.", "A", o).wire) == 16);
  o.edns_version = 0;
  a = t.query("www.example.org.", "A", o);
  CHECK(a.rcode == "NOERROR");
  CHECK(a.answer.size() == 1);
}

TEST_CASE("server: FORMERR and NOTIMP to an EDNS query carry an OPT", "[server]") {
  ChainTest t(kHostsBlock);
  // NOTIMP: an unknown opcode, with no question.
  auto notimp = header_only(7, 0x7800, 0);
  dns::MessageWriter::append_opt(notimp, 1232, false);
  auto a = t.query_wire(notimp);
  REQUIRE(a.answered);
  CHECK(a.rcode == "NOTIMP");
  CHECK(a.id == 7);
  CHECK(a.has_opt);
  // Without an OPT in the query, none in the answer.
  a = t.query_wire(header_only(8, 0x7800, 0));
  CHECK(a.rcode == "NOTIMP");
  CHECK_FALSE(a.has_opt);
  // FORMERR: a QUERY without a question.
  auto formerr = header_only(9, 0, 0);
  dns::MessageWriter::append_opt(formerr, 1232, false);
  a = t.query_wire(formerr);
  CHECK(a.rcode == "FORMERR");
  CHECK(a.has_opt);
}

TEST_CASE("server: bytes after the question are ignored, not FORMERR", "[server]") {
  ChainTest t(kHostsBlock);
  auto q = cxxdns::testing::make_query("www.example.org.", dns::type::A);
  q.insert(q.end(), {0xde, 0xad, 0xbe, 0xef});
  auto a = t.query_wire(q);
  REQUIRE(a.answered);
  CHECK(a.rcode == "NOERROR");
  REQUIRE(a.answer.size() == 1);
  CHECK(a.answer[0] == "www.example.org.\t3600\tIN\tA\t10.0.0.1");
}
