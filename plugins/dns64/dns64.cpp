#include "plugins/dns64/dns64.h"

#include <algorithm>

#include "core/dns/constants.h"
#include "core/dns/copy.h"
#include "core/dns/writer.h"
#include "core/plugin/internal_query.h"
#include "plugins/pkg/requery.h"

namespace cxxdns::plugins {

namespace {

// RFC 6147 5.1.7: without an SOA in the AAAA answer, the TTL is capped at 600 s (CoreDNS's
// value too).
constexpr uint32_t kDefaultSoaTtl = 600;
// RFC 6052 2.2: bits 64-71 of the address (the "u" octet) stay zero.
constexpr size_t kUOctet = 8;

// The TTL of the last SOA of the authority section (CoreDNS takes the record's TTL), or 600.
uint32_t soa_ttl_of(std::span<const uint8_t> msg) {
  uint32_t ttl = kDefaultSoaTtl;
  dns::walk_records(msg, [&](const dns::RecordRef& r) {
    if (r.section == dns::Section::authority && r.type == dns::type::SOA) ttl = r.ttl;
    return true;
  });
  return ttl;
}

bool has_aaaa_answer(std::span<const uint8_t> msg) {
  bool found = false;
  dns::walk_records(msg, [&](const dns::RecordRef& r) {
    if (r.section == dns::Section::answer && r.type == dns::type::AAAA) found = true;
    return !found;
  });
  return found;
}

}  // namespace

pkg::IpPrefix dns64_well_known_prefix() {
  return *pkg::IpPrefix::parse("64:ff9b::/96", true);
}

std::array<uint8_t, 16> embed_ipv4(const pkg::IpPrefix& prefix, std::span<const uint8_t, 4> v4) {
  std::array<uint8_t, 16> out{};
  const size_t prefix_bytes = prefix.prefix / 8;
  std::copy_n(prefix.addr.bytes.begin(), prefix_bytes, out.begin());
  size_t at = prefix_bytes;
  for (uint8_t b : v4) {
    if (at == kUOctet) ++at;
    out[at++] = b;
  }
  return out;
}

bool synthesize_aaaa(const dns::QueryView& q, std::span<const uint8_t> a_answer,
                     const pkg::IpPrefix& prefix, uint32_t soa_ttl, std::vector<uint8_t>& out) {
  dns::MessageWriter w(out);
  // As CoreDNS's SetReply: the query's ID, opcode, RD and CD; NOERROR.
  w.start_reply(q, dns::rcode::NOERROR, false);
  bool ok = true;
  const bool walked = dns::walk_records(a_answer, [&](const dns::RecordRef& r) {
    if (r.type == dns::type::OPT) return true;  // the server writes the client's own
    w.section(r.section);
    if (r.section != dns::Section::answer || r.type != dns::type::A || r.rdata_len != 4) {
      ok = dns::copy_record(a_answer, r, w);
      return ok;
    }
    size_t at = r.offset;
    dns::Name owner;
    if (!dns::read_name(a_answer, at, owner)) return ok = false;
    const auto v6 = embed_ipv4(prefix, std::span<const uint8_t, 4>(&a_answer[r.rdata_offset], 4));
    w.aaaa(owner, std::min(r.ttl, soa_ttl), v6.data(), r.klass);
    return true;
  });
  return walked && ok;
}

// One AAAA query on its way: the client's, kept until its answer is known.
struct Dns64::Lookup {
  PendingQuery pending;
  size_t pos = 0;  // dns64's place in the chain
  uint32_t soa_ttl = kDefaultSoaTtl;
  std::vector<uint8_t> wire;  // the A query
};

Dns64::Dns64(Dns64Config cfg)
    : cfg_(std::move(cfg)),
      translated_(metrics::Registry::global().counter(
          "coredns_dns64_requests_translated_total", "Counter of DNS requests translated by dns64.",
          {"server"})) {}

// RFC 6147 5.1: AAAA queries of class IN only; and, unless allow_ipv4, only from clients that
// asked over IPv6 (CoreDNS's requestShouldIntercept).
bool Dns64::eligible(const QueryContext& ctx) const {
  if (!cfg_.allow_ipv4 && ctx.client().family() == AF_INET) return false;
  return ctx.q().qtype == dns::type::AAAA && ctx.q().qclass == dns::cls::IN;
}

Verdict Dns64::serve(QueryContext& ctx) {
  if (!eligible(ctx)) return ctx.next();
  auto l = std::make_shared<Lookup>();
  l->pos = ctx.position();
  Deferral d = ctx.defer();
  l->pending = std::move(d.query);
  QueryContext& held = l->pending.ctx();
  send_internal(held.worker(), held.chain(), l->pos + 1, held.query_wire(), held.client(),
                held.depth(), [this, l](QueryContext& answered) { aaaa_answered(l, answered); });
  return d.verdict;
}

// RFC 6147 5.1.2: NXDOMAIN is passed on; any other answer without AAAA records (NODATA, or
// an error) is synthesized, and every answer with translate_all.
bool Dns64::needs_synthesis(QueryContext& answered) const {
  if (answered.shape().rcode == dns::rcode::NXDOMAIN) return false;
  if (cfg_.translate_all) return true;
  return !has_aaaa_answer(answered.response());
}

void Dns64::aaaa_answered(const std::shared_ptr<Lookup>& l, QueryContext& answered) {
  QueryContext& ctx = l->pending.ctx();
  if (const QueryError* err = answered.find_slot<QueryError>(); err && !err->text.empty()) {
    l->pending.fail(static_cast<uint8_t>(answered.shape().rcode & 0xf), err->text);
    return;
  }
  if (answered.response().empty()) {  // dropped by a plugin after us: nothing to pass on
    l->pending.reply_rcode(dns::rcode::SERVFAIL);
    return;
  }
  if (!needs_synthesis(answered)) {
    ctx.writable_response() = answered.response();
    l->pending.reply();
    return;
  }
  l->soa_ttl = soa_ttl_of(answered.response());
  pkg::requery(ctx, ctx.q().qname, dns::type::A, l->wire);
  send_internal(ctx.worker(), ctx.chain(), l->pos + 1, l->wire, ctx.client(), ctx.depth(),
                [this, l](QueryContext& a) { a_answered(l, a); });
}

void Dns64::a_answered(const std::shared_ptr<Lookup>& l, QueryContext& answered) {
  QueryContext& ctx = l->pending.ctx();
  if (const QueryError* err = answered.find_slot<QueryError>(); err && !err->text.empty()) {
    l->pending.fail(static_cast<uint8_t>(answered.shape().rcode & 0xf), err->text);
    return;
  }
  std::vector<uint8_t> out;
  if (!synthesize_aaaa(ctx.q(), answered.response(), cfg_.prefix, l->soa_ttl, out)) {
    l->pending.reply_rcode(dns::rcode::SERVFAIL);
    return;
  }
  ctx.writable_response().swap(out);
  translated_.with({cfg_.labels.of(ctx.q().qname_lower)}).inc(ctx.worker().index);
  l->pending.reply();
}

}  // namespace cxxdns::plugins
