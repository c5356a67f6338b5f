// transfer: AXFR as a stream of messages over TCP, IXFR, the refusals (UDP, clients not in
// `to`), setup, and NOTIFY to the secondaries when a zone changes.
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "core/dns/message.h"
#include "core/dns/writer.h"
#include "core/plugin/setup.h"
#include "core/plugin/testing.h"
#include "plugins/pkg/zone/test_files.h"
#include "plugins/transfer/notify.h"

using cxxdns::pkg::zone::testing::example_zone;
using cxxdns::pkg::zone::testing::TempDir;
using cxxdns::testing::Answer;
using cxxdns::testing::ChainTest;
using cxxdns::testing::QueryOptions;

namespace {

QueryOptions tcp(const std::string& client = "127.0.0.1") {
  QueryOptions o;
  o.tcp = true;
  o.client_ip = client;
  return o;
}

// Every record of a transfer, the messages sent ahead first.
std::vector<std::string> records(const Answer& a) {
  std::vector<std::string> out;
  for (const Answer& p : a.partials) out.insert(out.end(), p.answer.begin(), p.answer.end());
  out.insert(out.end(), a.answer.begin(), a.answer.end());
  return out;
}

std::string corefile(const std::string& db, const std::string& to) {
  return "example.org {\n  transfer {\n    to " + to + "\n  }\n  file " + db + "\n}\n";
}

// A UDP socket on 127.0.0.1, standing in for a secondary that hears NOTIFYs.
struct Listener {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  uint16_t port = 0;
  Listener() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Listener() { close(fd); }
  // The next message within `ms` (answered NOERROR, as a secondary does), or empty.
  std::vector<uint8_t> next(int ms = 5000) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, ms) <= 0) return {};
    std::vector<uint8_t> buf(4096);
    sockaddr_storage from;
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 12) return {};
    buf.resize(static_cast<size_t>(n));
    std::vector<uint8_t> reply(buf.begin(), buf.begin() + 12);
    reply[2] |= 0x80;  // QR
    reply[4] = reply[5] = reply[6] = reply[7] = reply[8] = reply[9] = reply[10] = reply[11] = 0;
    sendto(fd, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
    return buf;
  }
};

}  // namespace

TEST_CASE("transfer: AXFR over TCP, the SOA first and last", "[transfer]") {
  TempDir dir;
  const std::string db = dir.write("db.example.org", example_zone());
  ChainTest t(corefile(db, "*"));
  auto a = t.query("example.org.", "AXFR", tcp());
  REQUIRE(a.rcode == "NOERROR");
  CHECK(a.partials.empty());  // a small zone: one message
  auto all = records(a);
  REQUIRE(all.size() > 20);
  CHECK_THAT(all.front(),
             Catch::Contains("\tSOA\tns1.example.org. hostmaster.example.org. 2024010101"));
  CHECK(all.back() == all.front());
  CHECK(std::count(all.begin(), all.end(), all.front()) == 2);
  CHECK(std::find(all.begin(), all.end(), "ns.sub.example.org.\t3600\tIN\tA\t192.0.2.53") !=
        all.end());  // glue too
}

TEST_CASE("transfer: a large zone goes in several messages of at most 64 KiB", "[transfer]") {
  TempDir dir;
  std::string zone = "@ 60 IN SOA ns hm 9 1 1 1 1\n@ 60 IN NS ns\n";
  const std::string text(200, 'x');
  for (int i = 0; i < 2000; ++i) {
    zone += "host" + std::to_string(i) + " 60 IN TXT \"" + text + "\"\n";
  }
  const std::string db = dir.write("db", zone);
  ChainTest t(corefile(db, "*"));
  auto a = t.query("example.org.", "AXFR", tcp());
  REQUIRE(a.rcode == "NOERROR");
  REQUIRE(a.partials.size() >= 5);  // 2000 * ~230 bytes
  for (const Answer& p : a.partials) {
    CHECK(p.wire.size() <= 65535);
    CHECK(p.rcode == "NOERROR");
    CHECK(p.id == 0x1234);
  }
  auto all = records(a);
  CHECK(all.size() == 2000 + 3);
  CHECK_THAT(all.front(), Catch::Contains("\tSOA\t"));
  CHECK_THAT(all.back(), Catch::Contains("\tSOA\t"));
}

TEST_CASE("transfer: IXFR is a full transfer unless the client is up to date", "[transfer]") {
  TempDir dir;
  const std::string db = dir.write("db.example.org", example_zone(7));
  ChainTest t(corefile(db, "*"));
  auto ixfr = [&](uint32_t serial) {
    std::vector<uint8_t> q;
    cxxdns::dns::MessageWriter w(q);
    cxxdns::dns::Header h;
    h.id = 0x1234;
    w.start(h);
    cxxdns::dns::Name zone;
    cxxdns::dns::from_text("example.org.", zone);
    w.question(zone, 251, cxxdns::dns::cls::IN);
    w.section(cxxdns::dns::Section::authority);
    w.begin_rr(zone, cxxdns::dns::type::SOA, cxxdns::dns::cls::IN, 0);
    w.rd_name(zone);
    w.rd_name(zone);
    for (uint32_t v : {serial, 0u, 0u, 0u, 0u}) w.rd_u32(v);
    w.end_rr();
    return t.query_wire(q, tcp());
  };
  auto current = ixfr(7);
  REQUIRE(current.answer.size() == 1);
  CHECK_THAT(current.answer[0], Catch::Contains("\tSOA\t"));
  CHECK(records(ixfr(6)).size() > 20);
  // Without the SOA an IXFR has no serial: SERVFAIL, as CoreDNS.
  CHECK(t.query("example.org.", "IXFR", tcp()).rcode == "SERVFAIL");
}

