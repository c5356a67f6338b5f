#include "plugins/k8s_external/plan.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "core/dns/copy.h"

namespace cxxdns::plugins {

namespace {

dns::Name name_of(const std::string& text) {
  dns::Name n;
  if (!dns::from_text(text, n)) dns::from_text(".", n);
  return n;
}

std::string host_of(const pkg::ExternalService& s) {
  return s.is_ip ? s.ip.text() : s.hostname;
}

Step lookup(const std::string& name, uint16_t qtype, dns::Section section) {
  Step l;
  l.kind = Step::lookup;
  l.section = section;
  l.target = name_of(name);
  l.qtype = qtype;
  return l;
}

// The additional records of one SRV target: its address, or its host name's looked up.
void plan_target(const pkg::ExternalService& s, const dns::Name& target, uint32_t ttl,
                 std::vector<Step>& extra, bool& lookups) {
  if (!s.is_ip) {
    extra.push_back(lookup(s.hostname, dns::type::A, dns::Section::additional));
    extra.push_back(lookup(s.hostname, dns::type::AAAA, dns::Section::additional));
    lookups = true;
    return;
  }
  Step e;
  e.kind = s.ip.len == 4 ? Step::a : Step::aaaa;
  e.section = dns::Section::additional;
  e.ttl = ttl;
  e.owner = target;
  e.ip = s.ip;
  extra.push_back(e);
}

}  // namespace

void plan_addresses(const std::vector<pkg::ExternalService>& svcs, bool v6, uint32_t ttl,
                    Plan& plan) {
  std::set<std::string> seen;
  for (const pkg::ExternalService& s : svcs) {
    // Each address once; each host name once too (CoreDNS repeats its CNAME for every port
    // of the service, which makes an RRset of copies: one is kept).
    if (!seen.insert(host_of(s)).second) continue;
    if (!s.is_ip) {
      Step c;
      c.kind = Step::cname;
      c.ttl = s.ttl;
      c.target = name_of(s.hostname);
      plan.steps.push_back(c);
      plan.steps.push_back(
          lookup(s.hostname, v6 ? dns::type::AAAA : dns::type::A, dns::Section::answer));
      plan.has_lookups = true;
      continue;
    }
    if ((s.ip.len == 16) != v6) continue;
    Step a;
    a.kind = v6 ? Step::aaaa : Step::a;
    a.ttl = ttl;
    a.ip = s.ip;
    plan.steps.push_back(a);
  }
}

void plan_srv(const std::vector<pkg::ExternalService>& svcs, const std::string& zone, uint32_t ttl,
              Plan& plan) {
  // Every service has priority 0 and weight 0 here, which CoreDNS counts as 100: each
  // record gets floor(100 / 100n * 100), at least 1.
  const double total = 100.0 * static_cast<double>(svcs.size());
  auto weight = static_cast<uint16_t>(std::floor(100.0 / total * 100.0));
  if (weight == 0) weight = 1;
  std::set<std::pair<std::string, uint16_t>> srv_seen;
  std::set<std::pair<std::string, std::string>> extra_seen;
  std::vector<Step> extra;
  for (const pkg::ExternalService& s : svcs) {
    if (s.port < 0) continue;  // no port: no SRV record (kubernetes' -1)
    const std::string target = s.is_ip ? s.target + "." + zone : s.hostname;
    Step r;
    r.kind = Step::srv;
    r.ttl = s.ttl;
    r.target = name_of(target);
    r.weight = weight;
    r.port = static_cast<uint16_t>(s.port);
    if (srv_seen.emplace(target, r.port).second) plan.steps.push_back(r);
    if (extra_seen.emplace(target, host_of(s)).second) {
      plan_target(s, r.target, ttl, extra, plan.has_lookups);
    }
  }
  plan.steps.insert(plan.steps.end(), extra.begin(), extra.end());
}

void plan_ptr(const std::vector<std::string>& services, const std::string& first_zone, uint32_t ttl,
              Plan& plan) {
  std::set<std::string> seen;
  for (const std::string& s : services) {
    if (!seen.insert(s).second) continue;
    Step p;
    p.kind = Step::ptr;
    p.ttl = ttl;
    std::string name = s;
    name.append(".").append(first_zone);
    p.target = name_of(name);
    plan.steps.push_back(p);
  }
}

namespace {

// A looked-up answer's answer section, copied; its TC kept for address answers.
bool write_lookup(const Step& s, dns::MessageWriter& w, bool& truncated) {
  if (s.response.size() < dns::kHeaderSize) return true;  // nothing came back
  if (s.section == dns::Section::answer && (dns::get16(&s.response[2]) & dns::flag::TC)) {
    truncated = true;
  }
  bool ok = true;
  const bool walked = dns::walk_records(s.response, [&](const dns::RecordRef& r) {
    if (r.section != dns::Section::answer) return false;
    ok = dns::copy_record(s.response, r, w);
    return ok;
  });
  return walked && ok;
}

}  // namespace

bool write_plan(const Plan& plan, const dns::QueryView& q, dns::MessageWriter& w) {
  bool truncated = false;
  for (const Step& s : plan.steps) {
    w.section(s.section);
    const dns::Name& owner = s.section == dns::Section::answer ? q.qname : s.owner;
    switch (s.kind) {
      case Step::a:
        w.a(owner, s.ttl, s.ip.bytes.data());
        break;
      case Step::aaaa:
        w.aaaa(owner, s.ttl, s.ip.bytes.data());
        break;
      case Step::cname:
        w.name_rr(owner, dns::type::CNAME, s.ttl, s.target);
        break;
      case Step::ptr:
        w.name_rr(owner, dns::type::PTR, s.ttl, s.target);
        break;
      case Step::srv:
        w.begin_rr(owner, dns::type::SRV, dns::cls::IN, s.ttl);
        w.rd_u16(0);
        w.rd_u16(s.weight);
        w.rd_u16(s.port);
        w.rd_name(s.target, false);
        w.end_rr();
        break;
      case Step::lookup:
        if (!write_lookup(s, w, truncated)) return false;
        break;
    }
  }
  if (truncated) w.set_flags(dns::flag::TC);
  return true;
}

}  // namespace cxxdns::plugins
