// hosts: answers A, AAAA and PTR from an /etc/hosts-format file and inline entries, as
// CoreDNS's hosts; the file is re-read when it changes.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/metrics/metrics.h"
#include "core/plugin/context.h"
#include "core/plugin/snapshot.h"
#include "plugins/hosts/hostsfile.h"
#include "plugins/pkg/fall.h"
#include "plugins/pkg/file_watch.h"
#include "plugins/pkg/zones.h"

namespace cxxdns::plugins {

struct HostsOptions {
  std::string path;  // empty: inline entries only
  std::vector<std::string> zones;
  std::string inline_text;
  uint32_t ttl = 3600;
  bool reverse = true;
  std::chrono::nanoseconds reload = std::chrono::seconds(5);
  pkg::Fallthrough fallthrough;
};

class Hosts final : public Plugin {
 public:
  Hosts(HostsOptions opts, int workers);
  std::string_view name() const override { return "hosts"; }
  Verdict serve(QueryContext& ctx) override;
  // On the control loop: watches the file.
  void start(ControlInfo& control);
  void stop() { watch_.stop(); }

  // Re-reads the file when its modification time or size changed; keeps the old table
  // when it cannot be read. Returns true when a new table was swapped in.
  bool reload_if_changed();
  std::shared_ptr<const HostsTable> table() const;

 private:
  bool load(const std::string& file_text);
  Verdict answer(QueryContext& ctx, const HostsTable& t);

  HostsOptions opts_;
  pkg::Zones zones_;
  Snapshot<HostsTable> table_;
  pkg::FileWatch watch_;
  metrics::CollectorHandle entries_metric_;  // coredns_hosts_entries
};

}  // namespace cxxdns::plugins
