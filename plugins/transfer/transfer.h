// transfer: answers zone transfers (AXFR, and IXFR as a full transfer: there is no journal)
// for the plugins of its block that hold whole zones (pkg::Transferer: file, secondary,
// kubernetes), over TCP only, to the clients its `to` lines allow, as CoreDNS's transfer; and
// sends NOTIFY to the addresses of `to` when one of those plugins says a zone changed.
#pragma once

#include <string>
#include <vector>

#include "core/plugin/context.h"
#include "plugins/pkg/ip.h"
#include "plugins/pkg/transfer.h"
#include "plugins/pkg/zones.h"
#include "plugins/transfer/notify.h"

namespace cxxdns::plugins {

// One address of a `to` line: `*`, an address or address:port (allowed, and sent NOTIFY),
// or a network in CIDR notation (allowed only).
struct TransferTo {
  bool any = false;
  pkg::IpPrefix network;
  bool notify = false;
  pkg::IpEndpoint endpoint;  // where NOTIFY goes, when `notify`
};

// One `transfer [ZONES...] { to ... }`.
struct TransferBlock {
  std::vector<std::string> zones;
  pkg::Zones matcher;
  std::vector<TransferTo> to;

  bool allowed(std::span<const uint8_t> client) const;
};

class Transfer final : public Plugin, public pkg::ZoneNotifier {
 public:
  Transfer(std::vector<TransferBlock> blocks, const pkg::TransferHub& hub);
  std::string_view name() const override { return "transfer"; }
  Verdict serve(QueryContext& ctx) override;
  void zone_changed(const std::string& zone) override;

  void start() { sender_.start(); }
  void stop() { sender_.stop(); }

 private:
  const TransferBlock* match(const dns::Name& qname) const;
  Verdict answer(QueryContext& ctx, uint32_t serial);

  std::vector<TransferBlock> blocks_;
  const pkg::TransferHub& hub_;
  NotifySender sender_;
};

}  // namespace cxxdns::plugins
