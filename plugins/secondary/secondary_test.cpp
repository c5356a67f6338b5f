// secondary: the zone transferred in from a primary (a small TCP primary in the test, which
// answers SOA and AXFR from a zone it is given), served, refreshed on NOTIFY, expired when
// the primary is gone, and offered for transfer out again.
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <mutex>
#include <thread>

#include "core/dns/writer.h"
#include "core/plugin/setup.h"
#include "core/plugin/testing.h"
#include "plugins/pkg/zone/parse.h"
#include "plugins/pkg/zone/test_files.h"
#include "plugins/pkg/zone/xfr.h"

using namespace cxxdns;
using cxxdns::pkg::zone::testing::example_zone;
using cxxdns::testing::ChainTest;
using cxxdns::testing::QueryOptions;

namespace {

// A primary on 127.0.0.1: SOA and AXFR queries over TCP, one a connection.
class Primary {
 public:
  explicit Primary(const std::string& zone_text) {
    set_zone(zone_text);
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(fd_, 8);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~Primary() { stop(); }

  void set_zone(const std::string& text) {
    dns::Name origin;
    dns::from_text("example.org.", origin);
    auto r = pkg::zone::parse_zone_text(text, "primary", origin);
    REQUIRE(r.zone);
    std::lock_guard lock(mu_);
    zone_ = std::move(r.zone);
  }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  uint16_t port = 0;
  std::atomic<int> transfers{0};

 private:
  void run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      const int c = accept(fd_, nullptr, nullptr);
      if (c >= 0) serve(c);
      close(c);
    }
  }

  void serve(int c) {
    uint8_t len[2];
    if (recv(c, len, 2, MSG_WAITALL) != 2) return;
    std::vector<uint8_t> q(static_cast<size_t>(len[0] << 8 | len[1]));
    if (recv(c, q.data(), q.size(), MSG_WAITALL) != static_cast<ssize_t>(q.size())) return;
    dns::QueryView qv;
    if (dns::parse_query(q, qv) != dns::QueryCheck::ok) return;
    std::vector<uint8_t> out;
    dns::MessageWriter w(out);
    w.start_reply(qv, dns::rcode::NOERROR, true);
    {
      std::lock_guard lock(mu_);
      const uint32_t serial = qv.qtype == dns::type::SOA ? UINT32_MAX : 0;  // SOA: just it
      if (qv.qtype == 252) ++transfers;
      pkg::zone::emit_zone(
          *zone_, serial == UINT32_MAX ? zone_->serial() : 0, [&](const pkg::zone::RecordView& rr) {
            pkg::zone::write_record(w, rr.owner, rr.type, rr.klass, rr.ttl, rr.rdata);
          });
    }
    uint8_t prefix[2] = {static_cast<uint8_t>(out.size() >> 8), static_cast<uint8_t>(out.size())};
    send(c, prefix, 2, MSG_NOSIGNAL);
    send(c, out.data(), out.size(), MSG_NOSIGNAL);
  }

  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::unique_ptr<pkg::zone::ZoneData> zone_;
  std::thread thread_;
};

std::string secondary_corefile(uint16_t port, const std::string& extra = "") {
  return "example.org {\n" + extra +
         "  secondary {\n    transfer from 127.0.0.1:" + std::to_string(port) + "\n  }\n}\n";
}

std::string www(ChainTest& t) {
  auto a = t.query("www.example.org.", "A");
  return a.answer.empty() ? a.rcode : a.answer[0];
}

std::vector<uint8_t> notify_query(uint16_t id = 0x4242) {
  auto q = cxxdns::testing::make_query("example.org.", dns::type::SOA);
  q[0] = static_cast<uint8_t>(id >> 8);
  q[1] = static_cast<uint8_t>(id);
  q[2] = static_cast<uint8_t>((4 << 3) | 0x04);  // opcode NOTIFY, AA
  return q;
}

}  // namespace

TEST_CASE("secondary: the zone from the primary, served as file serves it", "[secondary]") {
  Primary primary(example_zone(5));
  ChainTest t(secondary_corefile(primary.port));
  REQUIRE(t.run_until([&] { return t.query("www.example.org.", "A").rcode == "NOERROR"; }));
  auto a = t.query("www.example.org.", "A");
  CHECK(a.aa());
  CHECK(a.answer == std::vector<std::string>{"www.example.org.\t300\tIN\tA\t192.0.2.80"});
  CHECK(t.query("chain.example.org.", "AAAA").answer.size() == 3);
  CHECK(t.query("nope.example.org.", "A").rcode == "NXDOMAIN");
  CHECK_FALSE(t.query("x.sub.example.org.", "A").aa());
  CHECK(t.query("x.wild.example.org.", "TXT").answer.size() == 1);
  CHECK(primary.transfers == 1);
}

