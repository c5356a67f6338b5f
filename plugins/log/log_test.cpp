// log: one line per query on standard output, in CoreDNS's formats, for the names and
// response classes asked for.
#include <catch2/catch.hpp>

#include <regex>

#include "core/dns/constants.h"
#include "core/dns/writer.h"
#include "core/plugin/setup.h"
#include "core/plugin/testing.h"
#include "plugins/builtin.h"

using cxxdns::testing::ChainTest;
using cxxdns::testing::QueryOptions;
using cxxdns::testing::stdout_lines;
namespace dns = cxxdns::dns;

namespace {

// The first label of the query name, lower-case: what the scripted upstream answers by.
std::string first_label(const cxxdns::QueryContext& ctx) {
  const auto& n = ctx.q().qname_lower;
  return std::string(reinterpret_cast<const char*>(n.data + 1), n.data[0]);
}

void soa(dns::MessageWriter& w) {
  dns::Name zone, mname, rname;
  dns::from_text("example.org.", zone);
  dns::from_text("ns1.example.org.", mname);
  dns::from_text("hostmaster.example.org.", rname);
  w.section(dns::Section::authority);
  w.begin_rr(zone, dns::type::SOA, dns::cls::IN, 300);
  w.rd_name(mname);
  w.rd_name(rname);
  for (uint32_t v : {2024010101u, 7200u, 3600u, 1209600u, 300u}) w.rd_u32(v);
  w.end_rr();
}

// Answers by the first label: ok (one A), big (40 A: more than 512 bytes), nx (NXDOMAIN and
// SOA), nodata (NOERROR, SOA), fail (SERVFAIL), refused (REFUSED).
void scripted_answer(cxxdns::QueryContext& ctx) {
  const std::string label = first_label(ctx);
  uint8_t rcode = dns::rcode::NOERROR;
  if (label == "nx") rcode = dns::rcode::NXDOMAIN;
  if (label == "fail") rcode = dns::rcode::SERVFAIL;
  if (label == "refused") rcode = dns::rcode::REFUSED;
  dns::MessageWriter w(ctx.writable_response());
  w.start_reply(ctx.q(), rcode, true);
  if (label == "ok" || label == "big") {
    for (uint8_t i = 0; i < (label == "big" ? 40 : 1); ++i) {
      const uint8_t addr[4] = {10, 0, 0, i};
      w.a(ctx.q().qname, 60, addr);
    }
  }
  if (label == "nx" || label == "nodata") soa(w);
}

// The built-in plugins plus `next` right after log: the scripted upstream.
const cxxdns::Registry& registry() {
  static const cxxdns::Registry r =
      cxxdns::testing::with_next_handler(cxxdns::plugins::builtin(), "log", "next", [] {
        auto h = std::make_unique<cxxdns::testing::NextHandler>();
        h->write = scripted_answer;
        return h;
      });
  return r;
}

cxxdns::BuildOptions scripted() {
  cxxdns::BuildOptions o;
  o.registry = &registry();
  return o;
}

// The lines `log_block` (the log directive and its block) prints for each name, queried
// for A in turn.
std::vector<std::string> logged(const std::string& log_block,
                                const std::vector<std::string>& names) {
  ChainTest t(". {\n  " + log_block + "\n  next\n}\n", scripted());
  return stdout_lines([&] {
    for (auto& n : names) t.query(n, "A");
  });
}

std::string setup_error(const std::string& log_block) {
  try {
    ChainTest t(". {\n  " + log_block + "\n  next\n}\n", scripted());
  } catch (const cxxdns::SetupError& e) {
    return e.what();
  }
  return "no error";
}

const std::vector<std::string> kEveryClass = {"ok.example.org.", "nx.example.org.",
                                              "nodata.example.org.", "fail.example.org.",
                                              "refused.example.org."};

}  // namespace

