// hosts: answers A, AAAA and PTR from an /etc/hosts-format file and inline entries, as
// CoreDNS's hosts; the file is re-read when it changes.
#pragma once

#include <uv.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/plugin/context.h"
#include "core/plugin/snapshot.h"
#include "plugins/hosts/hostsfile.h"

namespace cxxdns::plugins {

struct HostsOptions {
  std::string path;  // empty: inline entries only
  std::vector<std::string> zones;
  std::string inline_text;
  uint32_t ttl = 3600;
  bool reverse = true;
  std::chrono::nanoseconds reload = std::chrono::seconds(5);
  std::vector<std::string> fallthrough;  // zones; empty with fallthrough_set = all
  bool fallthrough_set = false;
};

class Hosts final : public Plugin {
 public:
  Hosts(HostsOptions opts, int workers);
  std::string_view name() const override { return "hosts"; }
  void serve(QueryContext& ctx) override;
  void start(ControlInfo& control) override;
  void stop() override;

  // Re-reads the file when its modification time or size changed; keeps the old table
  // when it cannot be read. Returns true when a new table was swapped in.
  bool reload_if_changed();
  std::shared_ptr<const HostsTable> table() const;
  void collect_metrics(std::vector<metrics::Sample>& out) const override;

 private:
  bool falls_through(std::string_view qname) const;

  HostsOptions opts_;
  Snapshot<HostsTable> table_;
  int64_t mtime_ns_ = -1;
  int64_t size_ = -1;
  uv_timer_t timer_;
  bool timer_started_ = false;
};

}  // namespace cxxdns::plugins
