// loop: the HINFO probe the plugin sends to its own server, and the count of that probe
// coming back through the chain, as CoreDNS's loop. A loop ends the process (CoreDNS's
// log.Fatal), so the passes that would detect one run in a forked child.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <iostream>
#include <regex>

#include "core/dns/message.h"
#include "core/plugin/setup.h"
#include "core/plugin/testing.h"
#include "plugins/builtin.h"
#include "plugins/loop/loop.h"

using cxxdns::testing::ChainTest;
using cxxdns::testing::NextHandler;
using cxxdns::testing::setup_error;
using namespace std::chrono_literals;

namespace {

// A UDP socket on loopback standing where the server would listen: it catches the probes.
class ProbeCatcher {
 public:
  explicit ProbeCatcher(const char* ip = "127.0.0.1") {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    inet_pton(AF_INET, ip, &a.sin_addr);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~ProbeCatcher() { close(fd_); }
  uint16_t port() const { return port_; }

  // The next probe, running `t`'s loop until it comes (empty: none within `max`).
  std::vector<uint8_t> wait(ChainTest& t, std::chrono::milliseconds max) {
    const auto deadline = std::chrono::steady_clock::now() + max;
    while (std::chrono::steady_clock::now() < deadline) {
      uint8_t buf[512];
      socklen_t len = sizeof from_;
      ssize_t n =
          recvfrom(fd_, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from_), &len);
      if (n > 0) return {buf, buf + n};
      t.run_for(5ms);
    }
    return {};
  }

  // Probes already waiting on the socket, read and dropped.
  void drain() {
    uint8_t buf[512];
    socklen_t len = sizeof from_;
    while (recvfrom(fd_, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from_), &len) >
           0) {
      len = sizeof from_;
    }
  }

  // Answers the last probe (any datagram will do, as any answer does in CoreDNS).
  void answer(const std::vector<uint8_t>& probe) {
    std::vector<uint8_t> reply = probe;
    reply[2] |= 0x80;  // QR
    sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from_), sizeof from_);
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  sockaddr_in from_{};
};

// The built-in plugins plus `next` right after loop, which the test keeps to count queries.
struct WithNext {
  NextHandler* next = nullptr;
  cxxdns::Registry registry =
      cxxdns::testing::with_next_handler(cxxdns::plugins::builtin(), "loop", "next", [this] {
        auto h = std::make_unique<NextHandler>();
        next = h.get();
        return h;
      });
  cxxdns::BuildOptions options() {
    cxxdns::BuildOptions o;
    o.registry = &registry;
    return o;
  }
};

const std::string& probe_name(ChainTest& t) {
  auto* loop = dynamic_cast<cxxdns::plugins::Loop*>(t.plugin("loop"));
  REQUIRE(loop != nullptr);
  return loop->probe_name();
}

struct ChildResult {
  int status = -1;  // exit status
  std::string out;  // what it printed
};

