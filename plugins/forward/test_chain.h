// Helpers for forward's unit tests: the plugin of a ChainTest, Corefile text, and queries
// started together (ChainTest::query runs one at a time).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/dns/writer.h"
#include "core/plugin/testing.h"
#include "plugins/forward/forward.h"

namespace forward_test {

inline cxxdns::plugins::forward::Forward& forward_of(cxxdns::testing::ChainTest& t) {
  for (auto* p : t.config().plugins()) {
    if (p->name() == "forward") return *static_cast<cxxdns::plugins::forward::Forward*>(p);
  }
  throw std::runtime_error("no forward");
}

inline std::string addr(uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

inline std::string corefile(const std::string& directive) {
  return ".:1053 {\n " + directive + "\n whoami\n}\n";
}

// Queries in flight at once on a ChainTest's loop, as a worker's clients' would be.
class Burst {
 public:
  explicit Burst(cxxdns::testing::ChainTest& t) : t_(t) { worker_.loop = t.loop(); }
  // Starts `name A` (over TCP when `tcp`) through the first listener's chain.
  void start(const std::string& name, bool tcp) {
    auto q = std::make_unique<One>();
    std::vector<uint8_t> wire;
    cxxdns::dns::Name n;
    cxxdns::dns::from_text(name, n);
    cxxdns::dns::MessageWriter w(wire);
    cxxdns::dns::Header h;
    h.id = static_cast<uint16_t>(queries_.size());
    h.flags = cxxdns::dns::flag::RD;
    w.start(h);
    w.question(n, cxxdns::dns::type::A, cxxdns::dns::cls::IN);
    cxxdns::ClientAddress client;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&client.storage);
    v4->sin_family = AF_INET;
    v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    v4->sin_port = htons(40000);
    client.len = sizeof *v4;
    q->ctx.bind(&worker_, &q->sink, nullptr);
    q->ctx.load(wire, tcp ? cxxdns::Transport::tcp : cxxdns::Transport::udp, client);
    const auto* route = t_.config().listeners[0].route(q->ctx.q().qname_lower);
    q->ctx.run(route->chain);
    queries_.push_back(std::move(q));
  }
  // Runs the loop until every query has its answer (or `limit` passes); the answers.
  size_t wait(std::chrono::milliseconds limit) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (answered() < queries_.size() && std::chrono::steady_clock::now() < end) {
      t_.run_for(std::chrono::milliseconds(5));
    }
    return answered();
  }
  size_t answered() const {
    size_t n = 0;
    for (auto& q : queries_) n += q->sink.done;
    return n;
  }
  // The rcode of each answer.
  std::vector<uint8_t> rcodes() const {
    std::vector<uint8_t> out;
    for (auto& q : queries_) {
      if (q->sink.done && q->sink.reply.size() >= 4) out.push_back(q->sink.reply[3] & 0x0f);
    }
    return out;
  }

 private:
  struct One {
    cxxdns::testing::Recorder sink;
    cxxdns::QueryContext ctx;
  };
  cxxdns::testing::ChainTest& t_;
  cxxdns::WorkerInfo worker_;
  std::vector<std::unique_ptr<One>> queries_;
};

}  // namespace forward_test
