// header: flags of queries (as the next plugins see them) and of answers, as CoreDNS's
// header (its TestHeaderResponseRules, TestHeaderQueryRules and TestSetupHeader cases).
#include <catch2/catch.hpp>

#include "core/dns/constants.h"
#include "core/dns/message.h"
#include "core/dns/writer.h"
#include "core/plugin/setup.h"
#include "core/plugin/testing.h"
#include "plugins/builtin.h"

using cxxdns::testing::ChainTest;
using cxxdns::testing::NextHandler;
namespace dns = cxxdns::dns;
namespace flag = cxxdns::dns::flag;

namespace {

std::string setup_error(const std::string& block) {
  try {
    ChainTest t(". {\n  header " + block + "\n  whoami\n}\n");
  } catch (const cxxdns::SetupError& e) {
    return e.what();
  }
  return "no error";
}

// A chain of header (`rules`) before a stand-in that records the query's flags, in its view
// and in the wire sent on, and answers with `answer_flags` set on a NOERROR reply.
struct Fixture {
  uint16_t view_flags = 0, wire_flags = 0;
  cxxdns::Registry reg;
  std::unique_ptr<ChainTest> t;

  explicit Fixture(const std::string& rules, uint16_t answer_flags = 0) {
    reg =
        cxxdns::testing::with_next_handler(cxxdns::plugins::builtin(), "header", "next", [=, this] {
          auto h = std::make_unique<NextHandler>();
          h->write = [=, this](cxxdns::QueryContext& ctx) {
            view_flags = ctx.q().hdr.flags;
            wire_flags = dns::get16(ctx.query_wire().data() + 2);
            dns::MessageWriter w(ctx.writable_response());
            w.start_reply(ctx.q(), dns::rcode::NOERROR, false);
            w.set_flags(answer_flags);
          };
          return h;
        });
    cxxdns::BuildOptions o;
    o.registry = &reg;
    t = std::make_unique<ChainTest>(". {\n  header {\n" + rules + "\n  }\n  next\n}\n", o);
  }
};

}  // namespace

TEST_CASE("header: response rules set and clear answer flags", "[header]") {
  CHECK((Fixture("    response set ra").t->query("example.org.", "A").flags & flag::RA));
  CHECK_FALSE(
      (Fixture("    response clear ra", flag::RA).t->query("example.org.", "A").flags & flag::RA));
  CHECK((Fixture("    response set aa").t->query("example.org.", "A").aa()));
  // The older syntax, without selector, is a response rule.
  CHECK((Fixture("    set ra aa").t->query("example.org.", "A").flags & (flag::RA | flag::AA)) ==
        (flag::RA | flag::AA));
  // rd set on the answer though the query had none.
  cxxdns::testing::QueryOptions o;
  auto wire = cxxdns::testing::make_query("example.org.", dns::type::A, o);
  wire[2] &= static_cast<uint8_t>(~(flag::RD >> 8));
  Fixture rd("    response set rd");
  CHECK((rd.t->query_wire(wire).flags & flag::RD));
  CHECK_FALSE((rd.view_flags & flag::RD));  // the query itself is left alone
}

TEST_CASE("header: query rules change the query the next plugins get and send", "[header]") {
  Fixture f("    query clear rd\n    query set cd");
  auto a = f.t->query("example.org.", "A");  // sent with RD
  CHECK_FALSE((f.view_flags & flag::RD));
  CHECK_FALSE((f.wire_flags & flag::RD));
  CHECK((f.view_flags & flag::CD));
  CHECK((f.wire_flags & flag::CD));
  // The answer copies RD from the query as changed.
  CHECK_FALSE((a.flags & flag::RD));
  Fixture g("    query set aa ra");
  g.t->query("example.org.", "A");
  CHECK((g.view_flags & (flag::AA | flag::RA)) == (flag::AA | flag::RA));
}

TEST_CASE("header: rules apply in order, the last one for a flag wins", "[header]") {
  Fixture f("    response set ra aa\n    response clear rd ra");
  auto a = f.t->query("example.org.", "A");
  CHECK_FALSE((a.flags & flag::RA));
  CHECK(a.aa());
  CHECK_FALSE((a.flags & flag::RD));
  Fixture g("    response clear ad\n    set ad");
  CHECK((g.t->query("example.org.", "A").flags & flag::AD));
}

TEST_CASE("header: answers of the cache are stored as changed", "[header]") {
  ChainTest t(". {\n  cache\n  header {\n    response set ra\n  }\n  whoami\n}\n");
  auto miss = t.query("example.org.", "A");
  auto hit = t.query("example.org.", "A");
  CHECK((miss.flags & flag::RA));
  CHECK((hit.flags & flag::RA));
}

TEST_CASE("header: setup errors as CoreDNS's", "[header]") {
  const std::string at = "plugin/header: Corefile:3 - Error during parsing: ";
  CHECK(setup_error("{\n  }") ==
        "plugin/header: Corefile:2 - Error during parsing: Wrong argument count or unexpected "
        "line ending after 'header'");
  CHECK(setup_error("{\n    foo\n  }") ==
        at + "setting up rule: invalid selector=foo should be query or response");
  CHECK(setup_error("{\n    response set\n  }") ==
        at + "setting up rule: invalid length for flags, at least one should be provided");
  CHECK(setup_error("{\n    query foo\n  }") ==
        at + "setting up rule: invalid length for flags, at least one should be provided");
  CHECK(setup_error("{\n    query foo rd\n  }") ==
        at + "setting up rule: unknown flag action=foo, should be set or clear");
  CHECK(setup_error("{\n    query\n  }") == at + "setting up rule: no flag action provided");
  CHECK(setup_error("{\n    response set tc\n  }") ==
        at + "setting up rule: unknown/unsupported flag=tc");
  CHECK(setup_error("{\n    query set rd\n  }") == "no error");
  CHECK(setup_error("{\n    response set aa\n  }") == "no error");
  CHECK(setup_error("{\n    response set ra aa\n    query clear rd\n  }") == "no error");
  CHECK(setup_error("{\n    RESPONSE SET RA\n  }") == "no error");
}
