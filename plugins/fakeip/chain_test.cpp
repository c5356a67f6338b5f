// fakeip in a chain: ChainTest with a local registry whose "forward" is a stub upstream.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/dns/writer.h"
#include "core/plugin/config.h"
#include "core/plugin/registry.h"
#include "core/plugin/setup.h"
#include "core/plugin/testing.h"
#include "plugins/builtin.h"
#include "plugins/fakeip/fakeip.h"

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using cxxdns::testing::ChainTest;

namespace {

// The "upstream": real* names have A 203.0.113.7 / AAAA 2001:db8::7, nodata* names exist
// without addresses, fail* names SERVFAIL, other names do not exist; any other type gets a
// TXT "upstream" record, so tests can tell it answered.
class StubUpstream final : public cxxdns::Plugin {
 public:
  std::string_view name() const override { return "forward"; }
  cxxdns::Verdict serve(cxxdns::QueryContext& ctx) override {
    using namespace cxxdns::dns;
    const QueryView& q = ctx.q();
    std::string_view n = ctx.qname_text();
    bool a_or_aaaa = q.qtype == type::A || q.qtype == type::AAAA;
    if (a_or_aaaa && n.starts_with("fail")) return ctx.reply_rcode(rcode::SERVFAIL);
    bool exists = n.starts_with("real") || n.starts_with("nodata");
    if (a_or_aaaa && !exists) return ctx.reply_rcode(rcode::NXDOMAIN);
    MessageWriter w(ctx.writable_response());
    w.start_reply(q, rcode::NOERROR, false);
    static const uint8_t v4[4] = {203, 0, 113, 7};
    static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
    if (q.qtype == type::A && n.starts_with("real")) {
      w.a(q.qname, 60, v4);
    } else if (q.qtype == type::AAAA && n.starts_with("real")) {
      w.aaaa(q.qname, 60, v6);
    } else if (!a_or_aaaa) {
      w.begin_rr(q.qname, type::TXT, cls::IN, 60);
      w.rd_text("upstream");
      w.end_rr();
    }
    return ctx.reply();
  }
};

const cxxdns::Registry& registry() {
  static cxxdns::Registry r = [] {
    cxxdns::Registry r;
    for (const char* n : {"hosts", "fakeip"}) r.add(n, *cxxdns::plugins::builtin().find(n));
    r.add("forward", [](cxxdns::SetupContext&) -> std::unique_ptr<cxxdns::Plugin> {
      return std::make_unique<StubUpstream>();
    });
    return r;
  }();
  return r;
}

cxxdns::BuildOptions opts() {
  cxxdns::BuildOptions o;
  o.registry = &registry();
  return o;
}

cxxdns::plugins::Fakeip& fakeip(ChainTest& t) {
  for (auto* p : t.config().plugins()) {
    if (auto* f = dynamic_cast<cxxdns::plugins::Fakeip*>(p)) return *f;
  }
  FAIL("no fakeip plugin");
  throw 0;
}

const std::string kUpstreamTxt = "\tIN\tTXT\t\"upstream\"";

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/fakeip-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("fakeip answers A with a stable fake address", "[fakeip]") {
  ChainTest t(". { fakeip\n forward .\n}", opts());
  auto a = t.query("www.example.com.", "A");
  CHECK(a.rcode == "NOERROR");
  CHECK(a.aa());
  REQUIRE(a.answer.size() == 1);
  CHECK(a.answer[0] == "www.example.com.\t1\tIN\tA\t198.18.0.1");
  CHECK(a.authority.empty());
  auto b = t.query("other.example.com.", "A");
  REQUIRE(b.answer.size() == 1);
  CHECK(b.answer[0] == "other.example.com.\t1\tIN\tA\t198.18.0.2");
  // Same name, other case: same address, the query's spelling in the answer.
  auto c = t.query("WWW.Example.COM.", "A");
  REQUIRE(c.answer.size() == 1);
  CHECK(c.answer[0] == "WWW.Example.COM.\t1\tIN\tA\t198.18.0.1");
  auto& f = fakeip(t);
  CHECK(f.allocations_total() == 2);
  CHECK(f.pool_used() == 2);
  CHECK(f.recycled_total() == 0);
}

TEST_CASE("fakeip AAAA: NODATA without range6, fake with it", "[fakeip]") {
  ChainTest t(". { fakeip\n forward .\n}", opts());
  auto a = t.query("www.example.com.", "AAAA");
  CHECK(a.rcode == "NOERROR");
  CHECK(a.aa());
  CHECK(a.answer.empty());
  CHECK(a.authority.empty());

  ChainTest t6(". { fakeip {\n range 10.0.0.0/24\n range6 fc00::/18\n ttl 30\n }\n forward .\n}",
               opts());
  auto b = t6.query("www.example.com.", "AAAA");
  REQUIRE(b.answer.size() == 1);
  CHECK(b.answer[0] == "www.example.com.\t30\tIN\tAAAA\tfc00::1");
  auto c = t6.query("www.example.com.", "A");
  REQUIRE(c.answer.size() == 1);
  CHECK(c.answer[0] == "www.example.com.\t30\tIN\tA\t10.0.0.1");
  auto d =
      t6.query("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.f.ip6.arpa.", "PTR");
  REQUIRE(d.answer.size() == 1);
  CHECK_THAT(d.answer[0], Contains("\tPTR\twww.example.com."));
}

TEST_CASE("fakeip passes other types and names outside its zones on", "[fakeip]") {
  ChainTest t(". { fakeip example.com\n forward .\n}", opts());
  auto mx = t.query("www.example.com.", "MX");
  REQUIRE(mx.answer.size() == 1);
  CHECK_THAT(mx.answer[0], Contains(kUpstreamTxt));
  auto out = t.query("real.example.org.", "A");
  REQUIRE(out.answer.size() == 1);
  CHECK(out.answer[0] == "real.example.org.\t60\tIN\tA\t203.0.113.7");
  auto in = t.query("real.example.com.", "A");
  REQUIRE(in.answer.size() == 1);
  CHECK(in.answer[0] == "real.example.com.\t1\tIN\tA\t198.18.0.1");
}

TEST_CASE("fakeip filtered names go to the next plugin", "[fakeip]") {
  ChainTest t(". { fakeip {\n filter real.lan *.real.one +.real.all .real.below\n }\n forward .\n}",
              opts());
  auto& f = fakeip(t);
  for (const char* n :
       {"real.lan.", "realx.real.one.", "real.all.", "realy.x.real.all.", "realz.real.below."}) {
    INFO(n);
    auto a = t.query(n, "A");
    REQUIRE(a.answer.size() == 1);
    CHECK_THAT(a.answer[0], Contains("203.0.113.7"));
  }
  CHECK(f.filtered_total() == 5);
  for (const char* n : {"x.real.lan.", "a.b.real.one.", "real.below."}) {
    INFO(n);
    auto a = t.query(n, "A");
    REQUIRE(a.answer.size() == 1);
    CHECK_THAT(a.answer[0], Contains("\t1\tIN\tA\t198.18."));
  }
  CHECK(f.filtered_total() == 5);
  CHECK(f.allocations_total() == 3);
}

TEST_CASE("fakeip filter_file", "[fakeip]") {
  TempDir d;
  {
    std::ofstream(d.path / "filter.txt")
        << "# local names\n\n+.lan   # the LAN\n  real.example.com\n";
  }
  ChainTest t(
      ". { fakeip {\n filter_file " + (d.path / "filter.txt").string() + "\n }\n forward .\n}",
      opts());
  CHECK_THAT(t.query("realbox.lan.", "A").answer.at(0), Contains("203.0.113.7"));
  CHECK_THAT(t.query("real.example.com.", "A").answer.at(0), Contains("203.0.113.7"));
  CHECK_THAT(t.query("realx.example.com.", "A").answer.at(0), Contains("198.18.0.1"));
}

TEST_CASE("fakeip PTR: mapped, unmapped, outside the pool", "[fakeip]") {
  ChainTest t(". { fakeip\n forward .\n}", opts());
  t.query("www.example.com.", "A");
  auto m = t.query("1.0.18.198.in-addr.arpa.", "PTR");
  CHECK(m.rcode == "NOERROR");
  CHECK(m.aa());
  REQUIRE(m.answer.size() == 1);
  CHECK(m.answer[0] == "1.0.18.198.in-addr.arpa.\t1\tIN\tPTR\twww.example.com.");
  auto u = t.query("9.0.18.198.in-addr.arpa.", "PTR");
  CHECK(u.rcode == "NXDOMAIN");
  CHECK(u.answer.empty());
  auto o = t.query("1.0.0.10.in-addr.arpa.", "PTR");
  REQUIRE(o.answer.size() == 1);
  CHECK_THAT(o.answer[0], Contains(kUpstreamTxt));
  // Network and broadcast addresses are never mapped.
  CHECK(t.query("0.0.18.198.in-addr.arpa.", "PTR").rcode == "NXDOMAIN");
  CHECK(t.query("255.255.19.198.in-addr.arpa.", "PTR").rcode == "NXDOMAIN");
}

namespace {
uint64_t g_now_ns = 0;
uint64_t test_clock() {
  return g_now_ns;
}
constexpr uint64_t kSec = 1000000000ull;
}  // namespace

TEST_CASE("fakeip recycles only an address unused for ttl + grace", "[fakeip]") {
  ChainTest t(". { fakeip {\n range 10.9.0.0/29\n grace 10s\n }\n forward .\n}", opts());
  auto& f = fakeip(t);
  f.set_clock(&test_clock);
  g_now_ns = 1000 * kSec;
  for (int i = 1; i <= 6; ++i) {
    auto a = t.query("n" + std::to_string(i) + ".example.", "A");
    REQUIRE(a.answer.size() == 1);
    CHECK_THAT(a.answer[0], Contains("\tA\t10.9.0." + std::to_string(i)));
  }
  g_now_ns = 1005 * kSec;
  t.query("n1.example.", "A");  // n1 handed out again: n2 is the oldest now
  // Full, and every address was handed out within ttl (1 s) + grace (10 s): a new name gets
  // SERVFAIL, never another name's address.
  auto a = t.query("n7.example.", "A");
  CHECK(a.rcode == "SERVFAIL");
  CHECK(f.exhausted_total() == 1);
  CHECK_THAT(t.query("2.0.9.10.in-addr.arpa.", "PTR").answer.at(0), Contains("PTR\tn2.example."));
  // The PTR lookup at 1005 used n2: at 1012 it is still protected, n3 (1000) is not.
  g_now_ns = 1012 * kSec;
  a = t.query("n7.example.", "A");
  REQUIRE(a.answer.size() == 1);
  CHECK(a.answer[0] == "n7.example.\t1\tIN\tA\t10.9.0.3");
  CHECK_THAT(t.query("3.0.9.10.in-addr.arpa.", "PTR").answer.at(0), Contains("PTR\tn7.example."));
  CHECK(t.query("n1.example.", "A").answer.at(0) == "n1.example.\t1\tIN\tA\t10.9.0.1");
  CHECK(f.recycled_total() == 1);
  CHECK(f.allocations_total() == 7);
  CHECK(f.pool_used() == 6);
}

TEST_CASE("fakeip rate-limits new names per client address", "[fakeip]") {
  ChainTest t(". { fakeip {\n rate_limit 1 3\n }\n forward .\n}", opts());
  auto& f = fakeip(t);
  f.set_clock(&test_clock);
  g_now_ns = 5000 * kSec;
  cxxdns::testing::QueryOptions flood, other;
  flood.client_ip = "10.1.1.1";
  other.client_ip = "10.1.1.2";
  for (int i = 0; i < 3; ++i) {
    CHECK(t.query("f" + std::to_string(i) + ".example.", "A", flood).rcode == "NOERROR");
  }
  CHECK(t.query("f3.example.", "A", flood).rcode == "SERVFAIL");  // burst of 3 spent
  CHECK(t.query("f0.example.", "A", flood).rcode == "NOERROR");   // known names still answer
  CHECK(t.query("o0.example.", "A", other).rcode == "NOERROR");   // others have their own
  CHECK(f.rate_limited_total() == 1);
  g_now_ns += kSec;  // one more a second
  CHECK(t.query("f3.example.", "A", flood).rcode == "NOERROR");
  CHECK(t.query("f4.example.", "A", flood).rcode == "SERVFAIL");
}

TEST_CASE("fakeip fallthrough", "[fakeip]") {
  ChainTest t(". { fakeip {\n fallthrough example.org\n }\n forward .\n}", opts());
  // AAAA without range6: in the fallthrough zones, the next plugin answers.
  auto a = t.query("real.example.org.", "AAAA");
  REQUIRE(a.answer.size() == 1);
  CHECK_THAT(a.answer[0], Contains("2001:db8::7"));
  auto b = t.query("real.example.com.", "AAAA");
  CHECK(b.rcode == "NOERROR");
  CHECK(b.answer.empty());

  ChainTest all(". { fakeip {\n fallthrough\n }\n forward .\n}", opts());
  auto p = all.query("9.0.18.198.in-addr.arpa.", "PTR");
  REQUIRE(p.answer.size() == 1);
  CHECK_THAT(p.answer[0], Contains(kUpstreamTxt));
}

TEST_CASE("fakeip verify fakes only names that exist upstream", "[fakeip]") {
  ChainTest t(". { fakeip {\n range6 fc00::/18\n verify\n }\n forward .\n}", opts());
  auto& f = fakeip(t);
  auto a = t.query("real.example.com.", "A");
  CHECK(a.rcode == "NOERROR");
  CHECK(a.aa());
  REQUIRE(a.answer.size() == 1);
  CHECK(a.answer[0] == "real.example.com.\t1\tIN\tA\t198.18.0.1");
  auto a6 = t.query("real.example.com.", "AAAA");
  REQUIRE(a6.answer.size() == 1);
  CHECK(a6.answer[0] == "real.example.com.\t1\tIN\tAAAA\tfc00::1");
  // The search-expanded name that does not exist keeps its NXDOMAIN.
  auto nx = t.query("www.example.com.corp.example.", "A");
  CHECK(nx.rcode == "NXDOMAIN");
  CHECK(nx.answer.empty());
  auto nd = t.query("nodata.example.com.", "A");
  CHECK(nd.rcode == "NOERROR");
  CHECK(nd.answer.empty());
  CHECK(t.query("fail.example.com.", "A").rcode == "SERVFAIL");
  CHECK(f.allocations_total() == 2);
  CHECK(f.pool_used() == 2);
}

TEST_CASE("fakeip verify without range6: existing names get NODATA for AAAA", "[fakeip]") {
  ChainTest t(". { fakeip {\n verify\n }\n forward .\n}", opts());
  auto a = t.query("real.example.com.", "AAAA");
  CHECK(a.rcode == "NOERROR");
  CHECK(a.answer.empty());  // the real IPv6 address would bypass the gateway
  CHECK(t.query("gone.example.com.", "AAAA").rcode == "NXDOMAIN");
}

TEST_CASE("fakeip after hosts: hosts names are never faked", "[fakeip]") {
  ChainTest t(". { hosts {\n 192.168.1.10 nas.lan\n fallthrough\n }\n fakeip\n forward .\n}",
              opts());
  CHECK(t.query("nas.lan.", "A").answer.at(0) == "nas.lan.\t3600\tIN\tA\t192.168.1.10");
  CHECK(t.query("www.example.com.", "A").answer.at(0) == "www.example.com.\t1\tIN\tA\t198.18.0.1");
}

TEST_CASE("fakeip persist keeps the mapping across restarts", "[fakeip]") {
  TempDir d;
  std::string file = (d.path / "fakeip.map").string();
  std::string cf = ". { fakeip {\n range 10.7.0.0/24\n persist " + file + "\n }\n forward .\n}";
  {
    ChainTest t(cf, opts());
    t.query("a.example.", "A");
    t.query("b.example.", "A");
    t.query("c.example.", "A");
    t.run_for(std::chrono::milliseconds(1300));  // the debounce timer writes it
    CHECK_THAT(slurp(file), Contains("10.7.0.3 c.example."));
    t.query("a.example.", "A");  // a is now the most recently used
  }
  // stop() wrote the last change; no temp file is left behind.
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(d.path)) ++files, (void)e;
  CHECK(files == 1);
  ChainTest t(cf, opts());
  CHECK(fakeip(t).pool_used() == 3);
  CHECK(t.query("c.example.", "A").answer.at(0) == "c.example.\t1\tIN\tA\t10.7.0.3");
  CHECK(t.query("a.example.", "A").answer.at(0) == "a.example.\t1\tIN\tA\t10.7.0.1");
  CHECK(t.query("3.0.7.10.in-addr.arpa.", "PTR").answer.at(0) ==
        "3.0.7.10.in-addr.arpa.\t1\tIN\tPTR\tc.example.");
  CHECK(t.query("d.example.", "A").answer.at(0) == "d.example.\t1\tIN\tA\t10.7.0.4");
}

