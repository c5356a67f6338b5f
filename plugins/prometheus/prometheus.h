// prometheus: serves http://ADDRESS/metrics and counts every query of its server block
// (requests, responses by rcode and answering plugin, duration and sizes) from an on_reply
// hook, so it sees the final answer of the plugins after it.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "core/dns/name.h"
#include "core/http/server.h"
#include "core/metrics/metrics.h"
#include "core/plugin/context.h"
#include "plugins/pkg/zones.h"

namespace cxxdns {
struct BlockConfig;
struct Services;
}  // namespace cxxdns

namespace cxxdns::plugins {

struct PrometheusZone {
  dns::Name name;  // lower-case
  std::string text;
  uint16_t port;
  std::string transport = "dns";  // of its key: "tls" and "https" label those servers
};

class Prometheus final : public Plugin, public ReplyHook {
 public:
  Prometheus(std::shared_ptr<http::HttpServer> http, const Services& services,
             std::vector<PrometheusZone> zones, const std::vector<std::string>* bind_addresses,
             const BlockConfig* block = nullptr);
  std::string_view name() const override { return "prometheus"; }
  Verdict serve(QueryContext& ctx) override;
  void on_reply(QueryContext& ctx, uint64_t cookie) override;
  // On the control loop: /metrics.
  void start(ControlInfo& control);
  void stop();

  static constexpr int kTypes = 19;   // the monitored types, then "other"
  static constexpr int kRcodes = 24;  // rcodes with a slot; larger ones take the slow path

 private:
  template <typename T>
  using Slots = std::unique_ptr<std::atomic<T*>[]>;

  size_t zone_of(const dns::Name& qname) const;
  std::string server_label(size_t zone) const;
  void register_enabled();

  std::shared_ptr<http::HttpServer> http_;
  const Services& services_;
  std::vector<PrometheusZone> zones_;  // longest first
  pkg::Zones zone_set_;                // the same zones, for matching
  const std::vector<std::string>* bind_addresses_;
  std::vector<std::string> servers_;  // per zone, made at start
  const BlockConfig* block_;          // for its view's name, at start
  std::string view_;                  // the `view` label: the block's view name, or ""

  // Children resolved once, then read with one atomic load: no lock on the query path.
  Slots<metrics::Counter> requests_;         // [zone][proto][family][type]
  Slots<metrics::Histogram> duration_;       // [zone]
  Slots<metrics::Histogram> request_size_;   // [zone][proto]
  Slots<metrics::Histogram> response_size_;  // [zone][proto]
  Slots<metrics::Counter> responses_;        // [zone][rcode][plugin position + 1]
  size_t positions_ = 1;
  bool started_ = false;
};

}  // namespace cxxdns::plugins
