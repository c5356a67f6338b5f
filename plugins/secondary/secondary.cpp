#include "plugins/secondary/secondary.h"

#include <algorithm>
#include <random>

#include "core/dns/writer.h"
#include "core/log/log.h"
#include "core/plugin/setup.h"
#include "plugins/pkg/trace.h"
#include "plugins/pkg/zone/xfr.h"
#include "plugins/pkg/zone/xfr_in.h"

namespace cxxdns::plugins {
namespace {

using Clock = SecondaryZone::Clock;
using std::chrono::milliseconds;

constexpr milliseconds kMaxBackoff{10000};

// An SOA timer in seconds, at least one.
milliseconds seconds(uint32_t s) {
  return milliseconds(uint64_t(std::max<uint32_t>(s, 1)) * 1000);
}

// A random wait in [0, ms), as CoreDNS spreads refreshes (5 s) and retries (2 s); never more
// than a quarter of the timer it is added to, so that short SOA timers stay short.
milliseconds jitter(int ms, milliseconds timer) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  const int most = static_cast<int>(std::min<int64_t>(ms, timer.count() / 4));
  if (most <= 1) return milliseconds(0);
  return milliseconds(std::uniform_int_distribution<int>(0, most - 1)(rng));
}

milliseconds refresh_in(const pkg::zone::SoaFields& soa) {
  return seconds(soa.refresh) + jitter(5000, seconds(soa.refresh));
}

}  // namespace

SecondaryZone::SecondaryZone(std::string zone, std::vector<pkg::IpEndpoint> primaries, int workers)
    : zone_(std::move(zone)), primaries_(std::move(primaries)), data_(workers) {
  dns::from_text(zone_, origin_);
}

bool SecondaryZone::from_primary(std::span<const uint8_t> client) const {
  return std::any_of(primaries_.begin(), primaries_.end(), [&](const pkg::IpEndpoint& p) {
    return std::equal(client.begin(), client.end(), p.addr.span().begin(), p.addr.span().end());
  });
}

Secondary::Secondary(const std::vector<SecondaryEntry>& entries, pkg::Fallthrough fall,
                     const Services& services, int workers, const pkg::TransferHub& hub)
    : fall_(std::move(fall)), server_("secondary", services), hub_(hub) {
  std::vector<std::string> names;
  std::vector<std::unique_ptr<SecondaryZone>> made;
  for (const SecondaryEntry& e : entries) {
    for (const std::string& z : e.zones) {
      std::erase_if(made, [&](const auto& s) { return s->zone() == z; });
      std::erase(names, z);
      made.push_back(std::make_unique<SecondaryZone>(z, e.primaries, workers));
      names.push_back(z);
    }
  }
  matcher_ = pkg::Zones(names);
  for (const std::string& z : matcher_.texts()) {
    auto it =
        std::find_if(made.begin(), made.end(), [&](const auto& s) { return s && s->zone() == z; });
    zones_.push_back(std::move(*it));
  }
}

Verdict Secondary::serve(QueryContext& ctx) {
  const dns::QueryView& q = ctx.q();
  const int i = matcher_.match(q.qname_lower);
  if (i < 0) return ctx.next();
  SecondaryZone& z = *zones_[static_cast<size_t>(i)];
  if (q.hdr.opcode() == dns::opcode::NOTIFY) return notify(ctx, z);
  if (z.expired()) {
    log::error("plugin/secondary: Zone {} is expired", z.zone());
    return ctx.reply_rcode(dns::rcode::SERVFAIL);
  }
  const pkg::zone::ZoneData* data = z.data().get(ctx.worker().index);
  if (!data) {
    pkg::note(ctx, "secondary", "zone not transferred yet: SERVFAIL");
    return ctx.reply_rcode(dns::rcode::SERVFAIL);
  }
  return server_.serve(ctx, *data, z.data(), fall_);
}

// A NOTIFY (RFC 1996): from a primary, answered and the zone checked at once; from anyone
// else, dropped, as CoreDNS does.
Verdict Secondary::notify(QueryContext& ctx, SecondaryZone& z) {
  const std::string from = ctx.client().ip();
  if (!z.from_primary(ctx.client().bytes())) {
    log::info("plugin/secondary: Dropping notify from {} for {}", from, z.zone());
    return ctx.drop();
  }
  log::info("plugin/secondary: Notify from {} for {}: checking transfer", from, z.zone());
  {
    std::lock_guard lock(mu_);
    z.check_now = true;
  }
  cv_.notify_all();
  dns::MessageWriter w(ctx.writable_response());
  w.start_reply(ctx.q(), dns::rcode::NOERROR, true);
  return ctx.reply();
}