TEST_CASE("fakeip persist: a damaged file is ignored", "[fakeip]") {
  TempDir d;
  std::string file = (d.path / "fakeip.map").string();
  std::string cf = ". { fakeip {\n range 10.7.0.0/24\n persist " + file + "\n }\n forward .\n}";
  for (const char* content :
       {"10.7.0.5 x.example.\n{\"json\": true}\n", "10.7.0.5 x.example.\n10.8.0.1 y.example.\n",
        "10.7.0.5 x.example.\n10.7.0.255 y.example.\n"}) {
    INFO(content);
    { std::ofstream(file) << content; }
    ChainTest t(cf, opts());
    CHECK(fakeip(t).pool_used() == 0);
    CHECK(t.query("9.0.7.10.in-addr.arpa.", "PTR").rcode == "NXDOMAIN");
    CHECK(t.query("5.0.7.10.in-addr.arpa.", "PTR").rcode == "NXDOMAIN");
    CHECK(t.query("z.example.", "A").answer.at(0) == "z.example.\t1\tIN\tA\t10.7.0.1");
  }
}

TEST_CASE("fakeip persist: a log where later lines win, a cut last line ignored", "[fakeip]") {
  TempDir d;
  std::string file = (d.path / "fakeip.map").string();
  std::string cf = ". { fakeip {\n range 10.7.0.0/24\n persist " + file + "\n }\n forward .\n}";
  // x moved from .5 to .6; .6 then went to y (x lost it); z's line was cut short.
  {
    std::ofstream(file) << "10.7.0.5 x.example.\n10.7.0.6 x.example.\n10.7.0.6 y.example.\n"
                           "10.7.0.9 z.exa";
  }
  ChainTest t(cf, opts());
  CHECK(fakeip(t).pool_used() == 1);
  CHECK(t.query("6.0.7.10.in-addr.arpa.", "PTR").answer.at(0) ==
        "6.0.7.10.in-addr.arpa.\t1\tIN\tPTR\ty.example.");
  CHECK(t.query("5.0.7.10.in-addr.arpa.", "PTR").rcode == "NXDOMAIN");
  CHECK(t.query("9.0.7.10.in-addr.arpa.", "PTR").rcode == "NXDOMAIN");
}