TEST_CASE("secondary: a NOTIFY from the primary brings the new serial", "[secondary]") {
  Primary primary(example_zone(5));
  ChainTest t(secondary_corefile(primary.port));
  REQUIRE(t.run_until([&] { return www(t) == "www.example.org.\t300\tIN\tA\t192.0.2.80"; }));
  std::string next = example_zone(6);
  next.replace(next.find("192.0.2.80"), 10, "192.0.2.86");
  primary.set_zone(next);

  // From elsewhere: dropped, nothing checked.
  QueryOptions stranger;
  stranger.client_ip = "10.9.9.9";
  CHECK_FALSE(t.query_wire(notify_query(), stranger).answered);

  auto ack = t.query_wire(notify_query());  // from 127.0.0.1, the primary
  REQUIRE(ack.answered);
  CHECK(ack.rcode == "NOERROR");
  CHECK(ack.aa());
  CHECK(ack.id == 0x4242);
  CHECK(((ack.flags >> 11) & 0xf) == 4);  // the opcode echoed
  CHECK(t.run_until([&] { return www(t) == "www.example.org.\t300\tIN\tA\t192.0.2.86"; }));
  CHECK(primary.transfers == 2);
  // The same serial again: a NOTIFY checks the serial and transfers nothing.
  (void)t.query_wire(notify_query());
  t.run_for(std::chrono::milliseconds(300));
  CHECK(primary.transfers == 2);
}

TEST_CASE("secondary: SERVFAIL before the first transfer and after the zone expires",
          "[secondary]") {
  // SOA timers of a second: refresh 1, retry 1, expire 2.
  const std::string zone =
      "$TTL 60\n@ IN SOA ns hm 1 1 1 2 60\n@ IN NS ns\nns IN A 192.0.2.1\nwww IN A 192.0.2.80\n";
  Primary primary(zone);
  const uint16_t port = primary.port;
  primary.stop();  // nothing answers yet
  ChainTest t(secondary_corefile(port));
  CHECK(t.query("www.example.org.", "A").rcode == "SERVFAIL");

  Primary again(zone);  // a new primary: its own port
  ChainTest u(secondary_corefile(again.port));
  REQUIRE(u.run_until([&] { return u.query("www.example.org.", "A").rcode == "NOERROR"; }));
  again.stop();
  // Refresh fails, retries fail, and two seconds on the zone is expired.
  CHECK(u.run_until([&] { return u.query("www.example.org.", "A").rcode == "SERVFAIL"; },
                    std::chrono::milliseconds(15000)));
}

TEST_CASE("secondary: the transferred zone goes out again through transfer", "[secondary]") {
  Primary primary(example_zone(5));
  ChainTest t(secondary_corefile(primary.port, "  transfer {\n    to *\n  }\n"));
  REQUIRE(t.run_until([&] { return t.query("www.example.org.", "A").rcode == "NOERROR"; }));
  QueryOptions tcp;
  tcp.tcp = true;
  auto a = t.query("example.org.", "AXFR", tcp);
  REQUIRE(a.rcode == "NOERROR");
  REQUIRE(a.answer.size() > 20);
  CHECK_THAT(a.answer.front(), Catch::Contains("\tSOA\t"));
  CHECK(a.answer.back() == a.answer.front());
}

TEST_CASE("secondary: setup errors", "[secondary]") {
  CHECK_THROWS_WITH(ChainTest("example.org {\n  secondary\n}\n"),
                    Catch::Contains("secondary zones require a transfer from property"));
  CHECK_THROWS_WITH(ChainTest("example.org {\n  secondary {\n    transfer to 10.0.0.1\n  }\n}\n"),
                    Catch::Contains("Wrong argument count"));
  CHECK_THROWS_WITH(
      ChainTest("example.org {\n  secondary {\n    transfer from primary.lan\n  }\n}\n"),
      Catch::Contains("not an IP address"));
  CHECK_THROWS_WITH(ChainTest("example.org {\n  secondary {\n    catalog\n  }\n}\n"),
                    Catch::Contains("unknown property 'catalog'"));
}
