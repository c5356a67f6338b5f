// bufsize: the EDNS UDP size the plugins after it see (and the answer is cut to), as
// CoreDNS's bufsize.
#include <catch2/catch.hpp>

#include "core/dns/constants.h"
#include "core/dns/message.h"
#include "core/dns/response.h"
#include "core/dns/writer.h"
#include "core/plugin/setup.h"
#include "core/plugin/testing.h"
#include "plugins/bufsize/bufsize.h"
#include "plugins/builtin.h"

using cxxdns::testing::ChainTest;
using cxxdns::testing::NextHandler;
using cxxdns::testing::QueryOptions;
namespace dns = cxxdns::dns;

namespace {

std::string setup_error(const std::string& line) {
  try {
    ChainTest t(". {\n  " + line + "\n  whoami\n}\n");
  } catch (const cxxdns::SetupError& e) {
    return e.what();
  }
  return "no error";
}

uint16_t configured(const std::string& line) {
  ChainTest t(". {\n  " + line + "\n  whoami\n}\n");
  return dynamic_cast<cxxdns::plugins::Bufsize&>(*t.plugin("bufsize")).size();
}

// What the plugin after bufsize was given: the query's EDNS view and its wire.
struct Seen {
  bool edns = false;
  uint16_t view_size = 0;
  uint16_t wire_size = 0;  // the OPT record's CLASS in the wire the next plugin would send on
};

// A chain of bufsize (from `corefile`) and a stand-in after it that records what it got and
// answers with `records` A records.
struct Fixture {
  Seen seen;
  cxxdns::Registry reg;
  std::unique_ptr<ChainTest> t;

  Fixture(const std::string& corefile, int records = 1) {
    reg = cxxdns::testing::with_next_handler(
        cxxdns::plugins::builtin(), "bufsize", "next", [=, this] {
          auto h = std::make_unique<NextHandler>();
          h->write = [=, this](cxxdns::QueryContext& ctx) {
            const dns::QueryView& q = ctx.q();
            seen.edns = q.edns.present;
            seen.view_size = q.edns.udp_size;
            if (q.edns.present)
              seen.wire_size = dns::get16(ctx.query_wire().data() + q.edns.rdata_offset - 8);
            dns::MessageWriter w(ctx.writable_response());
            w.start_reply(q, dns::rcode::NOERROR, true);
            for (int i = 0; i < records; ++i) {
              const uint8_t a[4] = {192, 0, 2, static_cast<uint8_t>(i)};
              w.a(q.qname, 60, a);
            }
          };
          return h;
        });
    cxxdns::BuildOptions o;
    o.registry = &reg;
    t = std::make_unique<ChainTest>(corefile, o);
  }
};

}  // namespace

TEST_CASE("bufsize: the size, 1232 by default, 512 to 4096 (CoreDNS's setup tests)", "[bufsize]") {
  CHECK(configured("bufsize") == 1232);
  CHECK(configured("bufsize 1220") == 1220);
  CHECK(configured("bufsize \"512\"") == 512);
  CHECK(configured("bufsize 4096") == 4096);
  const std::string arg_error =
      "plugin/bufsize: Corefile:2 - Error during parsing: Wrong argument count or unexpected "
      "line ending after ";
  CHECK(setup_error("bufsize 5000") == arg_error + "'5000'");
  CHECK(setup_error("bufsize 511") == arg_error + "'511'");
  CHECK(setup_error("bufsize abc123") == arg_error + "'abc123'");
  CHECK(setup_error("bufsize 512 512") == arg_error + "'512'");
  CHECK(setup_error("bufsize 1e3") == arg_error + "'1e3'");
}

TEST_CASE("bufsize: a larger size is lowered in the view and the wire sent on", "[bufsize]") {
  Fixture f(". {\n  bufsize 1024\n  next\n}\n");
  QueryOptions o;
  o.bufsize = 1024 + 128;
  auto a = f.t->query("example.org.", "A", o);
  REQUIRE(a.rcode == "NOERROR");
  CHECK(f.seen.edns);
  CHECK(f.seen.view_size == 1024);
  CHECK(f.seen.wire_size == 1024);
}

TEST_CASE("bufsize: a smaller size is not raised", "[bufsize]") {
  Fixture f(". {\n  bufsize 1024\n  next\n}\n");
  QueryOptions o;
  o.bufsize = 1024 - 128;
  f.t->query("example.org.", "A", o);
  CHECK(f.seen.view_size == 1024 - 128);
  CHECK(f.seen.wire_size == 1024 - 128);
}

TEST_CASE("bufsize: a query without EDNS gets none", "[bufsize]") {
  Fixture f(". {\n  bufsize 1024\n  next\n}\n");
  auto a = f.t->query("example.org.", "A");
  CHECK_FALSE(f.seen.edns);
  CHECK_FALSE(a.has_opt);
}

TEST_CASE("bufsize: the answer is truncated to the lowered size (OpenShift's bufsize 512)",
          "[bufsize]") {
  // 40 A records make an answer of about 670 bytes: over 512, under the client's 4096.
  Fixture f(". {\n  bufsize 512\n  next\n}\n", 40);
  QueryOptions o;
  o.bufsize = 4096;
  auto a = f.t->query("example.org.", "A", o);
  CHECK(a.tc());
  CHECK(a.wire.size() <= 512);
  CHECK(a.answer.size() < 40);
  Fixture g(". {\n  next\n}\n", 40);
  auto b = g.t->query("example.org.", "A", o);
  CHECK_FALSE(b.tc());
  CHECK(b.answer.size() == 40);
  // Over TCP nothing is cut.
  o.tcp = true;
  auto c = f.t->query("example.org.", "A", o);
  CHECK_FALSE(c.tc());
  CHECK(c.answer.size() == 40);
}

TEST_CASE("bufsize: OpenShift's blocks (corpus 12 and 14) start", "[bufsize]") {
  // Corpus 12's forwarding blocks and 14's default block, with the upstream left out.
  Fixture f(
      "foo.com:5353 {\n  errors\n  log . {\n    class error\n  }\n  bufsize 512\n  next\n}\n"
      ".:5353 {\n  bufsize 1232\n  errors\n  next\n}\n");
  QueryOptions o;
  o.bufsize = 4096;
  o.port = 5353;
  f.t->query("www.foo.com.", "A", o);
  CHECK(f.seen.view_size == 512);
  f.t->query("www.example.net.", "A", o);
  CHECK(f.seen.view_size == 1232);
}
