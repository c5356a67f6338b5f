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
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/plugin/config.h"
#include "core/plugin/context.h"
#include "core/plugin/registry.h"

namespace cxxdns::testing {

struct QueryOptions {
  bool tcp = false;
  int bufsize = 0;  // EDNS UDP size; 0 = no OPT
  bool do_bit = false;
  bool cd = false;
  bool rd = true;
  uint16_t qclass = 1;       // IN
  uint8_t edns_version = 0;  // with bufsize > 0
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
  int edns_version = -1;  // the OPT's version; -1 without OPT
  std::vector<std::string> answer, authority, additional;
  std::vector<uint8_t> wire;
  // The messages sent ahead of this one for the same query (QueryContext::send_partial: a
  // zone transfer over TCP), in order.
  std::vector<Answer> partials;

  bool aa() const;
  bool tc() const;
};

// Where a test's queries end (CoreDNS's dnstest.Recorder): keeps the answer a chain gave.
class Recorder final : public ReplySink {
 public:
  void deliver(QueryContext& ctx) override;
  // As a TCP connection would: taken over TCP, refused over UDP.
  bool send_partial(QueryContext& ctx, std::span<const uint8_t> msg) override;
  bool done = false;
  std::vector<std::vector<uint8_t>> partials;
  bool dropped = false;  // answered with nothing (acl's drop)
  std::vector<uint8_t> reply;
};

// A stand-in for the plugins after the one under test (CoreDNS's test.NextHandler): answers
// every query with `rcode` (and `error` for the errors plugin), or with what `write` puts
// in the response, and counts the queries it saw.
class NextHandler final : public Plugin {
 public:
  explicit NextHandler(uint8_t rcode = 0, std::string error = {})
      : rcode_(rcode), error_(std::move(error)) {}
  std::string_view name() const override { return "next"; }
  Verdict serve(QueryContext& ctx) override;

  std::function<void(QueryContext&)> write;  // when set: writes the whole answer
  int calls = 0;

 private:
  uint8_t rcode_;
  std::string error_;
};

// `base` with a directive `name` right after `anchor` that makes `handler`'s plugin (which
// the test keeps, to script and count it): e.g. a scripted upstream behind the cache.
Registry with_next_handler(const Registry& base, std::string_view anchor, std::string name,
                           std::function<std::unique_ptr<Plugin>()> make);

// The SetupError a Corefile's configuration gives (what cxxdns would print), or "no error".
std::string setup_error(std::string_view corefile, const BuildOptions& opt = {});

class ChainTest {
 public:
  // Throws corefile::ParseError / SetupError as cxxdns would report them.
  explicit ChainTest(std::string_view corefile, const BuildOptions& opt = {});
  // The same from a Corefile on disk, as `cxxdns -conf PATH` reads it (errors name PATH,
  // Services::corefile_path is PATH: for the reload plugin).
  struct File {
    std::string path;
  };
  explicit ChainTest(const File& corefile, const BuildOptions& opt = {});
  ~ChainTest();

  Answer query(std::string_view name, std::string_view type, const QueryOptions& o = {});
  // Any bytes, as a client could send them.
  Answer query_wire(std::span<const uint8_t> wire, const QueryOptions& o = {});
  // Runs the loop for `d` (timers, upstream sockets, file watchers).
  void run_for(std::chrono::milliseconds d);
  // Runs the loop until `done` holds, checked every 10 ms, for at most `max` (by the clock:
  // a machine that keeps this process waiting gets what it missed). Returns done().
  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds max = std::chrono::milliseconds(10000));
  // The plugin of the first block named `name`, or null.
  Plugin* plugin(std::string_view name) const;

  Config& config() { return *config_; }
  uv_loop_t* loop() { return &loop_; }

 private:
  void start();

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

// Runs `f` with standard output (fd 1, where log lines go) sent to a temporary file and
// returns the lines written there, for plugins that log (log, errors, reload, health).
// Make no Catch2 assertion inside `f`: Catch2 reports on standard output too.
std::vector<std::string> stdout_lines(const std::function<void()>& f);

// Sends "`method` `path`" to 127.0.0.1:`port` over a real TCP connection while `t`'s loop
// runs (the HTTP endpoints of health, ready and prometheus are served there): the whole
// response (status line, headers, body), or "" when none came within 5 s.
std::string http_request(ChainTest& t, uint16_t port, std::string_view path,
                         std::string_view method = "GET");

// A query message in wire form (for query_wire and raw tests).
std::vector<uint8_t> make_query(std::string_view name, uint16_t type, const QueryOptions& o = {});
// Parses a response; answered=false when it does not parse.
Answer parse_answer(std::span<const uint8_t> wire);

}  // namespace cxxdns::testing
