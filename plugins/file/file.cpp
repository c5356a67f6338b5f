#include "plugins/file/file.h"

#include <algorithm>

#include "core/log/log.h"
#include "plugins/pkg/trace.h"
#include "plugins/pkg/zone/parse.h"
#include "plugins/pkg/zone/xfr.h"

namespace cxxdns::plugins {

FileZone::FileZone(std::string zone, std::string path, std::chrono::nanoseconds reload, int workers,
                   const pkg::TransferHub& hub)
    : zone_(std::move(zone)),
      path_(std::move(path)),
      reload_(reload),
      hub_(hub),
      data_(workers),
      watch_(path_, "plugin/file",
             [this](const std::string& text, int64_t) { return load(text); }) {
  dns::from_text(zone_, origin_);
}

bool FileZone::load(const std::string& text) {
  const std::shared_ptr<const pkg::zone::ZoneData> current = data_.current();
  uint32_t serial = 0;
  // As CoreDNS: a file whose SOA serial has not changed is not read again.
  if (current && pkg::zone::peek_serial(text, path_, origin_, serial) &&
      serial == current->serial()) {
    return false;
  }
  pkg::zone::ParseResult r = pkg::zone::parse_zone_text(text, path_, origin_);
  if (!r.zone) {
    error_ = r.error;
    if (current) log::error("plugin/file: Parsing zone \"{}\": {}", zone_, r.error);
    return false;
  }
  error_.clear();
  if (r.outside > 0) {
    log::warning("plugin/file: {} records in \"{}\" are not in zone \"{}\": ignored", r.outside,
                 path_, zone_);
  }
  const uint32_t loaded = r.zone->serial();
  data_.publish(std::move(r.zone));
  if (current) {
    log::info("plugin/file: Successfully reloaded zone \"{}\" in \"{}\" with {} SOA serial", zone_,
              path_, loaded);
    hub_.changed(zone_);
  }
  return true;
}

void FileZone::start(uv_loop_t* loop) {
  if (reload_.count() <= 0) return;
  watch_.start(loop, std::max<uint64_t>(1, uint64_t(reload_.count() / 1000000)));
}

File::File(const std::vector<FileEntry>& entries, pkg::Fallthrough fall, const Services& services,
           int workers, const pkg::TransferHub& hub)
    : fall_(std::move(fall)), server_("file", services), hub_(hub) {
  std::vector<std::string> names;
  std::vector<std::unique_ptr<FileZone>> made;
  for (const FileEntry& e : entries) {
    for (const std::string& z : e.zones) {
      // A zone named twice: the last line wins, as in CoreDNS's map of zones.
      std::erase_if(made, [&](const auto& f) { return f->zone() == z; });
      std::erase(names, z);
      made.push_back(std::make_unique<FileZone>(z, e.path, e.reload, workers, hub));
      names.push_back(z);
    }
  }
  matcher_ = pkg::Zones(names);
  for (const std::string& z : matcher_.texts()) {
    auto it =
        std::find_if(made.begin(), made.end(), [&](const auto& f) { return f && f->zone() == z; });
    zones_.push_back(std::move(*it));
  }
}

void File::start(ControlInfo& control) {
  for (auto& z : zones_) {
    z->start(control.loop);
    // As CoreDNS at startup: the secondaries hear of every zone it serves.
    if (z->data().current()) hub_.changed(z->zone());
  }
}

void File::stop() {
  for (auto& z : zones_) z->stop();
}

Verdict File::serve(QueryContext& ctx) {
  const dns::QueryView& q = ctx.q();
  const int i = matcher_.match(q.qname_lower);
  if (i < 0) return ctx.next();
  FileZone& z = *zones_[static_cast<size_t>(i)];
  if (q.hdr.opcode() == dns::opcode::NOTIFY) {  // only a secondary zone takes notifies
    log::info("plugin/file: Dropping notify from {} for {}", ctx.client().ip(), z.zone());
    return ctx.drop();
  }
  const pkg::zone::ZoneData* data = z.data().get(ctx.worker().index);
  if (!data) {
    pkg::note(ctx, "file", "zone not loaded: SERVFAIL");
    return ctx.reply_rcode(dns::rcode::SERVFAIL);
  }
  return server_.serve(ctx, *data, z.data(), fall_);
}

pkg::Transferer::Result File::transfer(std::string_view zone, uint32_t serial,
                                       const pkg::XfrEmit& emit) {
  for (auto& z : zones_) {
    if (z->zone() != zone) continue;
    const std::shared_ptr<const pkg::zone::ZoneData> data = z->data().current();
    if (!data) return Result::failed;
    pkg::zone::emit_zone(*data, serial, emit);
    return Result::done;
  }
  return Result::not_authoritative;
}

}  // namespace cxxdns::plugins
