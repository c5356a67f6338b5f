// secondary: serves zones transferred in (AXFR) from primaries, as CoreDNS's secondary. Each
// zone is fetched at start (retried with backoff until one primary gives it), then kept up to
// date by its SOA: every `refresh` the primaries' serial is asked, and the zone transferred
// again when theirs is newer; when that fails it is tried every `retry`, and a zone not
// refreshed within `expire` answers SERVFAIL. A NOTIFY from a primary makes it check at once.
// The transfers run on a thread of the plugin's own; queries read immutable versions.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/plugin/context.h"
#include "core/plugin/snapshot.h"
#include "plugins/pkg/fall.h"
#include "plugins/pkg/ip.h"
#include "plugins/pkg/transfer.h"
#include "plugins/pkg/zone/serve.h"
#include "plugins/pkg/zone/zone.h"
#include "plugins/pkg/zones.h"

namespace cxxdns::plugins {

// One `secondary [ZONES...] { transfer from ADDRESS... }`.
struct SecondaryEntry {
  std::vector<std::string> zones;
  std::vector<pkg::IpEndpoint> primaries;
};

class SecondaryZone {
 public:
  using Clock = std::chrono::steady_clock;
  SecondaryZone(std::string zone, std::vector<pkg::IpEndpoint> primaries, int workers);

  const std::string& zone() const { return zone_; }
  const dns::Name& origin() const { return origin_; }
  const std::vector<pkg::IpEndpoint>& primaries() const { return primaries_; }
  Snapshot<pkg::zone::ZoneData>& data() { return data_; }
  bool expired() const { return expired_.load(std::memory_order_acquire); }
  // Whether `client` (address bytes) is one of the primaries: their NOTIFYs are taken.
  bool from_primary(std::span<const uint8_t> client) const;

  // --- The refresher's state (its thread only, but for `check_now`, under its lock).
  Clock::time_point next{};  // when to look again (epoch: at once)
  Clock::time_point expire_at{};
  bool retrying = false;
  bool check_now = false;
  std::chrono::milliseconds backoff{250};
  void set_expired(bool e) { expired_.store(e, std::memory_order_release); }

 private:
  std::string zone_;
  dns::Name origin_;
  std::vector<pkg::IpEndpoint> primaries_;
  Snapshot<pkg::zone::ZoneData> data_;
  std::atomic<bool> expired_{false};
};

class Secondary final : public Plugin, public pkg::Transferer {
 public:
  Secondary(const std::vector<SecondaryEntry>& entries, pkg::Fallthrough fall,
            const Services& services, int workers, const pkg::TransferHub& hub);
  ~Secondary() override { stop(); }
  std::string_view name() const override { return "secondary"; }
  Verdict serve(QueryContext& ctx) override;
  Result transfer(std::string_view zone, uint32_t serial, const pkg::XfrEmit& emit) override;

  void start();
  void stop();
  std::vector<std::unique_ptr<SecondaryZone>>& zones() { return zones_; }

 private:
  Verdict notify(QueryContext& ctx, SecondaryZone& z);
  void run();
  void step(SecondaryZone& z);
  void first_transfer(SecondaryZone& z);
  void refresh(SecondaryZone& z);
  void failed_refresh(SecondaryZone& z, const std::string& why);
  bool transfer_in(SecondaryZone& z);

  std::vector<std::unique_ptr<SecondaryZone>> zones_;  // in the order of `matcher_`
  pkg::Zones matcher_;
  pkg::Fallthrough fall_;
  pkg::zone::ZoneServer server_;
  const pkg::TransferHub& hub_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::atomic<bool> stop_flag_{false};
  std::thread thread_;
};

}  // namespace cxxdns::plugins
