#include "plugins/k8s_external/k8s_external.h"

#include <algorithm>

#include "core/dns/reverse.h"
#include "core/dns/writer.h"
#include "core/plugin/internal_query.h"
#include "plugins/pkg/requery.h"
#include "plugins/pkg/trace.h"

namespace cxxdns::plugins {

namespace {

// "LABEL.APEX.ZONE" ("ns1.dns.example.org.").
std::string join(std::string_view label, std::string_view apex, const std::string& zone) {
  std::string s(label);
  s += '.';
  s += apex;
  if (zone != ".")
    s += '.' + zone;
  else
    s += '.';
  return s;
}

// `name` below `zone` (both canonical, `name` longer), without the final dot: "ns1.dns".
std::string_view relative(std::string_view name, const std::string& zone) {
  name.remove_suffix(zone == "." ? 1 : zone.size() + 1);
  return name;
}

int labels(std::string_view rel) {
  return rel.empty() ? 0 : static_cast<int>(std::count(rel.begin(), rel.end(), '.')) + 1;
}

}  // namespace

K8sExternal::K8sExternal(ExternalConfig cfg) : cfg_(std::move(cfg)), zones_(cfg_.zones) {}

void K8sExternal::start(const BlockConfig& block) {
  // As CoreDNS: a block without kubernetes (or one that offers nothing) leaves the plugin
  // passing every query on.
  source_ = dynamic_cast<pkg::ExternalSource*>(find_plugin(block, "kubernetes"));
}

dns::Name K8sExternal::in_apex(std::string_view label, const std::string& zone) const {
  dns::Name n;
  dns::from_text(join(label, cfg_.apex, zone), n);
  return n;
}

void K8sExternal::soa(dns::MessageWriter& w, QueryContext& ctx, int zone) {
  const std::string& z = zones_.text(zone);
  dns::Name owner;
  dns::from_text(z, owner);
  w.begin_rr(owner, dns::type::SOA, dns::cls::IN, cfg_.ttl);
  w.rd_name(in_apex("ns1", z));
  w.rd_name(in_apex("hostmaster", z));
  w.rd_u32(source_->external_serial(ctx));
  w.rd_u32(7200);
  w.rd_u32(1800);
  w.rd_u32(86400);
  w.rd_u32(cfg_.ttl);
  w.end_rr();
}

Verdict K8sExternal::negative(QueryContext& ctx, int zone, uint8_t rcode) {
  dns::MessageWriter w(ctx.writable_response());
  w.start_reply(ctx.q(), rcode, true);
  w.section(dns::Section::authority);
  soa(w, ctx, zone);
  return ctx.reply();
}

Verdict K8sExternal::serve(QueryContext& ctx) {
  const int zone = zones_.match(ctx.q().qname_lower);
  if (zone < 0 || !source_) return ctx.next();
  const std::string_view name = ctx.qname_text();
  for (const std::string& z : cfg_.zones) {
    if (name == z) return serve_apex(ctx, zone);
    const std::string sub = join("", cfg_.apex, z).substr(1);  // "dns.example.org."
    if (dns::is_subdomain(name, sub)) {
      // Counted below the zone the name matched (CoreDNS's state.Zone).
      return serve_sub_apex(ctx, zone, labels(relative(name, zones_.text(zone))));
    }
  }
  return serve_services(ctx, zone);
}

Verdict K8sExternal::serve_apex(QueryContext& ctx, int zone) {
  const dns::QueryView& q = ctx.q();
  const std::string& z = zones_.text(zone);
  dns::MessageWriter w(ctx.writable_response());
  w.start_reply(q, dns::rcode::NOERROR, true);
  if (q.qtype == dns::type::SOA) {
    soa(w, ctx, zone);
  } else if (q.qtype == dns::type::NS) {
    dns::Name owner;
    dns::from_text(z, owner);
    w.name_rr(owner, dns::type::NS, cfg_.ttl, in_apex("ns1", z));
    // The name server's addresses, named after the query (in its case), as CoreDNS.
    std::vector<pkg::IpAddress> addrs;
    source_->external_addresses(ctx, addrs);
    w.section(dns::Section::additional);
    dns::Name glue;
    dns::from_text(join("ns1", cfg_.apex, dns::to_text(q.qname)), glue);
    for (const pkg::IpAddress& a : addrs) {
      if (a.len == 4)
        w.a(glue, cfg_.ttl, a.bytes.data());
      else
        w.aaaa(glue, cfg_.ttl, a.bytes.data());
    }
  } else {
    w.section(dns::Section::authority);
    soa(w, ctx, zone);
  }
  return ctx.reply();
}

Verdict K8sExternal::serve_sub_apex(QueryContext& ctx, int zone, int below) {
  const dns::QueryView& q = ctx.q();
  // APEX itself exists without data; ns1.APEX has the name server's addresses; nothing else.
  if (below == 1) return negative(ctx, zone, dns::rcode::NOERROR);
  const std::string_view name = ctx.qname_text();
  if (below != 2 || !name.starts_with("ns1.")) return negative(ctx, zone, dns::rcode::NXDOMAIN);
  std::vector<pkg::IpAddress> addrs;
  source_->external_addresses(ctx, addrs);
  dns::MessageWriter w(ctx.writable_response());
  w.start_reply(q, dns::rcode::NOERROR, true);
  bool any = false;
  for (const pkg::IpAddress& a : addrs) {
    if (q.qtype == dns::type::A && a.len == 4) {
      w.a(q.qname, cfg_.ttl, a.bytes.data());
      any = true;
    } else if (q.qtype == dns::type::AAAA && a.len == 16) {
      w.aaaa(q.qname, cfg_.ttl, a.bytes.data());
      any = true;
    }
  }
  if (!any) {
    w.section(dns::Section::authority);
    soa(w, ctx, zone);
  }
  return ctx.reply();
}

uint8_t K8sExternal::reverse(QueryContext& ctx, std::string_view rel,
                             std::vector<pkg::ExternalService>& out) {
  out.clear();
  uint8_t addr[16];
  const int family = dns::parse_reverse_name(ctx.qname_text(), addr);
  if (family != 0) {
    pkg::IpAddress ip;
    ip.len = family == 4 ? 4 : 16;
    std::copy(addr, addr + ip.len, ip.bytes.begin());
    std::vector<std::string> names;
    source_->external_reverse(ctx, ip, names);
    for (auto& n : names) {
      pkg::ExternalService s;
      s.target = std::move(n);
      out.push_back(std::move(s));
    }
    return out.empty() ? dns::rcode::NXDOMAIN : dns::rcode::NOERROR;
  }
  // Not an address: the rcode of the name as a service name, with no records.
  const uint8_t rcode = source_->external(ctx, rel, cfg_.headless, out);
  const bool found = !out.empty();
  out.clear();
  return found ? dns::rcode::NOERROR : rcode;
}

Verdict K8sExternal::serve_services(QueryContext& ctx, int zone) {
  const dns::QueryView& q = ctx.q();
  const std::string& z = zones_.text(zone);
  const std::string_view rel = relative(ctx.qname_text(), z);
  std::vector<pkg::ExternalService> svcs;
  const uint8_t rcode = q.qtype == dns::type::PTR
                            ? reverse(ctx, rel, svcs)
                            : source_->external(ctx, rel, cfg_.headless, svcs);
  if (svcs.empty()) {
    if (rcode == dns::rcode::NXDOMAIN && cfg_.fallthrough.through(q.qname_lower)) {
      pkg::note(ctx, "k8s_external", "NXDOMAIN, fallthrough");
      return ctx.next();
    }
    return negative(ctx, zone, rcode);
  }
  auto plan = std::make_shared<Plan>();
  if (q.qtype == dns::type::A || q.qtype == dns::type::AAAA) {
    plan_addresses(svcs, q.qtype == dns::type::AAAA, cfg_.ttl, *plan);
  } else if (q.qtype == dns::type::SRV) {
    plan_srv(svcs, z, cfg_.ttl, *plan);
  } else if (q.qtype == dns::type::PTR) {
    std::vector<std::string> names;
    names.reserve(svcs.size());
    for (auto& s : svcs) names.push_back(s.target);
    plan_ptr(names, cfg_.zones.front(), cfg_.ttl, *plan);
  }
  return run(ctx, zone, plan);
}

Verdict K8sExternal::run(QueryContext& ctx, int zone, const std::shared_ptr<Plan>& plan) {
  plan->zone = zone;
  plan->pos = ctx.position();
  if (!plan->has_lookups) {
    dns::MessageWriter w(ctx.writable_response());
    w.start_reply(ctx.q(), dns::rcode::NOERROR, true);
    write_plan(*plan, ctx.q(), w);
    // Data, but none of the type asked: NODATA.
    if (w.buffer().size() >= dns::kHeaderSize && dns::get16(w.buffer().data() + 6) == 0) {
      w.section(dns::Section::authority);
      soa(w, ctx, zone);
    }
    return ctx.reply();
  }
  Deferral d = ctx.defer();
  plan->pending = std::move(d.query);
  lookup_next(plan, 0);
  return d.verdict;
}

void K8sExternal::lookup_next(const std::shared_ptr<Plan>& plan, size_t step) {
  QueryContext& ctx = plan->pending.ctx();
  while (step < plan->steps.size() && plan->steps[step].kind != Step::lookup) ++step;
  if (step == plan->steps.size()) {
    dns::MessageWriter w(ctx.writable_response());
    w.start_reply(ctx.q(), dns::rcode::NOERROR, true);
    if (!write_plan(*plan, ctx.q(), w)) {
      plan->pending.reply_rcode(dns::rcode::SERVFAIL);
      return;
    }
    if (dns::get16(w.buffer().data() + 6) == 0) {
      w.section(dns::Section::authority);
      soa(w, ctx, plan->zone);
    }
    plan->pending.reply();
    return;
  }
  // Through the whole chain, as CoreDNS's upstream.Lookup asks the whole server.
  pkg::requery(ctx, plan->steps[step].target, plan->steps[step].qtype, plan->wire);
  send_internal(ctx.worker(), ctx.chain(), 0, plan->wire, ctx.client(), ctx.depth(),
                [this, plan, step](QueryContext& answered) {
                  plan->steps[step].response = answered.response();
                  lookup_next(plan, step + 1);
                });
}

}  // namespace cxxdns::plugins
