// errors: the errors of the plugins after it on standard output, one line each or
// consolidated per pattern, as CoreDNS's errors.
#include <catch2/catch.hpp>

#include <algorithm>

#include "core/dns/constants.h"
#include "core/plugin/setup.h"
#include "core/plugin/testing.h"
#include "plugins/builtin.h"

using cxxdns::testing::ChainTest;
using cxxdns::testing::NextHandler;
using cxxdns::testing::stdout_lines;
using namespace std::chrono_literals;

namespace {

// Fails every query with the query name's first label as the error ("timeout.example.org."
// fails with "timeout"): a plugin whose errors vary.
class FailByName final : public cxxdns::Plugin {
 public:
  std::string_view name() const override { return "next"; }
  cxxdns::Verdict serve(cxxdns::QueryContext& ctx) override {
    const auto& n = ctx.q().qname_lower;
    return ctx.fail(cxxdns::dns::rcode::SERVFAIL,
                    std::string(reinterpret_cast<const char*>(n.data + 1), n.data[0]));
  }
};

// The built-in plugins plus `next` right after errors, made by `make`.
cxxdns::Registry with_next(std::function<std::unique_ptr<cxxdns::Plugin>()> make) {
  return cxxdns::testing::with_next_handler(cxxdns::plugins::builtin(), "errors", "next",
                                            std::move(make));
}

cxxdns::BuildOptions options(const cxxdns::Registry& r) {
  cxxdns::BuildOptions o;
  o.registry = &r;
  return o;
}

// Feeds `names` (A queries) one after the other straight into `t`'s chain, as ChainTest::query
// would but without running the loop: the consolidate report's timer cannot run among them,
// so a machine that keeps this process waiting there does not split one count into two
// reports. The answers the chain gave.
size_t query_all(ChainTest& t, const std::vector<std::string>& names) {
  cxxdns::testing::ChainRunner r(&t.config().blocks[0]->chain);
  for (const auto& n : names) r.run(cxxdns::testing::make_query(n, cxxdns::dns::type::A));
  return r.delivered;
}

std::string setup_error(const std::string& errors_block) {
  try {
    ChainTest t(". {\n  " + errors_block + "\n  whoami\n}\n");
  } catch (const cxxdns::SetupError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("errors: an error of the next plugin is logged with rcode, name and type", "[errors]") {
  NextHandler* next = nullptr;
  auto reg = with_next([&] {
    auto h = std::make_unique<NextHandler>(cxxdns::dns::rcode::SERVFAIL, "some error");
    next = h.get();
    return h;
  });
  ChainTest t(". {\n  errors\n  next\n}\n", options(reg));
  cxxdns::testing::Answer a, b;
  auto lines = stdout_lines([&] {
    a = t.query("example.org.", "A");
    b = t.query("WWW.Example.ORG.", "AAAA");
  });
  CHECK(a.rcode == "SERVFAIL");
  CHECK(b.rcode == "SERVFAIL");
  CHECK(next->calls == 2);
  // The name lower-case, as CoreDNS's state.Name().
  CHECK(lines == std::vector<std::string>{
                     "[ERROR] plugin/errors: 2 example.org. A: some error",
                     "[ERROR] plugin/errors: 2 www.example.org. AAAA: some error",
                 });
}

TEST_CASE("errors: the rcode logged is the one answered", "[errors]") {
  auto reg = with_next([] { return std::make_unique<NextHandler>(9, "test error"); });
  ChainTest t(". {\n  errors\n  next\n}\n", options(reg));
  auto lines = stdout_lines([&] { t.query("example.org.", "A"); });
  CHECK(lines == std::vector<std::string>{"[ERROR] plugin/errors: 9 example.org. A: test error"});
}

TEST_CASE("errors: answers without an error log nothing", "[errors]") {
  auto reg = with_next([] { return std::make_unique<NextHandler>(cxxdns::dns::rcode::NXDOMAIN); });
  ChainTest t(". {\n  errors\n  next\n}\n", options(reg));
  ChainTest w(". {\n  errors\n  whoami\n}\n");
  auto lines = stdout_lines([&] {
    t.query("example.org.", "A");
    w.query("example.org.", "A");
  });
  CHECK(lines.empty());
}

TEST_CASE("errors: a chain that ends without an answer is logged", "[errors]") {
  ChainTest t("example.org {\n  errors\n}\n");
  cxxdns::testing::Answer a;
  auto lines = stdout_lines([&] { a = t.query("a.example.org.", "MX"); });
  CHECK(a.rcode == "SERVFAIL");
  CHECK(lines == std::vector<std::string>{
                     "[ERROR] plugin/errors: 2 a.example.org. MX: plugin/errors: no next plugin "
                     "found"});
}

TEST_CASE("errors: consolidate counts matching errors and reports once per period", "[errors]") {
  auto reg = with_next([] { return std::make_unique<FailByName>(); });
  ChainTest t(R"(. {
    errors {
        consolidate 300ms "^timeout$"
    }
    next
})",
              options(reg));
  // Matching errors are only counted; the others are logged at once.
  size_t answered = 0;
  auto at_once = stdout_lines([&] {
    answered = query_all(t, {"timeout.example.org.", "timeout.example.org.", "timeout.example.org.",
                             "refused.example.org."});
  });
  CHECK(answered == 4);
  CHECK(at_once == std::vector<std::string>{"[ERROR] plugin/errors: 2 refused.example.org. A: "
                                            "refused"});
  // One line once the period has passed (the report's timer ticks every 100 ms)...
  auto report = stdout_lines([&] { t.run_for(600ms); });
  CHECK(report == std::vector<std::string>{
                      "[ERROR] plugin/errors: 3 errors like '^timeout$' occurred in last 300ms"});
  // ...and the count starts again from zero.
  auto quiet = stdout_lines([&] { t.run_for(500ms); });
  CHECK(quiet.empty());
  auto again = stdout_lines([&] {
    t.query("timeout.example.org.", "A");
    t.run_for(600ms);
  });
  CHECK(again == std::vector<std::string>{
                     "[ERROR] plugin/errors: 1 errors like '^timeout$' occurred in last 300ms"});
}

TEST_CASE("errors: consolidate reports at its level, the first matching rule counting",
          "[errors]") {
  auto reg = with_next([] { return std::make_unique<FailByName>(); });
  ChainTest t(R"(. {
    errors {
        consolidate 200ms ^warn warning
        consolidate 200ms ^info info
        consolidate 200ms ^debug debug
        consolidate 200ms ^err error
        consolidate 200ms ^error
        consolidate 200ms ^default
    }
    next
})",
              options(reg));
  auto lines = stdout_lines([&] {
    query_all(t, {"warn.example.org.", "info.example.org.", "info.example.org.",
                  "debug.example.org.", "error.example.org.", "default.example.org."});
    t.run_for(500ms);
  });
  std::sort(lines.begin(), lines.end());
  CHECK(lines == std::vector<std::string>{
                     "[DEBUG] plugin/errors: 1 errors like '^debug' occurred in last 200ms",
                     // "error" matched ^err first: ^error never counts.
                     "[ERROR] plugin/errors: 1 errors like '^default' occurred in last 200ms",
                     "[ERROR] plugin/errors: 1 errors like '^err' occurred in last 200ms",
                     "[INFO] plugin/errors: 2 errors like '^info' occurred in last 200ms",
                     "[WARNING] plugin/errors: 1 errors like '^warn' occurred in last 200ms",
                 });
}

