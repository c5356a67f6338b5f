// QueryContext::rewrite_query / restore_query: the plugins after a rewriter see the new
// query, the hooks before it and the client see the client's.
#include <catch2/catch.hpp>

#include "core/dns/writer.h"
#include "core/plugin/setup.h"
#include "core/plugin/testing.h"

using namespace cxxdns;

namespace {

// Asks for `to` instead of the client's name; restores the client's question in its hook.
class Renamer final : public Plugin, public ReplyHook {
 public:
  explicit Renamer(std::string to) : to_(std::move(to)) {}
  std::string_view name() const override { return "renamer"; }
  Verdict serve(QueryContext& ctx) override {
    testing::QueryOptions o;
    o.id = ctx.q().hdr.id;
    auto wire = testing::make_query(to_, ctx.q().qtype, o);
    if (ctx.rewrite_query(wire) != dns::QueryCheck::ok) return ctx.reply_rcode(2);
    if (restore_) ctx.on_reply(this);
    return ctx.next();
  }
  void on_reply(QueryContext& ctx, uint64_t) override {
    seen_rewritten = ctx.query_rewritten();
    ctx.restore_query();
    // The client's question back in the answer (same name length in this test).
    dns::MessageWriter w(ctx.writable_response());
    w.start_reply(ctx.q(), dns::rcode::NOERROR, false);
  }
  bool restore_ = true;
  bool seen_rewritten = false;

 private:
  std::string to_;
};

// Answers with what it saw: the query's name, in a TXT record.
class Echo final : public Plugin {
 public:
  std::string_view name() const override { return "echo"; }
  Verdict serve(QueryContext& ctx) override {
    seen = std::string(ctx.qname_text());
    seen_id = ctx.q().hdr.id;
    return ctx.reply_rcode(dns::rcode::NXDOMAIN);
  }
  std::string seen;
  uint16_t seen_id = 0;
};

struct Fixture {
  Renamer* renamer = nullptr;
  Echo* echo = nullptr;
  Registry reg;
  Fixture(std::string to, bool restore) {
    reg.add("renamer", [this, to, restore](SetupContext&) -> std::unique_ptr<Plugin> {
      auto p = std::make_unique<Renamer>(to);
      p->restore_ = restore;
      renamer = p.get();
      return p;
    });
    reg.add("echo", [this](SetupContext&) -> std::unique_ptr<Plugin> {
      auto p = std::make_unique<Echo>();
      echo = p.get();
      return p;
    });
  }
};

}  // namespace

TEST_CASE("rewrite_query: later plugins see the new query, the client its own", "[context]") {
  Fixture f("other.example.net.", true);
  BuildOptions o;
  o.registry = &f.reg;
  testing::ChainTest t(". {\n renamer\n echo\n}\n", o);
  testing::QueryOptions qo;
  qo.id = 0x4242;
  qo.bufsize = 1232;
  auto a = t.query("www.example.org.", "A", qo);
  REQUIRE(a.answered);
  CHECK(f.echo->seen == "other.example.net.");
  CHECK(f.echo->seen_id == 0x4242);
  CHECK(f.renamer->seen_rewritten);
  CHECK(a.id == 0x4242);
  CHECK(a.rcode == "NOERROR");  // the renamer's hook wrote the client's question back
  CHECK(a.has_opt);             // the client's EDNS, though the rewritten query had none
  auto again = t.query("www.example.org.", "AAAA", qo);
  CHECK(again.answered);
}

TEST_CASE("rewrite_query: the context restores the client's query before the answer leaves",
          "[context]") {
  Fixture f("a-much-longer-name.example.net.", false);
  BuildOptions o;
  o.registry = &f.reg;
  testing::ChainTest t(". {\n renamer\n echo\n}\n", o);
  testing::QueryOptions qo;
  qo.id = 0x0101;
  auto a = t.query("x.org.", "A", qo);
  REQUIRE(a.answered);
  // No hook restored it: the answer still carries the rewritten question, but it goes out
  // with the client's ID and without an OPT (the client sent none).
  CHECK(a.id == 0x0101);
  CHECK_FALSE(a.has_opt);
  CHECK(a.rcode == "NXDOMAIN");
}

TEST_CASE("rewrite_query: a wire that is not a query changes nothing", "[context]") {
  QueryContext ctx;
  auto wire = testing::make_query("www.example.org.", dns::type::A);
  ClientAddress client;
  REQUIRE(ctx.load(wire, Transport::udp, client) == dns::QueryCheck::ok);
  std::vector<uint8_t> bad(wire.begin(), wire.begin() + 5);
  CHECK(ctx.rewrite_query(bad) != dns::QueryCheck::ok);
  CHECK_FALSE(ctx.query_rewritten());
  CHECK(ctx.qname_text() == "www.example.org.");
  auto other = testing::make_query("b.example.", dns::type::MX);
  REQUIRE(ctx.rewrite_query(other) == dns::QueryCheck::ok);
  CHECK(ctx.qname_text() == "b.example.");
  CHECK(ctx.q().qtype == dns::type::MX);
  ctx.restore_query();
  CHECK(ctx.qname_text() == "www.example.org.");
  CHECK(ctx.q().qtype == dns::type::A);
  CHECK(std::vector<uint8_t>(ctx.query_wire().begin(), ctx.query_wire().end()) == wire);
}