TEST_CASE("fakeip persist: new mappings are appended, not the file rewritten", "[fakeip]") {
  TempDir d;
  std::string file = (d.path / "fakeip.map").string();
  std::string cf =
      ". { fakeip {\n range 10.7.0.0/16\n persist " + file + "\n rate_limit 0\n }\n forward .\n}";
  ChainTest t(cf, opts());
  for (int i = 0; i < 600; ++i) t.query("a" + std::to_string(i) + ".example.", "A");
  t.run_for(std::chrono::milliseconds(1300));
  std::string first = slurp(file);
  REQUIRE_THAT(first, Contains("a599.example."));
  struct stat st1 {};
  REQUIRE(::stat(file.c_str(), &st1) == 0);
  for (int i = 0; i < 10; ++i) t.query("b" + std::to_string(i) + ".example.", "A");
  t.run_for(std::chrono::milliseconds(1300));
  struct stat st2 {};
  REQUIRE(::stat(file.c_str(), &st2) == 0);
  CHECK(st2.st_ino == st1.st_ino);  // the same file, appended to (a rewrite renames a new one)
  std::string second = slurp(file);
  CHECK(second.substr(0, first.size()) == first);
  CHECK_THAT(second.substr(first.size()), Contains("b9.example."));
  CHECK(std::count(second.begin(), second.end(), '\n') == 610);  // one line a mapping
}