TEST_CASE("transfer: refused over UDP and to clients not in to", "[transfer]") {
  TempDir dir;
  const std::string db = dir.write("db.example.org", example_zone());
  ChainTest t(corefile(db, "10.0.0.1 192.168.0.0/16 [fd00::1]:5353"));
  CHECK(t.query("example.org.", "AXFR", tcp("127.0.0.1")).rcode == "REFUSED");
  CHECK(t.query("example.org.", "AXFR", tcp("10.0.0.1")).rcode == "NOERROR");
  CHECK(t.query("example.org.", "AXFR", tcp("192.168.7.7")).rcode == "NOERROR");
  CHECK(t.query("example.org.", "AXFR", tcp("fd00::1")).rcode == "NOERROR");
  QueryOptions udp;
  udp.client_ip = "10.0.0.1";
  CHECK(t.query("example.org.", "AXFR", udp).rcode == "REFUSED");
  // Other queries go on to the file plugin.
  CHECK(t.query("www.example.org.", "A").answer.size() == 1);
}

TEST_CASE("transfer: zones it does not list, or no plugin holds, go on down the chain",
          "[transfer]") {
  TempDir dir;
  const std::string db = dir.write("db.example.org", example_zone());
  ChainTest t(". {\n  transfer example.net example.org {\n    to *\n  }\n  file " + db +
              " example.org\n  whoami\n}\n");
  CHECK(t.query("example.org.", "AXFR", tcp()).rcode == "NOERROR");
  // example.net: listed, but nobody holds it; example.com: not listed. whoami answers both.
  CHECK_FALSE(t.query("example.net.", "AXFR", tcp()).additional.empty());
  CHECK_FALSE(t.query("example.com.", "AXFR", tcp()).additional.empty());
  // A name inside the zone is not a zone: nobody transfers it, and file refuses it.
  CHECK(t.query("www.example.org.", "AXFR", tcp()).rcode == "REFUSED");
}

TEST_CASE("transfer: setup errors", "[transfer]") {
  CHECK_THROWS_WITH(ChainTest("example.org {\n  transfer\n}\n"),
                    Catch::Contains("'to' is required"));
  CHECK_THROWS_WITH(ChainTest("example.org {\n  transfer {\n    to\n  }\n}\n"),
                    Catch::Contains("Wrong argument count"));
  CHECK_THROWS_WITH(ChainTest("example.org {\n  transfer {\n    to not-an-ip\n  }\n}\n"),
                    Catch::Contains("not an IP address"));
  CHECK_THROWS_WITH(ChainTest("example.org {\n  transfer {\n    from 10.0.0.1\n  }\n}\n"),
                    Catch::Contains("unknown property \"from\""));
  CHECK_NOTHROW(
      ChainTest("example.org {\n  transfer {\n    to * 10.0.0.1:5300\n    to ::1\n  }\n}\n"));
}

TEST_CASE("transfer: NOTIFY to the secondaries at start and when the zone changes", "[transfer]") {
  TempDir dir;
  Listener secondary;
  const std::string db = dir.write("db.example.org", example_zone(1));
  ChainTest t("example.org {\n  transfer {\n    to * 127.0.0.1:" + std::to_string(secondary.port) +
              "\n  }\n  file " + db + " {\n    reload 20ms\n  }\n}\n");
  auto check_notify = [](const std::vector<uint8_t>& m) {
    REQUIRE(m.size() > 12);
    const auto h = cxxdns::dns::Header::read(m.data());
    CHECK(h.opcode() == cxxdns::dns::opcode::NOTIFY);
    CHECK((h.flags & cxxdns::dns::flag::AA) != 0);
    cxxdns::dns::QueryView q;
    REQUIRE(cxxdns::dns::parse_query(m, q) == cxxdns::dns::QueryCheck::ok);
    CHECK(cxxdns::dns::to_text(q.qname) == "example.org.");
    CHECK(q.qtype == cxxdns::dns::type::SOA);
  };
  check_notify(secondary.next());  // at start
  dir.write("db.example.org", example_zone(2));
  std::vector<uint8_t> m;
  for (int i = 0; i < 100 && m.empty(); ++i) {
    t.run_for(std::chrono::milliseconds(20));  // the reload runs on the loop
    m = secondary.next(0);
  }
  if (m.empty()) m = secondary.next();
  check_notify(m);
}

TEST_CASE("transfer: a NOTIFY not answered is reported, and a stop cuts the wait", "[transfer]") {
  Listener deaf;  // reads nothing: the test drains it after
  cxxdns::pkg::IpEndpoint to;
  to.addr = *cxxdns::pkg::IpAddress::parse("127.0.0.1");
  to.port = deaf.port;
  std::atomic<bool> stop{true};
  CHECK(cxxdns::plugins::NotifySender::notify("example.org.", to, &stop) == "no answer");
  int seen = 0;
  pollfd p{deaf.fd, POLLIN, 0};
  uint8_t buf[512];
  while (poll(&p, 1, 0) > 0 && recv(deaf.fd, buf, sizeof buf, 0) > 0) ++seen;
  CHECK(seen == 1);
}