TEST_CASE("log: the default is CoreDNS's common log format", "[log]") {
  ChainTest t(". {\n  log\n  whoami\n}\n");
  QueryOptions o;
  o.client_ip = "10.1.2.3";
  o.client_port = 5353;
  cxxdns::testing::Answer a;
  auto lines = stdout_lines([&] { a = t.query("Example.ORG.", "A", o); });
  REQUIRE(a.rcode == "NOERROR");
  REQUIRE(lines.size() == 1);
  // The name lower-case (request.Name()); 29 bytes of query; no EDNS: do false, bufsize 512.
  std::smatch m;
  REQUIRE(
      std::regex_match(lines[0], m,
                       std::regex(R"(\[INFO\] 10\.1\.2\.3:5353 - 4660 "A IN example\.org\. )"
                                  R"(udp 29 false 512" NOERROR qr,aa,rd (\d+) (\d+(\.\d+)?)s)")));
  CHECK(std::stoul(m[1]) == a.wire.size());
  CHECK(std::stod(m[2]) < 5.0);  // seconds, as Go's FormatFloat
}

TEST_CASE("log: IPv6 client in brackets, TCP size 65535, EDNS size and DO bit", "[log]") {
  ChainTest t(". {\n  log\n  whoami\n}\n");
  QueryOptions o;
  o.client_ip = "fd00::7";
  o.client_port = 40001;
  o.id = 7;
  o.tcp = true;
  o.bufsize = 1232;
  o.do_bit = true;
  QueryOptions udp = o;
  udp.tcp = false;
  udp.client_ip = "192.0.2.1";
  auto lines = stdout_lines([&] {
    t.query("example.org.", "AAAA", o);
    t.query("example.org.", "MX", udp);
  });
  REQUIRE(lines.size() == 2);
  // 29 bytes of question and header plus an 11-byte OPT record.
  CHECK(std::regex_match(lines[0], std::regex(R"(\[INFO\] \[fd00::7\]:40001 - 7 "AAAA IN )"
                                              R"(example\.org\. tcp 40 true 65535" NOERROR )"
                                              R"(qr,aa,rd \d+ [0-9.]+s)")));
  CHECK(std::regex_match(lines[1], std::regex(R"(\[INFO\] 192\.0\.2\.1:40001 - 7 "MX IN )"
                                              R"(example\.org\. udp 40 true 1232" NOERROR )"
                                              R"(qr,aa,rd \d+ [0-9.]+s)")));
}

TEST_CASE("log: {combined} is the common format plus the quoted opcode", "[log]") {
  ChainTest t(". {\n  log . {combined}\n  whoami\n}\n");
  auto lines = stdout_lines([&] { t.query("example.org.", "A"); });
  REQUIRE(lines.size() == 1);
  // As CoreDNS's CombinedLogFormat: CommonLogFormat + ` "{>opcode}"`.
  CHECK(std::regex_match(lines[0], std::regex(R"(\[INFO\] 127\.0\.0\.1:40000 - 4660 "A IN )"
                                              R"(example\.org\. udp 29 false 512" NOERROR )"
                                              R"(qr,aa,rd \d+ [0-9.]+s "0")")));
}

TEST_CASE("log: a custom format, and every placeholder", "[log]") {
  ChainTest t(". {\n  log . \"{proto} Request: {name} {type} {>id}\"\n  whoami\n}\n");
  auto lines = stdout_lines([&] { t.query("www.example.org.", "TXT"); });
  CHECK(lines == std::vector<std::string>{"[INFO] udp Request: www.example.org. TXT 4660"});

  ChainTest all(
      ". {\n  log . "
      "\"{type}|{name}|{class}|{proto}|{remote}|{local}|{size}|{port}|{rcode}|{>rflags}|"
      "{>bufsize}|{>do}|{>id}|{>opcode}|{/kubernetes/pod}|{>explain}|{rsize}\"\n  whoami\n}\n");
  QueryOptions o;
  o.client_ip = "10.9.8.7";
  o.client_port = 1111;
  o.id = 99;
  o.cd = true;
  cxxdns::testing::Answer a;
  lines = stdout_lines([&] { a = all.query("A.Example.", "SRV", o); });
  // {local} and metadata labels are not tracked: "-"; explain was not asked for: "-".
  CHECK(lines == std::vector<std::string>{
                     "[INFO] SRV|a.example.|IN|udp|10.9.8.7|-|27|1111|NOERROR|qr,aa,rd,cd|512|"
                     "false|99|0|-|-|" +
                     std::to_string(a.wire.size())});
}

TEST_CASE("log: only names under the given zones, the first matching rule", "[log]") {
  ChainTest t(R"(. {
    log sub.example.org "first {name}"
    log example.org example.net "second {name} {type}"
    whoami
})");
  std::vector<std::string> rcodes;
  auto lines = stdout_lines([&] {
    for (const char* n : {"x.sub.example.org.", "Y.example.org.", "example.net.", "example.com.",
                          "sub.example.org.", "notexample.org."}) {
      rcodes.push_back(t.query(n, "A").rcode);
    }
  });
  CHECK(lines == std::vector<std::string>{
                     "[INFO] first x.sub.example.org.",
                     "[INFO] second y.example.org. A",
                     "[INFO] second example.net. A",
                     "[INFO] first sub.example.org.",
                 });
  // Names no rule covers are answered all the same.
  CHECK(rcodes == std::vector<std::string>(6, "NOERROR"));
}