TEST_CASE("fakeip persist: the appended file is compacted, never unbounded", "[fakeip]") {
  TempDir d;
  std::string file = (d.path / "fakeip.map").string();
  std::string cf = ". { fakeip {\n range 10.7.0.0/24\n persist " + file +
                   "\n grace 0s\n ttl 0\n rate_limit 0\n }\n forward .\n}";
  {
    ChainTest t(cf, opts());
    fakeip(t).set_clock(&test_clock);
    for (int batch = 0; batch < 8; ++batch) {
      g_now_ns = (7000 + batch) * kSec;
      for (int i = 0; i < 500; ++i) t.query("c" + std::to_string(batch * 500 + i) + ".x.", "A");
      t.run_for(std::chrono::milliseconds(1100));
      // 254 mappings: the file never holds more than twice that, plus 1024, plus a batch.
      std::string text = slurp(file);
      CHECK(std::count(text.begin(), text.end(), '\n') <= 2 * 254 + 1024 + 500 + 1);
    }
    CHECK(fakeip(t).recycled_total() == 4000 - 254);
  }
  ChainTest t(cf, opts());
  CHECK(fakeip(t).pool_used() == 254);
  CHECK(t.query("c3999.x.", "A").rcode == "NOERROR");
}

TEST_CASE("fakeip setup errors", "[fakeip]") {
  auto err = [](const std::string& body) {
    try {
      ChainTest t(". {\n fakeip {\n" + body + "\n }\n}", opts());
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(
      err(" range 198.18.0.0"),
      Contains("plugin/fakeip: Corefile:3 - Error during parsing") && Contains("not a CIDR"));
  CHECK_THAT(err(" range 10.0.0.0/31"), Contains("Corefile:3") && Contains("2 usable"));
  CHECK_THAT(err(" range 10.0.0.0/30"), Equals("no error"));
  CHECK_THAT(err(" range fc00::/18"), Contains("Corefile:3") && Contains("IPv4"));
  CHECK_THAT(err(" range6 10.0.0.0/8"), Contains("Corefile:3") && Contains("IPv6"));
  CHECK_THAT(err(" range6 fc00::/127"), Contains("2 usable"));
  CHECK_THAT(err(" ttl 1\n filter ok.example *bad.example"),
             Contains("Corefile:4") && Contains("*bad.example"));
  CHECK_THAT(err(" verify yes"), Contains("Corefile:3"));
  CHECK_THAT(err(" bogus"), Contains("unknown property 'bogus'"));
  CHECK_THAT(err(" filter_file /nonexistent/fakeip-filter"), Contains("Corefile:3"));

  TempDir d;
  { std::ofstream(d.path / "f.txt") << "good.example\n\n+.\n"; }
  CHECK_THAT(err(" filter_file " + (d.path / "f.txt").string()),
             Contains("Corefile:3") && Contains("f.txt:3"));
}
