#include "plugins/transfer/transfer.h"

#include "core/dns/writer.h"
#include "core/log/log.h"
#include "plugins/pkg/trace.h"

namespace cxxdns::plugins {
namespace {

using pkg::zone::RecordView;

// The answer of a transfer, a message at a time: each holds the question and as many
// records as fit in 64 KiB (RFC 5936 2.2); all but the last go out as they fill, the last is
// the query's answer.
class XfrStream {
 public:
  explicit XfrStream(QueryContext& ctx) : ctx_(ctx), w_(buf_) { begin(); }

  void add(const RecordView& rr) {
    if (failed_) return;
    if (total_ == 0) first_is_soa_ = rr.type == dns::type::SOA;
    // The record's size uncompressed: it fits whatever compression does.
    const size_t most = rr.owner.len + 10 + rr.rdata.size();
    if (in_message_ > 0 && w_.size() + most > 65535) {
      if (!ctx_.send_partial(buf_)) failed_ = true;
      begin();
    }
    pkg::zone::write_record(w_, rr.owner, rr.type, rr.klass, rr.ttl, rr.rdata);
    ++in_message_;
    ++total_;
  }

  bool failed() const { return failed_; }
  bool first_is_soa() const { return first_is_soa_; }
  size_t total() const { return total_; }
  std::vector<uint8_t>& last() { return buf_; }

 private:
  void begin() {
    w_.start_reply(ctx_.q(), dns::rcode::NOERROR, true);
    in_message_ = 0;
  }

  QueryContext& ctx_;
  std::vector<uint8_t> buf_;
  dns::MessageWriter w_;
  size_t in_message_ = 0, total_ = 0;
  bool failed_ = false, first_is_soa_ = false;
};

// The serial of an IXFR query: its authority section's SOA (RFC 1995 3).
bool ixfr_serial(std::span<const uint8_t> query, uint32_t& serial) {
  bool found = false;
  std::vector<uint8_t> rdata;
  dns::walk_records(query, [&](const dns::RecordRef& r) {
    if (r.section != dns::Section::authority || r.type != dns::type::SOA) return true;
    pkg::zone::SoaFields f;
    found = pkg::zone::read_rdata(query, r, rdata) && pkg::zone::read_soa(rdata, f);
    serial = f.serial;
    return false;
  });
  return found;
}

}  // namespace

bool TransferBlock::allowed(std::span<const uint8_t> client) const {
  for (const TransferTo& t : to) {
    if (t.any || t.network.contains(client)) return true;
  }
  return false;
}

Transfer::Transfer(std::vector<TransferBlock> blocks, const pkg::TransferHub& hub)
    : blocks_(std::move(blocks)), hub_(hub) {}

const TransferBlock* Transfer::match(const dns::Name& qname) const {
  const TransferBlock* best = nullptr;
  int best_len = -1;
  for (const TransferBlock& b : blocks_) {
    const int i = b.matcher.match(qname);
    if (i >= 0 && b.matcher.name(i).len > best_len) {
      best = &b;
      best_len = b.matcher.name(i).len;
    }
  }
  return best;
}

Verdict Transfer::serve(QueryContext& ctx) {
  const dns::QueryView& q = ctx.q();
  if (q.qtype != pkg::zone::type::AXFR && q.qtype != pkg::zone::type::IXFR) return ctx.next();
  const TransferBlock* b = match(q.qname_lower);
  if (!b) return ctx.next();  // a later plugin may answer transfers of its own
  if (ctx.transport() != Transport::tcp || !b->allowed(ctx.client().bytes())) {
    pkg::note(ctx, "transfer", "not allowed: REFUSED");
    return ctx.reply_rcode(dns::rcode::REFUSED);
  }
  uint32_t serial = 0;
  if (q.qtype == pkg::zone::type::IXFR && !ixfr_serial(ctx.query_wire(), serial)) {
    return ctx.reply_rcode(dns::rcode::SERVFAIL);  // as CoreDNS: an IXFR carries the SOA
  }
  return answer(ctx, serial);
}

Verdict Transfer::answer(QueryContext& ctx, uint32_t serial) {
  const std::string zone(ctx.qname_text());
  XfrStream stream(ctx);
  uint32_t zone_serial = 0;
  const pkg::XfrEmit emit = [&](const RecordView& rr) {
    if (stream.total() == 0 && rr.type == dns::type::SOA) {
      pkg::zone::SoaFields f;
      if (pkg::zone::read_soa(rr.rdata, f)) zone_serial = f.serial;
    }
    stream.add(rr);
  };
  for (pkg::Transferer* t : hub_.transferers) {
    switch (t->transfer(zone, serial, emit)) {
      case pkg::Transferer::Result::not_authoritative:
        continue;
      case pkg::Transferer::Result::failed:
        return ctx.reply_rcode(dns::rcode::SERVFAIL);
      case pkg::Transferer::Result::done:
        break;
    }
    if (stream.failed() || !stream.first_is_soa()) {
      return ctx.fail(dns::rcode::SERVFAIL, "plugin/transfer: first record in zone " + zone +
                                                " is not SOA, or the connection failed");
    }
    if (stream.total() == 1) {
      log::info(
          "plugin/transfer: Outgoing noop, incremental transfer for up to date zone \"{}\" to {} "
          "for {} SOA serial",
          zone, ctx.client().ip(), zone_serial);
    } else {
      log::info(
          "plugin/transfer: Outgoing transfer of {} records of zone \"{}\" to {} for {} SOA serial",
          stream.total(), zone, ctx.client().ip(), zone_serial);
    }
    pkg::note(ctx, "transfer", std::to_string(stream.total()) + " records");
    return ctx.reply(stream.last());
  }
  return ctx.next();  // no plugin here holds the zone
}

void Transfer::zone_changed(const std::string& zone) {
  std::vector<pkg::IpEndpoint> to;
  for (const TransferBlock& b : blocks_) {
    if (std::find(b.zones.begin(), b.zones.end(), zone) == b.zones.end()) continue;
    for (const TransferTo& t : b.to) {
      if (t.notify) to.push_back(t.endpoint);
    }
  }
  sender_.send(zone, std::move(to));
}

}  // namespace cxxdns::plugins
