#include "plugins/local/local.h"

#include <cstring>

#include "core/dns/text.h"
#include "core/dns/writer.h"
#include "core/log/log.h"

namespace cxxdns::plugins {

namespace {

constexpr uint32_t kTtl = 604800;
const uint8_t kLoopback4[4] = {127, 0, 0, 1};
const uint8_t kLoopback6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

const dns::Name& localhost_target() {
  static const dns::Name n = [] {
    dns::Name x;
    dns::from_text("localhost.", x);
    return x;
  }();
  return n;
}

// CoreDNS's SOA of these zones: localhost. root.localhost. 1 0 0 0 604800.
void soa(dns::MessageWriter& w, const dns::Name& owner) {
  w.begin_rr(owner, dns::type::SOA, dns::cls::IN, kTtl);
  w.rd_name(localhost_target());
  dns::Name n;
  dns::from_text("root.localhost.", n);
  w.rd_name(n);
  w.rd_u32(1);
  w.rd_u32(0);
  w.rd_u32(0);
  w.rd_u32(0);
  w.rd_u32(kTtl);
  w.end_rr();
}

// The last `labels` labels of `n` (the zone part of a name, in the query's case).
dns::Name suffix(const dns::Name& n, int labels) {
  int skip = n.label_count() - labels;
  size_t at = 0;
  for (; skip > 0; --skip) at += n.data[at] + 1;
  dns::Name out;
  out.len = static_cast<uint8_t>(n.len - at);
  std::memcpy(out.data, n.data + at, out.len);
  return out;
}

}  // namespace

Local::Local(bool localhost_prefix)
    : localhost_prefix_(localhost_prefix),
      zones_({"localhost.", "0.in-addr.arpa.", "127.in-addr.arpa.", "255.in-addr.arpa."}),
      localhost_requests_(metrics::Registry::global()
                              .counter("coredns_local_localhost_requests_total",
                                       "Counter of localhost.<domain> requests.")
                              .with(std::vector<std::string>{})) {}

Verdict Local::serve(QueryContext& ctx) {
  const std::string_view name = ctx.qname_text();
  constexpr std::string_view kLocalhost = "localhost.";
  if (name.size() > kLocalhost.size()) {
    // RFC 6761 6.3: every name under localhost is the loopback; and, unless switched off,
    // any name whose first label is localhost ("localhost.example.net."), as CoreDNS.
    const bool under = name.ends_with(".localhost.");
    const bool prefixed = localhost_prefix_ && name.starts_with(kLocalhost);
    if (under || prefixed) return localhost_name(ctx);
  }
  const int zone = zones_.match(ctx.q().qname_lower);
  if (zone < 0) return ctx.next();
  return in_zone(ctx, zone);
}

Verdict Local::localhost_name(QueryContext& ctx) {
  const dns::QueryView& q = ctx.q();
  if (log::debug_enabled()) {
    char buf[16];
    log::debug("plugin/local: Intercepting localhost query for \"{}\" {}, from {}",
               ctx.qname_text(), dns::type_name(q.qtype, buf), ctx.client().ip());
  }
  localhost_requests_.inc(ctx.worker().index);
  dns::MessageWriter w(ctx.writable_response());
  w.start_reply(q, dns::rcode::NOERROR, false);
  if (q.qtype == dns::type::A) {
    w.a(q.qname, kTtl, kLoopback4);
  } else if (q.qtype == dns::type::AAAA) {
    w.aaaa(q.qname, kTtl, kLoopback6);
  } else {
    w.section(dns::Section::authority);
    soa(w, q.qname);
  }
  return ctx.reply();
}

Verdict Local::in_zone(QueryContext& ctx, int zone) {
  const dns::QueryView& q = ctx.q();
  const std::string_view name = ctx.qname_text();
  dns::MessageWriter w(ctx.writable_response());
  w.start_reply(q, dns::rcode::NOERROR, false);
  const dns::Name zone_name = suffix(q.qname, zones_.name(zone).label_count());
  if (name == zones_.text(zone)) {
    // The apexes: localhost has addresses; every apex has its SOA and NS; the rest NODATA.
    const bool localhost = name == "localhost.";
    if (q.qtype == dns::type::A && localhost) {
      w.a(q.qname, kTtl, kLoopback4);
    } else if (q.qtype == dns::type::AAAA && localhost) {
      w.aaaa(q.qname, kTtl, kLoopback6);
    } else if (q.qtype == dns::type::SOA) {
      soa(w, q.qname);
    } else if (q.qtype == dns::type::NS) {
      w.name_rr(q.qname, dns::type::NS, kTtl, localhost_target());
    } else {
      w.section(dns::Section::authority);
      soa(w, q.qname);
    }
  } else if (name == "1.0.0.127.in-addr.arpa.") {
    if (q.qtype == dns::type::PTR) {
      w.name_rr(q.qname, dns::type::PTR, kTtl, localhost_target());
    } else {
      w.section(dns::Section::authority);
      soa(w, zone_name);
    }
  } else {
    // Nothing else exists in these zones.
    w.set_rcode(dns::rcode::NXDOMAIN);
    w.section(dns::Section::authority);
    soa(w, zone_name);
  }
  return ctx.reply();
}

}  // namespace cxxdns::plugins