pkg::Transferer::Result Secondary::transfer(std::string_view zone, uint32_t serial,
                                            const pkg::XfrEmit& emit) {
  for (auto& z : zones_) {
    if (z->zone() != zone) continue;
    const std::shared_ptr<const pkg::zone::ZoneData> data = z->data().current();
    if (!data || z->expired()) return Result::failed;
    pkg::zone::emit_zone(*data, serial, emit);
    return Result::done;
  }
  return Result::not_authoritative;
}

void Secondary::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void Secondary::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    stop_flag_.store(true, std::memory_order_relaxed);
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// The refresher: each zone's next look, the earliest first; a NOTIFY wakes it.
void Secondary::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    Clock::time_point wake = Clock::time_point::max();
    for (auto& zp : zones_) {
      SecondaryZone& z = *zp;
      if (z.check_now || Clock::now() >= z.next) {
        lock.unlock();
        step(z);
        lock.lock();
        if (stopping_) return;
      }
      wake = std::min(wake, z.check_now ? Clock::now() : z.next);
      if (z.retrying && !z.expired()) wake = std::min(wake, z.expire_at);
    }
    cv_.wait_until(lock, wake, [&] {
      return stopping_ ||
             std::any_of(zones_.begin(), zones_.end(), [](const auto& z) { return z->check_now; });
    });
  }
}

void Secondary::step(SecondaryZone& z) {
  {
    std::lock_guard lock(mu_);
    z.check_now = false;
  }
  if (!z.data().current()) {
    first_transfer(z);
  } else if (z.retrying && Clock::now() >= z.expire_at && Clock::now() < z.next) {
    z.set_expired(true);  // woken for the expiry only
  } else {
    refresh(z);
  }
}

// Until the first transfer works: again after 250 ms, doubling up to 10 s (as CoreDNS).
void Secondary::first_transfer(SecondaryZone& z) {
  if (transfer_in(z)) return;
  log::warning("plugin/secondary: All '{}' masters failed to transfer, retrying in {}", z.zone(),
               go_duration_string(z.backoff));
  z.next = Clock::now() + z.backoff;
  z.backoff = std::min(z.backoff * 2, kMaxBackoff);
}

// The SOA's refresh: the primaries' serial; a transfer when theirs is newer.
void Secondary::refresh(SecondaryZone& z) {
  const std::shared_ptr<const pkg::zone::ZoneData> current = z.data().current();
  std::string why;
  for (const pkg::IpEndpoint& p : z.primaries()) {
    uint32_t serial = 0;
    std::string error;
    if (!pkg::zone::query_serial(p, z.origin(), serial, error, &stop_flag_)) {
      why = p.text() + ": " + error;
      continue;
    }
    if (pkg::zone::serial_less(current->serial(), serial) && !transfer_in(z)) {
      failed_refresh(z, "transfer failed");
      return;
    }
    if (!pkg::zone::serial_less(current->serial(), serial)) {
      z.retrying = false;
      z.set_expired(false);
      z.next = Clock::now() + refresh_in(current->soa_fields());
    }
    return;
  }
  failed_refresh(z, why);
}

void Secondary::failed_refresh(SecondaryZone& z, const std::string& why) {
  if (stop_flag_.load(std::memory_order_relaxed)) return;
  log::warning("plugin/secondary: Failed refresh check of {}: {}", z.zone(), why);
  const pkg::zone::SoaFields soa = z.data().current()->soa_fields();
  if (!z.retrying) {
    z.retrying = true;
    z.expire_at = Clock::now() + seconds(soa.expire);
  }
  if (Clock::now() >= z.expire_at) z.set_expired(true);
  z.next = Clock::now() + seconds(soa.retry) + jitter(2000, seconds(soa.retry));
}

// AXFR from the first primary that gives it; the zone swapped in whole.
bool Secondary::transfer_in(SecondaryZone& z) {
  for (const pkg::IpEndpoint& p : z.primaries()) {
    pkg::zone::XfrInResult r = pkg::zone::axfr_in(p, z.origin(), &stop_flag_);
    if (!r.zone) {
      log::error("plugin/secondary: Failed to transfer `{}' from \"{}\": {}", z.zone(), p.text(),
                 r.error);
      continue;
    }
    const pkg::zone::SoaFields soa = r.zone->soa_fields();
    z.data().publish(std::move(r.zone));
    z.retrying = false;
    z.set_expired(false);
    z.backoff = milliseconds(250);
    z.next = Clock::now() + refresh_in(soa);
    log::info("plugin/secondary: Transferred: {} from {} ({} records, {} SOA serial)", z.zone(),
              p.text(), r.records, soa.serial);
    hub_.changed(z.zone());  // our own secondaries, if the transfer plugin has any
    return true;
  }
  return false;
}

}  // namespace cxxdns::plugins
