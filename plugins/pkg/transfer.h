// Zone transfers between plugins of one server block, without any of them naming another
// (CoreDNS's transfer.Transferer): the plugins that hold whole zones (file, secondary,
// kubernetes) offer them as Transferers; the transfer plugin answers AXFR and IXFR with the
// first one that holds the zone asked for, and sends NOTIFY to its secondaries when a
// Transferer says a zone changed. Both sides register in the block's TransferHub at setup;
// the hub is used from start on.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/pkg/zone/record.h"

namespace cxxdns {
class SetupContext;
}

namespace cxxdns::pkg {

// One record of a transfer, its RDATA uncompressed.
using XfrEmit = std::function<void(const zone::RecordView&)>;

class Transferer {
 public:
  enum class Result { not_authoritative, done, failed };

  // Emits the zone `zone` (canonical: "example.org.") when this plugin holds it:
  //   serial 0 (AXFR), or a serial older than the zone's (IXFR, answered as AXFR: there is
  //   no journal): the SOA, every other record, the SOA again;
  //   an IXFR serial not older than the zone's: the SOA alone (the client is up to date).
  // not_authoritative (nothing emitted) when it does not hold the zone; failed when it holds
  // it but has no data (a secondary zone before its first transfer). Runs on the worker
  // answering the transfer: it reads an immutable version of the zone.
  virtual Result transfer(std::string_view zone, uint32_t serial, const XfrEmit& emit) = 0;

 protected:
  ~Transferer() = default;
};

// The transfer plugin's side: a zone changed (its serial), tell the secondaries.
class ZoneNotifier {
 public:
  // Any thread; returns at once (the notifies are sent in the background).
  virtual void zone_changed(const std::string& zone) = 0;

 protected:
  ~ZoneNotifier() = default;
};

// One server block's transfer plumbing (in Services, one per block).
struct TransferHub {
  std::vector<Transferer*> transferers;  // in plugin order
  ZoneNotifier* notifier = nullptr;      // the block's transfer plugin, if it has one

  void changed(const std::string& zone) const {
    if (notifier) notifier->zone_changed(zone);
  }
};

// The hub of the block `sc` sets up (made on first use). Register at setup; the hub lives
// as long as the configuration.
TransferHub& transfer_hub(SetupContext& sc);

}  // namespace cxxdns::pkg
