#include "plugins/etcd/lookup.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "core/dns/constants.h"
#include "core/dns/name.h"

namespace cxxdns::plugins::etcd {
namespace {

namespace type = dns::type;

constexpr int kDefaultPriority = 10;
constexpr uint32_t kDefaultTtl = 300;
constexpr uint32_t kMinTtl = 30;      // the SOA's minimum (CoreDNS's MinTTL for etcd)
constexpr size_t kMaxCnameChain = 7;  // CNAMEs followed before giving up

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// msg.Service's filter: a TXT query takes services with text, the others need a host.
bool included(const Service& s, uint16_t qtype) {
  return (qtype == type::TXT && !s.text.empty()) || !s.host.empty();
}

// A key matches a wildcard query when every label of the query's path that is not "*" or
// "any" is the key's at the same place.
bool matches_wildcard(const std::string& key, const std::vector<std::string>& name_parts) {
  std::vector<std::string_view> key_parts;
  size_t i = 0;
  while (i <= key.size()) {
    size_t j = key.find('/', i);
    if (j == std::string::npos) j = key.size();
    key_parts.emplace_back(key.data() + i, j - i);
    i = j + 1;
  }
  for (size_t n = 0; n < name_parts.size(); ++n) {
    if (n >= key_parts.size()) return false;  // name longer than key
    if (name_parts[n] == "*" || name_parts[n] == "any") continue;
    if (key_parts[n] != name_parts[n]) return false;
  }
  return true;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    out.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

Rr address_rr(const std::string& owner, const Service& s, const pkg::IpAddress& ip) {
  Rr r;
  r.owner = owner;
  r.type = ip.len == 4 ? type::A : type::AAAA;
  r.ttl = s.ttl;
  r.ip = ip;
  return r;
}

Rr name_rr(const std::string& owner, uint16_t t, uint32_t ttl, std::string target) {
  Rr r;
  r.owner = owner;
  r.type = t;
  r.ttl = ttl;
  r.target = std::move(target);
  return r;
}

// The target of an SRV, MX or NS record made from `s`, `targetstrip` applied.
std::string target_of(const Service& s, const std::string& host) {
  std::string t = fqdn(host);
  return s.target_strip > 0 ? strip_labels(t, s.target_strip) : t;
}

bool duplicate_cname(const Rr& r, const std::vector<Rr>& previous) {
  return std::any_of(previous.begin(), previous.end(), [&](const Rr& p) {
    return p.type == type::CNAME && lower(p.owner) == lower(r.owner) &&
           lower(p.target) == lower(r.target);
  });
}

// SRV weights as CoreDNS spreads them: within a priority, each service's share of 100.
std::map<int, int> weight_sums(const std::vector<Service>& sx) {
  std::map<int, int> w;
  for (const auto& s : sx) w[s.priority] += s.weight != 0 ? s.weight : 100;
  return w;
}

uint16_t srv_weight(const Service& s, std::map<int, int>& sums) {
  double w1 = 100.0 / sums[s.priority];
  w1 *= s.weight == 0 ? 100 : s.weight;
  auto w = static_cast<uint16_t>(std::floor(w1));
  return w == 0 ? 1 : w;
}

}  // namespace

Lookup::Lookup(const Store& store, std::string prefix, std::string zone, uint32_t serial)
    : store_(store), prefix_(std::move(prefix)), zone_(std::move(zone)), serial_(serial) {}

Lookup::Status Lookup::services(const std::string& name, bool exact, uint16_t qtype,
                                std::vector<Service>& out) {
  bool star = false;
  std::string path = wildcard_path(name, prefix_, star);
  auto keys = store_.get(path, !exact);
  if (keys.empty()) return Status::name_error;
  auto parts = split_path(name_to_path(name, prefix_));
  for (const auto& k : keys) {
    if (star && !matches_wildcard(*k.key, parts)) continue;
    if (!k.value->service) {
      error_ = k.value->error;
      return Status::failure;
    }
    Service s = *k.value->service;
    if (s.ttl == 0) s.ttl = kDefaultTtl;
    if (s.priority == 0) s.priority = kDefaultPriority;
    if (included(s, qtype)) out.push_back(std::move(s));
  }
  out = group(std::move(out));
  return Status::ok;
}

// At the zone's apex, addresses live under apex.dns.ZONE when that exists.
Lookup::Status Lookup::apex_or_services(const std::string& name, uint16_t qtype,
                                        std::vector<Service>& out) {
  if (name == zone_) {
    std::string apex = zone_ == "." ? "apex.dns." : "apex.dns." + zone_;
    if (services(apex, false, qtype, out) == Status::ok) return Status::ok;
    out.clear();
  }
  return services(name, false, qtype, out);
}

bool Lookup::follow_cname(const Service& s, const std::string& name, const std::string& owner,
                          uint16_t qtype, bool v6, std::vector<Rr>& previous,
                          std::vector<Rr>& out) {
  std::string target = lower(fqdn(s.host));
  if (dns::is_subdomain(target, name)) return false;  // x CNAME x (or below): a loop
  Rr cname = name_rr(owner, type::CNAME, s.ttl, fqdn(s.host));
  if (previous.size() > kMaxCnameChain || duplicate_cname(cname, previous)) return false;
  if (!dns::is_subdomain(target, zone_)) {
    // Out of the zone: the plugin follows it through the server once written (chase.h).
    out.push_back(std::move(cname));
    return true;
  }
  previous.push_back(cname);
  std::vector<Rr> next;
  Status st = qtype == type::TXT ? txt(target, fqdn(s.host), previous, next)
                                 : address(target, fqdn(s.host), qtype, v6, previous, next);
  previous.pop_back();
  if (st == Status::ok && !next.empty()) {
    out.push_back(std::move(cname));
    out.insert(out.end(), next.begin(), next.end());
  }
  return true;
}

Lookup::Status Lookup::address(const std::string& name, const std::string& owner, uint16_t qtype,
                               bool v6, std::vector<Rr>& previous, std::vector<Rr>& out) {
  std::vector<Service> sx;
  Status st = apex_or_services(name, qtype, sx);
  if (st != Status::ok) return st;
  std::set<std::string> seen;
  for (const auto& s : sx) {
    pkg::IpAddress ip;
    HostKind kind = host_kind(s, ip);
    if (kind == HostKind::name) {
      follow_cname(s, name, owner, qtype, v6, previous, out);
    } else if ((kind == HostKind::a && !v6) || (kind == HostKind::aaaa && v6)) {
      if (seen.insert(s.host).second) out.push_back(address_rr(owner, s, ip));
    }
  }
  return Status::ok;
}

Lookup::Status Lookup::txt(const std::string& name, const std::string& owner,
                           std::vector<Rr>& previous, std::vector<Rr>& out) {
  std::vector<Service> sx;
  Status st = services(name, false, type::TXT, sx);
  if (st != Status::ok) return st;
  std::set<std::string> seen;
  for (const auto& s : sx) {
    pkg::IpAddress ip;
    HostKind kind = host_kind(s, ip);
    if (kind == HostKind::name) {
      follow_cname(s, name, owner, type::TXT, false, previous, out);
    } else if (kind == HostKind::text && seen.insert(s.text).second) {
      Rr r;
      r.owner = owner;
      r.type = type::TXT;
      r.ttl = s.ttl;
      r.text = s.text;
      out.push_back(std::move(r));
    }
  }
  return Status::ok;
}

void Lookup::glue(const std::string& target, std::vector<Rr>& extra) {
  std::vector<Rr> previous;
  address(lower(target), target, type::A, false, previous, extra);
}

Lookup::Status Lookup::srv(const std::string& name, const std::string& owner, Answer& a) {
  std::vector<Service> sx;
  Status st = services(name, false, type::SRV, sx);
  if (st != Status::ok) return st;
  auto sums = weight_sums(sx);
  std::set<std::string> looked_up, seen_targets, seen_addresses;
  for (const auto& s : sx) {
    if (s.port == -1) continue;  // no port declared
    pkg::IpAddress ip;
    HostKind kind = host_kind(s, ip);
    if (kind == HostKind::text) continue;
    Rr r = name_rr(owner, type::SRV, s.ttl, "");
    r.priority = static_cast<uint16_t>(s.priority);
    r.weight = srv_weight(s, sums);
    r.port = static_cast<uint16_t>(s.port);
    if (kind == HostKind::name) {
      r.target = target_of(s, s.host);
      a.answer.push_back(r);
      std::string t = lower(r.target);
      if (looked_up.insert(t).second && dns::is_subdomain(t, zone_)) glue(r.target, a.extra);
      continue;
    }
    r.target = target_of(s, key_to_name(s.key, prefix_));
    std::string port_key = lower(r.target) + "#" + std::to_string(r.port);
    if (seen_targets.insert(port_key).second) a.answer.push_back(r);
    if (seen_addresses.insert(lower(r.target) + "@" + s.host).second) {
      a.extra.push_back(address_rr(r.target, s, ip));
    }
  }
  return Status::ok;
}

Lookup::Status Lookup::mx(const std::string& name, const std::string& owner, Answer& a) {
  std::vector<Service> sx;
  Status st = services(name, false, type::MX, sx);
  if (st != Status::ok) return st;
  std::set<std::string> looked_up, seen;
  for (const auto& s : sx) {
    if (!s.mail) continue;
    pkg::IpAddress ip;
    HostKind kind = host_kind(s, ip);
    if (kind == HostKind::text) continue;
    Rr r = name_rr(owner, type::MX, s.ttl, "");
    r.priority = static_cast<uint16_t>(s.priority);
    if (kind == HostKind::name) {
      r.target = target_of(s, s.host);
      a.answer.push_back(r);
      std::string t = lower(r.target);
      if (looked_up.insert(t).second && dns::is_subdomain(t, zone_)) glue(r.target, a.extra);
      continue;
    }
    r.target = target_of(s, key_to_name(s.key, prefix_));
    if (seen.insert(lower(r.target) + "#" + std::to_string(r.priority)).second) {
      a.answer.push_back(r);
    }
    if (seen.insert(lower(r.target) + "@" + s.host).second) {
      a.extra.push_back(address_rr(r.target, s, ip));
    }
  }
  return Status::ok;
}

Lookup::Status Lookup::cname(const std::string& name, const std::string& owner, uint16_t qtype,
                             Answer& a) {
  std::vector<Service> sx;
  Status st = services(name, true, qtype, sx);
  if (st != Status::ok || sx.empty()) return st;
  if (!pkg::IpAddress::parse(sx[0].host)) {
    a.answer.push_back(name_rr(owner, qtype, sx[0].ttl, fqdn(sx[0].host)));
  }
  if (qtype == type::PTR) {  // PTR takes every named host, CNAME the first
    a.answer.clear();
    std::set<std::string> seen;
    for (const auto& s : sx) {
      if (!pkg::IpAddress::parse(s.host) && seen.insert(s.host).second) {
        a.answer.push_back(name_rr(owner, type::PTR, s.ttl, fqdn(s.host)));
      }
    }
  }
  return Status::ok;
}

// The zone's NS records live under ns.dns.ZONE, each an address: the server's name is its
// key's, with the address as glue.
Lookup::Status Lookup::ns(const std::string& owner, Answer& a) {
  std::vector<Service> sx;
  Status st = services(zone_ == "." ? "ns.dns." : "ns.dns." + zone_, false, type::NS, sx);
  if (st != Status::ok) return st;
  std::set<std::string> seen;
  for (const auto& s : sx) {
    pkg::IpAddress ip;
    HostKind kind = host_kind(s, ip);
    if (kind != HostKind::a && kind != HostKind::aaaa) {
      error_ = "NS record must be an IP address: " + s.host;
      return Status::failure;
    }
    std::string target = target_of(s, key_to_name(s.key, prefix_));
    a.extra.push_back(address_rr(target, s, ip));
    if (seen.insert(lower(target)).second)
      a.answer.push_back(name_rr(owner, type::NS, s.ttl, target));
  }
  return Status::ok;
}

Rr Lookup::soa() const {
  Rr r;
  r.owner = zone_;
  r.type = type::SOA;
  r.ttl = kMinTtl;
  std::string suffix = zone_ == "." ? "" : zone_;
  r.target = "ns.dns." + suffix;
  r.text = "hostmaster." + suffix;
  r.serial = serial_;
  return r;
}

Answer Lookup::finish(Status st, Answer a) {
  if (st == Status::failure) {
    a.rcode = dns::rcode::SERVFAIL;
    a.error = error_;
  } else if (st == Status::name_error) {
    a.rcode = dns::rcode::NXDOMAIN;
  }
  if (a.rcode != dns::rcode::NOERROR || a.answer.empty()) {
    a.answer.clear();
    a.extra.clear();
    a.authority.push_back(soa());
  }
  return a;
}

Answer Lookup::answer(const std::string& qname, const std::string& owner, uint16_t qtype) {
  Answer a;
  std::vector<Rr> previous;
  Status st = Status::ok;
  switch (qtype) {
    case type::A:
    case type::AAAA:
      st = address(qname, owner, qtype, qtype == type::AAAA, previous, a.answer);
      break;
    case type::TXT:
      st = txt(qname, owner, previous, a.answer);
      break;
    case type::CNAME:
    case type::PTR:
      st = cname(qname, owner, qtype, a);
      break;
    case type::MX:
      st = mx(qname, owner, a);
      break;
    case type::SRV:
      st = srv(qname, owner, a);
      break;
    case type::SOA:
      a.answer.push_back(soa());
      break;
    default:
      if (qtype == type::NS && qname == zone_) {
        st = ns(owner, a);
        break;
      }
      // Only to tell NODATA from NXDOMAIN.
      std::vector<Rr> ignored;
      st = address(qname, owner, qtype, false, previous, ignored);
  }
  return finish(st, std::move(a));
}

}  // namespace cxxdns::plugins::etcd
