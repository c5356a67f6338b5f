// file: serves authoritative zones from RFC 1035 zone files, as CoreDNS's file plugin. Each
// zone is parsed whole into an immutable ZoneData (plugins/pkg/zone) and swapped in; the
// file is looked at every `reload` interval and read again when it changed and its SOA
// serial did, a file that does not parse leaving the last good zone serving. The zones are
// offered to the transfer plugin (pkg::Transferer), which is told when one changes.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/plugin/context.h"
#include "core/plugin/snapshot.h"
#include "plugins/pkg/fall.h"
#include "plugins/pkg/file_watch.h"
#include "plugins/pkg/transfer.h"
#include "plugins/pkg/zone/serve.h"
#include "plugins/pkg/zone/zone.h"
#include "plugins/pkg/zones.h"

namespace cxxdns::plugins {

// One `file DBFILE [ZONES...] { reload DURATION }`.
struct FileEntry {
  std::string path;
  std::vector<std::string> zones;  // canonical
  std::chrono::nanoseconds reload = std::chrono::minutes(1);
};

// One zone and the file it comes from.
class FileZone {
 public:
  FileZone(std::string zone, std::string path, std::chrono::nanoseconds reload, int workers,
           const pkg::TransferHub& hub);

  // Reads the file now if it changed; false (with error()) when it does not parse.
  bool check() { return watch_.check(); }
  void start(uv_loop_t* loop);
  void stop() { watch_.stop(); }

  const std::string& zone() const { return zone_; }
  const std::string& path() const { return path_; }
  const std::string& error() const { return error_; }
  std::chrono::nanoseconds reload() const { return reload_; }
  Snapshot<pkg::zone::ZoneData>& data() { return data_; }

 private:
  bool load(const std::string& text);

  std::string zone_, path_;
  dns::Name origin_;
  std::chrono::nanoseconds reload_;
  const pkg::TransferHub& hub_;
  Snapshot<pkg::zone::ZoneData> data_;
  pkg::FileWatch watch_;
  std::string error_;
};

class File final : public Plugin, public pkg::Transferer {
 public:
  File(const std::vector<FileEntry>& entries, pkg::Fallthrough fall, const Services& services,
       int workers, const pkg::TransferHub& hub);
  std::string_view name() const override { return "file"; }
  Verdict serve(QueryContext& ctx) override;
  Result transfer(std::string_view zone, uint32_t serial, const pkg::XfrEmit& emit) override;

  void start(ControlInfo& control);
  void stop();
  std::vector<std::unique_ptr<FileZone>>& zones() { return zones_; }

 private:
  std::vector<std::unique_ptr<FileZone>> zones_;  // in the order of `matcher_`
  pkg::Zones matcher_;
  pkg::Fallthrough fall_;
  pkg::zone::ZoneServer server_;
  const pkg::TransferHub& hub_;
};

}  // namespace cxxdns::plugins
