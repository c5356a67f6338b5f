// Unit-testing plugin chains without sockets: build a configuration from Corefile text,
// feed it queries, get the answers back parsed. One worker, run on the calling thread.
//
//   cxxdns::testing::ChainTest t(R"(example.org {
//       whoami
//   })");
//   auto a = t.query("www.example.org.", "A");
//   REQUIRE(a.rcode == "NOERROR");
//   REQUIRE(a.additional[0] == "www.example.org.\t0\tIN\tA\t127.0.0.1");
#pragma once

#include <uv.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/plugin/config.h"
#include "core/plugin/context.h"

namespace cxxdns::testing {

struct QueryOptions {
  bool tcp = false;
  int bufsize = 0;  // EDNS UDP size; 0 = no OPT
  bool do_bit = false;
  bool cd = false;
  std::string client_ip = "127.0.0.1";
  uint16_t client_port = 40000;
  uint16_t id = 0x1234;
  uint16_t port = 0;  // listener port; 0 = the first listener's
  std::chrono::milliseconds timeout{5000};
};

// A response, parsed with ldns. Records are ldns's presentation lines
// ("name.\tTTL\tIN\tA\t1.2.3.4"), without the OPT record.
struct Answer {
  bool answered = false;  // false: the chain gave no answer within the timeout
  std::string rcode;      // "NOERROR", "NXDOMAIN", ...
  uint16_t flags = 0;
  uint16_t id = 0;
  bool has_opt = false;
  std::vector<std::string> answer, authority, additional;
  std::vector<uint8_t> wire;

  bool aa() const;
  bool tc() const;
};

class ChainTest {
 public:
  // Throws corefile::ParseError / SetupError as cxxdns would report them.
  explicit ChainTest(std::string_view corefile, const BuildOptions& opt = {});
  ~ChainTest();

  Answer query(std::string_view name, std::string_view type, const QueryOptions& o = {});
  // Any bytes, as a client could send them.
  Answer query_wire(std::span<const uint8_t> wire, const QueryOptions& o = {});
  // Runs the loop for `d` (timers, upstream sockets, file watchers).
  void run_for(std::chrono::milliseconds d);

  Config& config() { return *config_; }
  uv_loop_t* loop() { return &loop_; }

 private:
  std::unique_ptr<Config> config_;
  // Queries a plugin still held when query() gave up: freed after the plugins stop.
  std::vector<std::shared_ptr<void>> abandoned_;
  uv_loop_t loop_;
  WorkerInfo worker_;
  ControlInfo control_;
};

// Feeds queries straight into a built chain, as a worker does, with no socket and no loop:
// for chains that answer at once (cache hits, local data) in allocation counts and micro
// benchmarks. The same QueryContext serves every query, as a worker's would.
class ChainRunner final : public ReplySink {
 public:
  explicit ChainRunner(const Chain* chain);
  void deliver(QueryContext& ctx) override;
  // Resets the context, loads `wire` and walks the chain when it loads; the result of load.
  dns::QueryCheck run(std::span<const uint8_t> wire);
  QueryContext& ctx() { return ctx_; }

  size_t delivered = 0;  // answers the chain gave
  size_t last_size = 0;  // the size of the last one

 private:
  const Chain* chain_;
  WorkerInfo worker_;
  QueryContext ctx_;
  ClientAddress client_;
};

// A query message in wire form (for query_wire and raw tests).
std::vector<uint8_t> make_query(std::string_view name, uint16_t type, const QueryOptions& o = {});
// Parses a response; answered=false when it does not parse.
Answer parse_answer(std::span<const uint8_t> wire);

}  // namespace cxxdns::testing