// Feeds `count` HINFO queries for `name` straight into `chain` in a child process: a
// detected loop ends that child, not the tests.
ChildResult passes_in_child(const cxxdns::Chain* chain, const std::string& name, int count) {
  std::cout.flush();
  std::fflush(stdout);
  int out[2];
  REQUIRE(pipe(out) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    cxxdns::testing::ChainRunner runner(chain);
    auto q = cxxdns::testing::make_query(name, cxxdns::dns::type::HINFO);
    for (int i = 0; i < count; ++i) runner.run(q);
    _exit(runner.delivered == static_cast<size_t>(count) ? 0 : 3);
  }
  close(out[1]);
  ChildResult r;
  char buf[512];
  for (ssize_t n; (n = read(out[0], buf, sizeof buf)) > 0;) r.out.append(buf, n);
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace

TEST_CASE("loop: sends an HINFO probe for <random>.<random>.<zone> to its server", "[loop]") {
  ProbeCatcher server;
  WithNext n;
  ChainTest t("example.org:" + std::to_string(server.port()) + " {\n  loop\n  next\n}\n",
              n.options());
  auto probe = server.wait(t, 3000ms);
  REQUIRE(!probe.empty());
  cxxdns::dns::QueryView q;
  REQUIRE(cxxdns::dns::parse_query(probe, q) == cxxdns::dns::QueryCheck::ok);
  CHECK(q.qtype == cxxdns::dns::type::HINFO);
  CHECK(q.qclass == cxxdns::dns::cls::IN);
  CHECK((q.hdr.flags & cxxdns::dns::flag::RD));
  const std::string name = cxxdns::dns::to_text(q.qname);
  CHECK(name == probe_name(t));
  CHECK(std::regex_match(name, std::regex(R"(\d+\.\d+\.example\.org\.)")));
  // Another server gets another name.
  ChainTest other("example.org:" + std::to_string(server.port()) + " {\n  loop\n  next\n}\n",
                  n.options());
  CHECK(probe_name(other) != probe_name(t));
}

TEST_CASE("loop: the probe goes to the block's first bound IPv4 address", "[loop]") {
  ProbeCatcher server("127.0.0.5");
  WithNext n;
  ChainTest t(
      ".:" + std::to_string(server.port()) + " {\n  bind ::1 127.0.0.5\n  loop\n  next\n}\n",
      n.options());
  auto probe = server.wait(t, 3000ms);
  REQUIRE(!probe.empty());
  cxxdns::dns::QueryView q;
  REQUIRE(cxxdns::dns::parse_query(probe, q) == cxxdns::dns::QueryCheck::ok);
  CHECK(std::regex_match(cxxdns::dns::to_text(q.qname), std::regex(R"(\d+\.\d+\.)")));
}

TEST_CASE("loop: the probe passes to the next plugin, a third pass is a loop", "[loop]") {
  ProbeCatcher server;
  WithNext n;
  const std::string port = std::to_string(server.port());
  ChainTest t(".:" + port + " {\n  loop\n  next\n}\n", n.options());
  const std::string probe = probe_name(t);
  REQUIRE(!server.wait(t, 3000ms).empty());  // the first probe is out; the next one is 1 s away
  // From here to the fork the loop does not run (ChainRunner, not t.query): the 1 s retry,
  // which counts afresh, cannot come in between on a machine that keeps this process waiting.
  cxxdns::testing::ChainRunner runner(&t.config().blocks[0]->chain);
  auto pass = [&](const std::string& name, uint16_t type) {
    runner.run(cxxdns::testing::make_query(name, type));
    return cxxdns::testing::parse_answer(runner.ctx().response()).rcode;
  };
  // Seen twice: answered by the next plugin each time.
  CHECK(pass(probe, cxxdns::dns::type::HINFO) == "NOERROR");
  CHECK(pass(probe, cxxdns::dns::type::HINFO) == "NOERROR");
  // Other types, other names: passed on, not counted.
  CHECK(pass(probe, cxxdns::dns::type::A) == "NOERROR");
  CHECK(pass("other.example.", cxxdns::dns::type::HINFO) == "NOERROR");
  CHECK(runner.delivered == 4);
  CHECK(n.next->calls == 4);
  // The third time the process stops with CoreDNS's line and exit code 1.
  auto r = passes_in_child(&t.config().blocks[0]->chain, probe, 1);
  CHECK(r.status == 1);
  CHECK(r.out == "[FATAL] plugin/loop: Loop (0.0.0.0:0 -> 127.0.0.1:" + port +
                     ") detected for zone \".\", see https://coredns.io/plugins/loop#"
                     "troubleshooting. Query: \"HINFO " +
                     probe + "\"\n");
  // The child's pass was the child's own: here the probe was still seen twice.
  CHECK(t.query(probe, "A").rcode == "NOERROR");
}

TEST_CASE("loop: once the probe is answered, detection stays on 2 s, then stops", "[loop]") {
  ProbeCatcher server;
  WithNext n;
  ChainTest t(".:" + std::to_string(server.port()) + " {\n  loop\n  next\n}\n", n.options());
  const std::string probe = probe_name(t);
  auto sent = server.wait(t, 3000ms);
  REQUIRE(!sent.empty());
  server.answer(sent);
  t.run_for(100ms);
  // A machine that kept this process waiting for over a second lets the 1 s retry go out
  // before the answer is read: that probe was sent before the answer, so it does not count.
  server.drain();
  CHECK(passes_in_child(&t.config().blocks[0]->chain, probe, 3).status == 1);
  // Answered: no more probes; 2 s later the probe name is just a name.
  CHECK(server.wait(t, 2100ms).empty());
  t.run_for(20ms);  // timers due by now have run, even if this process was kept waiting
  auto r = passes_in_child(&t.config().blocks[0]->chain, probe, 3);
  CHECK(r.status == 0);
  CHECK(r.out.empty());
}

TEST_CASE("loop: an unanswered probe is sent again each second and counted afresh", "[loop]") {
  // An upstream that does not answer at startup: each probe reaches the server once and gets
  // no answer. CoreDNS resets the count after every failed exchange (l.reset() in its setup),
  // so three probes seen once each are no loop.
  ProbeCatcher server;
  WithNext n;
  ChainTest t(".:" + std::to_string(server.port()) + " {\n  loop\n  next\n}\n", n.options());
  const std::string probe = probe_name(t);
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(!server.wait(t, 3000ms).empty());
  REQUIRE(t.query(probe, "HINFO").rcode == "NOERROR");
  // The next probe is due 1 s after the first; the wait allows a loaded CI machine (ASan,
  // tests in parallel) to be late with it without letting a missing retry pass.
  REQUIRE(!server.wait(t, 4000ms).empty());
  CHECK(std::chrono::steady_clock::now() - start >= 900ms);
  REQUIRE(t.query(probe, "HINFO").rcode == "NOERROR");
  REQUIRE(!server.wait(t, 4000ms).empty());
  auto r = passes_in_child(&t.config().blocks[0]->chain, probe, 1);
  CHECK(r.status == 0);
  CHECK(r.out.empty());
}

TEST_CASE("loop: setup errors name file:line", "[loop]") {
  const std::string e = "plugin/loop: Corefile:";
  CHECK(setup_error(".:1053 {\n  loop extra\n  whoami\n}\n") ==
        e + "2 - Error during parsing: Wrong argument count or unexpected line ending after "
            "'extra'");
  CHECK(setup_error(".:1053 {\n  loop\n  loop\n  whoami\n}\n") ==
        e + "3 - Error during parsing: this plugin can only be used once per Server Block");
}

TEST_CASE("loop: takes no block", "[loop]") {
  CHECK(setup_error(".:1053 {\n  loop {\n    probe 10s\n  }\n  whoami\n}\n") ==
        "plugin/loop: Corefile:2 - Error during parsing: loop takes no block");
}
