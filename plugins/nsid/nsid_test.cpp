// nsid: the NSID option in answers to queries that ask for it, as CoreDNS's nsid.
#include <catch2/catch.hpp>

#include <unistd.h>

#include "core/dns/constants.h"
#include "core/dns/message.h"
#include "core/dns/shape.h"
#include "core/dns/writer.h"
#include "core/plugin/setup.h"
#include "core/plugin/testing.h"
#include "plugins/builtin.h"
#include "plugins/nsid/nsid.h"

using cxxdns::testing::ChainTest;
using cxxdns::testing::NextHandler;
using cxxdns::testing::QueryOptions;
namespace dns = cxxdns::dns;

namespace {

std::string setup_error(const std::string& lines) {
  try {
    ChainTest t(". {\n  " + lines + "\n  whoami\n}\n");
  } catch (const cxxdns::SetupError& e) {
    return e.what();
  }
  return "no error";
}

std::string data_of(const std::string& line) {
  ChainTest t(". {\n  " + line + "\n  whoami\n}\n");
  return dynamic_cast<cxxdns::plugins::Nsid&>(*t.plugin("nsid")).data();
}

// A query with EDNS (4096) whose OPT record carries an empty NSID option when `ask`.
std::vector<uint8_t> query(const std::string& name, bool ask = true, uint16_t id = 0x1234) {
  QueryOptions o;
  o.bufsize = 4096;
  o.id = id;
  auto wire = cxxdns::testing::make_query(name, dns::type::A, o);
  if (ask) {
    const uint8_t option[4] = {0, 3, 0, 0};
    wire.insert(wire.end(), option, option + 4);
    dns::put16(wire.data() + wire.size() - 6, 4);  // the OPT's RDLENGTH
  }
  return wire;
}

// The options of the answer's OPT record: code -> data; `opts` empty when it has none.
struct Opt {
  bool present = false;
  uint16_t udp_size = 0;
  bool do_bit = false;
  std::vector<std::pair<uint16_t, std::string>> options;
};

Opt opt_of(const std::vector<uint8_t>& msg) {
  Opt o;
  REQUIRE(dns::walk_records(msg, [&](const dns::RecordRef& r) {
    if (r.type != dns::type::OPT) return true;
    o.present = true;
    o.udp_size = r.klass;
    o.do_bit = (r.ttl & dns::kEdnsDoBit) != 0;
    size_t pos = r.rdata_offset;
    while (pos + 4 <= r.rdata_offset + r.rdata_len) {
      uint16_t len = dns::get16(&msg[pos + 2]);
      o.options.emplace_back(dns::get16(&msg[pos]),
                             std::string(reinterpret_cast<const char*>(&msg[pos + 4]), len));
      pos += 4 + len;
    }
    return true;
  }));
  return o;
}

std::string host_name() {
  char buf[256] = {0};
  gethostname(buf, sizeof buf - 1);
  return buf[0] ? buf : "localhost";
}

// A chain of nsid and a stand-in after it that writes what `write` puts in the answer.
struct Fixture {
  cxxdns::Registry reg;
  std::unique_ptr<ChainTest> t;
  NextHandler* next = nullptr;

  Fixture(const std::string& corefile, std::function<void(cxxdns::QueryContext&)> write) {
    reg =
        cxxdns::testing::with_next_handler(cxxdns::plugins::builtin(), "whoami", "next", [=, this] {
          auto h = std::make_unique<NextHandler>();
          h->write = write;
          next = h.get();
          return h;
        });
    cxxdns::BuildOptions o;
    o.registry = &reg;
    t = std::make_unique<ChainTest>(corefile, o);
  }
};

}  // namespace

TEST_CASE("nsid: setup, the host's name by default, once per block", "[nsid]") {
  CHECK(data_of("nsid") == host_name());
  CHECK(data_of("nsid \"ps0\"") == "ps0");
  CHECK(data_of("nsid worker1") == "worker1");
  CHECK(data_of("nsid \"tf 2\"") == "tf 2");
  CHECK(data_of("nsid Use The Force") == "Use The Force");
  CHECK(setup_error("nsid\n  nsid") ==
        "plugin/nsid: Corefile:3 - Error during parsing: this plugin can only be used once per "
        "Server Block");
}

TEST_CASE("nsid: an answer to a query asking for it carries the option (whoami)", "[nsid]") {
  ChainTest t(". {\n  nsid NSID\n  whoami\n}\n");
  auto a = t.query_wire(query("example.org."));
  REQUIRE(a.rcode == "NOERROR");
  Opt o = opt_of(a.wire);
  REQUIRE(o.present);
  CHECK(o.udp_size == 4096);
  CHECK_FALSE(o.do_bit);
  // The option carries the bytes of DATA (dig shows them as 4e 53 49 44, "NSID").
  CHECK(o.options == std::vector<std::pair<uint16_t, std::string>>{{3, "NSID"}});
  CHECK(a.additional.size() == 2);  // whoami's records are all there
}