TEST_CASE("errors: accepted Corefiles", "[errors]") {
  for (const char* ok :
       {"errors", "errors stdout", "errors {\n    consolidate 1m ^exact$\n  }",
        "errors {\n    consolidate 1m error\n  }",
        "errors {\n    consolidate 1m \"format error\"\n  }",
        "errors {\n    consolidate 1m error1\n    consolidate 5s error2 warning\n  }",
        "errors {\n    stacktrace\n  }", "errors {\n    panicRecoveryStacktrace\n  }",
        "errors {\n    consolidate 5m \".* i/o timeout$\" warning\n    consolidate 30s "
        "\"^Failed to .+\"\n  }"}) {
    CAPTURE(ok);
    CHECK(setup_error(ok) == "no error");
  }
}

TEST_CASE("errors: refused Corefiles name file:line", "[errors]") {
  const std::string e2 = "plugin/errors: Corefile:2 - Error during parsing: ";
  const std::string e3 = "plugin/errors: Corefile:3 - Error during parsing: ";
  const std::string args = "Wrong argument count or unexpected line ending after ";
  CHECK(setup_error("errors errors.txt") == e2 + args + "'errors'");
  CHECK(setup_error("errors a b") == e2 + args + "'errors'");
  CHECK(setup_error("errors\n  errors") ==
        e3 + "this plugin can only be used once per Server Block");
  CHECK(setup_error("errors {\n    log visible\n  }") == e3 + "unknown property 'log'");
  CHECK(setup_error("errors {\n    consolidate\n  }") == e3 + args + "'consolidate'");
  CHECK(setup_error("errors {\n    consolidate 1m\n  }") == e3 + args + "'consolidate'");
  CHECK(setup_error("errors {\n    consolidate 1m .* warning extra\n  }") ==
        e3 + args + "'consolidate'");
  CHECK(setup_error("errors {\n    consolidate abc .*\n  }") == e3 + "invalid duration 'abc'");
  // Go durations need a unit.
  CHECK(setup_error("errors {\n    consolidate 1 .*\n  }") == e3 + "invalid duration '1'");
  CHECK(setup_error("errors {\n    consolidate 0s .*\n  }") == e3 + "invalid duration: 0s");
  CHECK(setup_error("errors {\n    consolidate 1m ())\n  }")
            .starts_with(e3 + "invalid regex '())': "));
  CHECK(setup_error("errors {\n    consolidate 1m .* loud\n  }") ==
        e3 + "unknown log level argument in consolidate: loud");
  CHECK(setup_error("errors {\n    stacktrace now\n  }") == e3 + args + "'stacktrace'");
}

TEST_CASE("errors: what consolidate counted is reported when the server stops", "[errors]") {
  auto reg = with_next([] { return std::make_unique<FailByName>(); });
  auto t = std::make_unique<ChainTest>(R"(. {
    errors {
        consolidate 1h ^timeout$ warning
        consolidate 1h ^never$
    }
    next
})",
                                       options(reg));
  auto counted = stdout_lines([&] {
    t->query("timeout.example.org.", "A");
    t->query("timeout.example.org.", "A");
  });
  CHECK(counted.empty());
  // As CoreDNS's stop() (OnShutdown, also on reload): the count is not lost.
  auto at_stop = stdout_lines([&] { t.reset(); });
  CHECK(at_stop ==
        std::vector<std::string>{
            "[WARNING] plugin/errors: 2 errors like '^timeout$' occurred in last 1h0m0s"});
}