TEST_CASE("log: class picks the responses logged", "[log]") {
  const std::string format = "log . \"{name} {rcode}\" {\n    class ";
  CHECK(logged(format + "denial\n  }", kEveryClass) ==
        std::vector<std::string>{"[INFO] nx.example.org. NXDOMAIN",
                                 "[INFO] nodata.example.org. NOERROR"});
  CHECK(logged(format + "error\n  }", kEveryClass) ==
        std::vector<std::string>{"[INFO] fail.example.org. SERVFAIL",
                                 "[INFO] refused.example.org. REFUSED"});
  CHECK(logged(format + "success\n  }", kEveryClass) ==
        std::vector<std::string>{"[INFO] ok.example.org. NOERROR"});
  const std::vector<std::string> denial_error = {
      "[INFO] nx.example.org. NXDOMAIN", "[INFO] nodata.example.org. NOERROR",
      "[INFO] fail.example.org. SERVFAIL", "[INFO] refused.example.org. REFUSED"};
  CHECK(logged(format + "denial error\n  }", kEveryClass) == denial_error);
  // Several class lines add up.
  CHECK(logged(format + "denial\n    class error\n  }", kEveryClass) == denial_error);
  CHECK(logged(format + "all\n  }", kEveryClass).size() == 5);
  CHECK(logged(format + "denial all\n  }", kEveryClass).size() == 5);
  CHECK(logged("log . \"{name} {rcode}\"", kEveryClass).size() == 5);
}

TEST_CASE("log: minDuration also logs answers slower than it, whatever their class", "[log]") {
  // No query takes an hour: with minDuration alone nothing is logged.
  CHECK(logged("log . \"{name}\" {\n    minDuration 1h\n  }", kEveryClass).empty());
  CHECK(logged("log . \"{name}\" {\n    class denial\n    minDuration 1h\n  }", kEveryClass) ==
        std::vector<std::string>{"[INFO] nx.example.org.", "[INFO] nodata.example.org."});
  // Every query takes more than a nanosecond: every one is logged.
  CHECK(logged("log . \"{name}\" {\n    class denial\n    minDuration 1ns\n  }", kEveryClass)
            .size() == 5);
}

TEST_CASE("log: rsize is the answer's size before truncation to the client's buffer", "[log]") {
  ChainTest t(". {\n  log . \"{rsize} {>rflags}\"\n  next\n}\n", scripted());
  cxxdns::testing::Answer a;
  auto lines = stdout_lines([&] { a = t.query("big.example.org.", "A"); });
  REQUIRE(a.tc());
  REQUIRE(a.wire.size() <= 512);
  REQUIRE(lines.size() == 1);
  std::smatch m;
  REQUIRE(std::regex_match(lines[0], m, std::regex(R"(\[INFO\] (\d+) qr,aa,rd)")));
  // 40 A records of 16 bytes each after the 37-byte question: as the chain wrote it.
  CHECK(std::stoul(m[1]) == 12 + 17 + 4 + 40 * 16);
}

TEST_CASE("log: accepted Corefiles", "[log]") {
  for (const char* ok : {"log", "log example.org", "log example.org. {common}",
                         "log example.org example.net {combined}", "log {\n    class all\n  }",
                         "log example.org {common} {\n    class denial\n  }",
                         "log {\n    class denial error\n    minDuration 10ms\n  }",
                         "log example.org\n  log example.net \"{name}\""}) {
    CAPTURE(ok);
    CHECK(setup_error(ok) == "no error");
  }
}

TEST_CASE("log: refused Corefiles name file:line", "[log]") {
  const std::string e = "plugin/log: Corefile:3 - Error during parsing: ";
  CHECK(setup_error("log {\n    class abracadabra\n  }") == e + "unknown class: abracadabra");
  CHECK(setup_error("log {\n    class\n  }") ==
        e + "Wrong argument count or unexpected line ending after 'class'");
  CHECK(setup_error("log {\n    unknown\n  }") == e + "unknown property 'unknown'");
  CHECK(setup_error("log {\n    minDuration\n  }") ==
        e + "Wrong argument count or unexpected line ending after 'minDuration'");
  CHECK(setup_error("log {\n    minDuration 1s 2s\n  }") ==
        e + "Wrong argument count or unexpected line ending after 'minDuration'");
  CHECK(setup_error("log {\n    minDuration soon\n  }") == e + "invalid duration 'soon'");
}
