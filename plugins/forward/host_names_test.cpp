// Host-name TOs: parsed, resolved at setup through `resolver` servers (a scripted one on
// loopback here) or the system's lookup (replaced here, so no test asks the machine's resolver).
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <thread>

#include "core/dns/message.h"
#include "core/plugin/testing.h"
#include "plugins/forward/host_names.h"
#include "plugins/forward/test_chain.h"
#include "plugins/forward/test_upstream.h"

using namespace forward_test;
namespace fwd = cxxdns::plugins::forward;
namespace dns = cxxdns::dns;

namespace {

// Replaces the system's lookup for a test's life: `names` resolve, the rest fail.
struct FakeHosts {
  explicit FakeHosts(std::map<std::string, std::vector<std::string>> names) {
    fwd::set_system_lookup([names](const std::string& host, std::string& err) {
      auto it = names.find(host);
      if (it == names.end()) {
        err = "no such host";
        return std::vector<std::string>{};
      }
      return it->second;
    });
  }
  ~FakeHosts() { fwd::set_system_lookup(nullptr); }
};

// A DNS server on a thread: answers A queries for any name with 127.0.0.<last> (and AAAA
// with nothing), counting the queries.
class TinyResolver {
 public:
  explicit TinyResolver(uint8_t last) : last_(last) {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~TinyResolver() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  uint16_t port() const { return port_; }
  std::atomic<int> queries{0};

 private:
  void run() {
    uint8_t buf[512];
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) != 1) continue;
      sockaddr_in from{};
      socklen_t fl = sizeof from;
      ssize_t n = recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl);
      if (n < 17) continue;
      ++queries;
      std::vector<uint8_t> out(buf, buf + n);
      out[2] |= 0x80;  // QR
      const uint16_t qtype = dns::get16(out.data() + n - 4);
      if (qtype == dns::type::A) {
        out[7] = 1;  // ANCOUNT
        const uint8_t rr[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, last_};
        out.insert(out.end(), rr, rr + sizeof rr);
      }
      sendto(fd_, out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&from), fl);
    }
  }
  uint8_t last_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

TEST_CASE("forward: host-name TOs parse as CoreDNS's", "[forward]") {
  fwd::HostTarget t;
  REQUIRE(fwd::parse_host_target("dns.example:5353", t));
  CHECK(t.host == "dns.example");
  CHECK(t.port == 5353);
  CHECK(!t.tls);
  REQUIRE(fwd::parse_host_target("tls://DNS.Quad9.net", t));
  CHECK(t.host == "dns.quad9.net");
  CHECK(t.port == 853);
  CHECK(t.tls);
  REQUIRE(fwd::parse_host_target("dns://resolver.local.", t));
  CHECK(t.port == 53);
  CHECK(!fwd::parse_host_target("https://dns.example", t));
  CHECK(!fwd::parse_host_target("dns.example:0", t));
  CHECK(!fwd::parse_host_target("bad!name", t));
  CHECK(!fwd::parse_host_target("/etc/resolv.conff", t));
  CHECK(fwd::upstream_texts(t, {"127.0.0.9", "::1"}, true) ==
        std::vector<std::string>{"127.0.0.9:53", "[::1]:53"});
  REQUIRE(fwd::parse_host_target("tls://dns.example", t));
  CHECK(fwd::upstream_texts(t, {"127.0.0.9", "::1"}, true) ==
        std::vector<std::string>{"tls://127.0.0.9%dns.example:853", "tls://[::1%dns.example]:853"});
}

TEST_CASE("forward: host-name TOs resolved by the system's lookup at setup", "[forward]") {
  FakeHosts hosts({{"dns.example", {"127.0.0.61", "127.0.0.62"}}, {"one.example", {"::1"}}});
  cxxdns::testing::ChainTest t(corefile("forward . 127.0.0.60 dns.example:5300 one.example"));
  auto& ups = forward_of(t).blocks()[0]->opts.upstreams;
  REQUIRE(ups.size() == 4);
  CHECK(ups[0]->to == "127.0.0.60:53");  // in the order written
  CHECK(ups[1]->to == "127.0.0.61:5300");
  CHECK(ups[2]->to == "127.0.0.62:5300");
  CHECK(ups[3]->to == "[::1]:53");
  CHECK_THAT(cxxdns::testing::setup_error(corefile("forward . nowhere.example")),
             Catch::Contains("cannot resolve 'nowhere.example': no such host"));
}

TEST_CASE("forward: host-name TOs resolved through `resolver`", "[forward]") {
  FakeHosts none({});  // the system's lookup must not be asked
  TinyResolver r(77);
  cxxdns::testing::ChainTest t(corefile(
      "forward . tls://dns.example {\n resolver 127.0.0.1:" + std::to_string(r.port()) + "\n }"));
  auto& ups = forward_of(t).blocks()[0]->opts.upstreams;
  REQUIRE(ups.size() == 1);
  CHECK(ups[0]->to == "tls://127.0.0.77:853");
  CHECK(ups[0]->tls_servername == "dns.example");  // the certificate is checked for the name
  CHECK(r.queries.load() == 2);                    // A and AAAA
  // A resolver that does not answer: a setup error naming the host.
  CHECK_THAT(cxxdns::testing::setup_error(corefile("forward . dns.example {\n resolver 127.0.0.1:" +
                                                   std::to_string(dead_port()) + "\n }")),
             Catch::Contains("cannot resolve 'dns.example'"));
}
