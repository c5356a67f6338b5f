// What a plugin's setup function gets: its directives in one server block, the block's
// zones, and helpers that turn tokens into values or into errors with file:line.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/corefile/corefile.h"
#include "core/plugin/lifecycle.h"

namespace cxxdns {

struct BlockConfig;
struct ListenerSpec;
class QueryContext;
struct TcpTimeouts;
class TransportSecurity;
struct Services;

using BlockFilter = std::function<bool(QueryContext& ctx, const ListenerSpec& at)>;

// Thrown for a bad directive: what() reads as CoreDNS's
// "plugin/NAME: FILE:LINE - Error during parsing: MESSAGE".
class SetupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class SetupContext {
 public:
  SetupContext(std::string_view plugin, std::span<const corefile::Directive> directives,
               BlockConfig& block, Services& services, Lifecycle& lifecycle);

  std::string_view plugin() const { return plugin_; }
  // Every occurrence of the directive in the block, in the order written.
  std::span<const corefile::Directive> directives() const { return directives_; }
  // The single occurrence; a second one is an error, as for most CoreDNS plugins.
  const corefile::Directive& only_one() const;
  // The block's zones, canonical ("example.org.", "10.in-addr.arpa.").
  std::vector<std::string> zones() const;
  const corefile::ServerBlock& block() const;
  // Addresses the block listens on (empty: all); the bind plugin fills it.
  std::vector<std::string>& bind_addresses();
  // TLS of the block's tls:// and https:// listeners; the tls plugin sets it.
  std::shared_ptr<TransportSecurity>& transport_security();
  // TCP timeouts of the block's listeners; the timeouts plugin fills them.
  TcpTimeouts& tcp_timeouts();
  Services& services() { return services_; }
  // The block being built: its plugins are all there from startup on (find_plugin).
  const BlockConfig& block_config() const { return block_; }

  // --- What the plugin offers beside serve(), run by the server (lifecycle.h). The
  // functions usually capture the plugin being made: the configuration owns both.
  void on_startup(std::function<void(ControlInfo&)> f) {
    lifecycle_.startup.push_back(std::move(f));
  }
  void on_shutdown(std::function<void()> f) { lifecycle_.shutdown.push_back(std::move(f)); }
  void on_worker_start(std::function<void(WorkerInfo&)> f) {
    lifecycle_.worker_start.push_back(std::move(f));
  }
  void on_worker_stop(std::function<void(WorkerInfo&)> f) {
    lifecycle_.worker_stop.push_back(std::move(f));
  }
  // For the ready plugin: false until this plugin can answer.
  void readiness(std::function<bool()> ready) {
    lifecycle_.readiness.push_back({plugin_, std::move(ready)});
  }
  // A condition on the queries this block takes (config.h, BlockFilter): the view plugin's.
  void add_block_filter(BlockFilter f);
  // For a stop: how long DNS must keep being served first (ms).
  void lameduck(std::function<uint64_t()> ms) { lifecycle_.lameduck.push_back(std::move(ms)); }

  [[noreturn]] void error(const corefile::Token& at, std::string_view message) const;
  // "Wrong argument count or unexpected line ending after 'TOKEN'" (Caddy's ArgErr).
  [[noreturn]] void arg_error(const corefile::Token& at) const;
  // "unknown property 'X'".
  [[noreturn]] void unknown_property(const corefile::Token& at) const;

  // Zones given as plugin arguments (FROM of forward, ZONES of hosts...), normalized as
  // server keys are; none given means the block's zones.
  std::vector<std::string> zones_from(std::span<const corefile::Token> args) const;

  // Values: each errors at the token on a bad value.
  uint64_t parse_uint(const corefile::Token& t, uint64_t min, uint64_t max) const;
  // Go duration syntax as CoreDNS takes it: "10s", "1m30s", "500ms", "1h", "0.5s".
  std::chrono::nanoseconds parse_duration(const corefile::Token& t) const;

 private:
  std::string plugin_;
  std::span<const corefile::Directive> directives_;
  BlockConfig& block_;
  Services& services_;
  Lifecycle& lifecycle_;
};

// Parses a Go duration; false on bad syntax.
bool parse_go_duration(std::string_view s, std::chrono::nanoseconds& out);
// Go's Duration.String(): "30s", "5m0s", "1h0m0s", "500ms".
std::string go_duration_string(std::chrono::nanoseconds d);

}  // namespace cxxdns