TEST_CASE("nsid: a query that does not ask gets no option", "[nsid]") {
  ChainTest t(". {\n  nsid NSID\n  whoami\n}\n");
  auto a = t.query_wire(query("example.org.", false));
  Opt o = opt_of(a.wire);
  REQUIRE(o.present);
  CHECK(o.options.empty());
  auto b = t.query("example.org.", "A");  // no EDNS at all
  CHECK_FALSE(b.has_opt);
}

TEST_CASE("nsid: cache hits get it too (CoreDNS's TestNsidCache)", "[nsid]") {
  ChainTest t(". {\n  nsid NSID\n  cache\n  whoami\n}\n");
  auto miss = t.query_wire(query("example.org.", true, 1));
  auto hit = t.query_wire(query("example.org.", true, 2));
  CHECK(opt_of(miss.wire).options == std::vector<std::pair<uint16_t, std::string>>{{3, "NSID"}});
  CHECK(opt_of(hit.wire).options == std::vector<std::pair<uint16_t, std::string>>{{3, "NSID"}});
  // And one that does not ask, from the same cache entry, none.
  CHECK(opt_of(t.query_wire(query("example.org.", false, 3)).wire).options.empty());
}

TEST_CASE("nsid: an upstream's NSID is replaced, its other options kept", "[nsid]") {
  Fixture f(". {\n  nsid localdns\n  next\n}\n", [](cxxdns::QueryContext& ctx) {
    dns::MessageWriter w(ctx.writable_response());
    w.start_reply(ctx.q(), dns::rcode::NOERROR, false);
    const uint8_t addr[4] = {192, 0, 2, 1};
    w.a(ctx.q().qname, 30, addr);
    w.section(dns::Section::additional);
    w.begin_rr(dns::Name{.data = {0}, .len = 1}, dns::type::OPT, 1232, dns::kEdnsDoBit);
    const uint8_t options[] = {0, 3, 0, 2, 'u', 'p', 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
    w.rd_bytes(options);
    w.end_rr();
  });
  auto a = f.t->query_wire(query("example.org."));
  REQUIRE(a.rcode == "NOERROR");
  Opt o = opt_of(a.wire);
  CHECK(o.udp_size == 1232);  // the answer's own OPT fields stay
  CHECK(o.do_bit);
  CHECK(o.options == std::vector<std::pair<uint16_t, std::string>>{
                         {3, "localdns"}, {10, std::string("\x01\x02\x03\x04\x05\x06\x07\x08")}});
  CHECK(a.answer == std::vector<std::string>{"example.org.\t30\tIN\tA\t192.0.2.1"});
}

TEST_CASE("nsid: an OPT record that others follow keeps them readable", "[nsid]") {
  // An answer whose additional section has the OPT first, then an A record compressed
  // against the question: the records after the OPT move, their names must not break.
  Fixture f(". {\n  nsid localdns-pod\n  next\n}\n", [](cxxdns::QueryContext& ctx) {
    dns::MessageWriter w(ctx.writable_response());
    w.start_reply(ctx.q(), dns::rcode::NOERROR, false);
    dns::Name ns;
    dns::from_text("ns.example.org.", ns);
    w.name_rr(ctx.q().qname, dns::type::NS, 30, ns);
    w.section(dns::Section::additional);
    w.begin_rr(dns::Name{.data = {0}, .len = 1}, dns::type::OPT, 4096, 0);
    w.end_rr();
    const uint8_t addr[4] = {192, 0, 2, 53};
    w.a(ns, 30, addr);
  });
  auto a = f.t->query_wire(query("Example.ORG."));
  REQUIRE(a.rcode == "NOERROR");
  CHECK(a.answer == std::vector<std::string>{"Example.ORG.\t30\tIN\tNS\tns.example.org."});
  CHECK(a.additional == std::vector<std::string>{"ns.example.org.\t30\tIN\tA\t192.0.2.53"});
  CHECK(opt_of(a.wire).options ==
        std::vector<std::pair<uint16_t, std::string>>{{3, "localdns-pod"}});
}

TEST_CASE("nsid: AKS LocalDNS's blocks (corpus 11)", "[nsid]") {
  // Two blocks on one address with their own nsid, as AKS's LocalDNS (forward left out).
  Fixture f(
      ".:53 {\n  errors\n  nsid localdns\n  next\n}\ncluster.local:53 {\n  errors\n"
      "  nsid localdns-pod\n  next\n}\n",
      [](cxxdns::QueryContext& ctx) {
        dns::MessageWriter w(ctx.writable_response());
        w.start_reply(ctx.q(), dns::rcode::NXDOMAIN, false);
      });
  CHECK(opt_of(f.t->query_wire(query("www.example.com.")).wire).options ==
        std::vector<std::pair<uint16_t, std::string>>{{3, "localdns"}});
  CHECK(opt_of(f.t->query_wire(query("web.prod.svc.cluster.local.")).wire).options ==
        std::vector<std::pair<uint16_t, std::string>>{{3, "localdns-pod"}});
}
