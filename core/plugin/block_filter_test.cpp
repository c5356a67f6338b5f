// Block filters (BlockFilter, CoreDNS's FilterFuncs): several blocks may serve one zone on one
// listener when those before the last have filters; a query goes to the first block, longest
// zone first, whose filters all accept it, and REFUSED when none does.
#include <catch2/catch.hpp>

#include "core/dns/writer.h"
#include "core/plugin/setup.h"
#include "core/plugin/testing.h"

namespace {

using cxxdns::testing::ChainTest;
using cxxdns::testing::QueryOptions;

// `answer TEXT` answers every query with a TXT record TEXT, so a test sees which block took it.
class Answer final : public cxxdns::Plugin {
 public:
  explicit Answer(std::string text) : text_(std::move(text)) {}
  std::string_view name() const override { return "answer"; }
  cxxdns::Verdict serve(cxxdns::QueryContext& ctx) override {
    cxxdns::dns::MessageWriter w(ctx.writable_response());
    w.start_reply(ctx.q(), 0, true);
    w.begin_rr(ctx.q().qname, cxxdns::dns::type::TXT, cxxdns::dns::cls::IN, 0);
    w.rd_text(text_);
    w.end_rr();
    return ctx.reply();
  }

 private:
  std::string text_;
};

// `only CLIENT-IP` takes only the queries of that client; `only port` checks the listener is
// passed along (its port is the one the query came to).
cxxdns::Registry registry() {
  cxxdns::Registry r;
  r.add("only", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    for (const auto& d : sc.directives()) {
      std::string want = d.args.at(0).text;
      sc.add_block_filter([want](cxxdns::QueryContext& ctx, const cxxdns::ListenerSpec& at) {
        if (want == "port") return at.port == 1053;
        return ctx.client().ip() == want;
      });
    }
    return nullptr;
  });
  r.add("answer", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    return std::make_unique<Answer>(sc.only_one().args.at(0).text);
  });
  return r;
}

std::string who(ChainTest& t, std::string_view name, const std::string& client) {
  QueryOptions o;
  o.client_ip = client;
  auto a = t.query(name, "TXT", o);
  if (a.rcode != "NOERROR") return a.rcode;
  return a.answer.empty() ? "" : a.answer[0].substr(a.answer[0].rfind('\t') + 1);
}

// What building `corefile` throws, or "no error".
std::string build_error(const char* corefile, const cxxdns::BuildOptions& opt) {
  try {
    ChainTest t(corefile, opt);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("block filters: the first block whose filters accept the query takes it", "[config]") {
  cxxdns::Registry reg = registry();
  cxxdns::BuildOptions opt;
  opt.registry = &reg;
  ChainTest t(
      ". {\n only 127.0.0.2\n answer two\n}\n"
      ". {\n only 127.0.0.3\n only 127.0.0.9\n answer never\n}\n"
      ". {\n answer default\n}\n",
      opt);
  CHECK(who(t, "a.example.", "127.0.0.2") == "\"two\"");
  CHECK(who(t, "a.example.", "127.0.0.3") == "\"default\"");  // both filters must accept
  CHECK(who(t, "a.example.", "127.0.0.1") == "\"default\"");
}

TEST_CASE("block filters: a longer zone's filtered block, then the shorter zones", "[config]") {
  cxxdns::Registry reg = registry();
  cxxdns::BuildOptions opt;
  opt.registry = &reg;
  ChainTest t(
      "example.org {\n only 127.0.0.2\n answer zone\n}\n"
      ". {\n answer root\n}\n",
      opt);
  CHECK(who(t, "www.example.org.", "127.0.0.2") == "\"zone\"");
  CHECK(who(t, "www.example.org.", "127.0.0.1") == "\"root\"");
  // With no block left for the name, REFUSED.
  ChainTest only_filtered("example.org {\n only 127.0.0.2\n answer zone\n}\n", opt);
  CHECK(who(only_filtered, "www.example.org.", "127.0.0.1") == "REFUSED");
}

TEST_CASE("block filters: the listener the query came to is given", "[config]") {
  cxxdns::Registry reg = registry();
  cxxdns::BuildOptions opt;
  opt.registry = &reg;
  ChainTest t(".:1053 {\n only port\n answer port\n}\n.:1053 {\n answer other\n}\n", opt);
  CHECK(who(t, "a.", "127.0.0.1") == "\"port\"");
}

TEST_CASE("block filters: nothing may follow a block without filters", "[config]") {
  cxxdns::Registry reg = registry();
  cxxdns::BuildOptions opt;
  opt.registry = &reg;
  CHECK(build_error(". {\n answer a\n}\n. {\n only 127.0.0.2\n answer b\n}\n", opt) ==
        "Corefile:4 - Error during parsing: cannot serve dns://.:53 - it is already defined");
  CHECK(build_error(". {\n answer a\n}\n. {\n answer b\n}\n", opt).find("already defined") !=
        std::string::npos);
  CHECK(build_error(". {\n only 127.0.0.2\n answer a\n}\n. {\n only 127.0.0.3\n answer b\n}\n",
                    opt) == "no error");
}
