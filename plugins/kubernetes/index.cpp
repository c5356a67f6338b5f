#include "plugins/kubernetes/index.h"

#include "core/dns/reverse.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>

namespace cxxdns::plugins::k8s {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return s;
}

struct Ip {
  bool ok = false, v6 = false;
  Addr6 b{};
};

Ip parse_ip(const std::string& s) {
  Ip ip;
  if (inet_pton(AF_INET, s.c_str(), ip.b.data()) == 1) {
    ip.ok = true;
  } else if (inet_pton(AF_INET6, s.c_str(), ip.b.data()) == 1) {
    ip.ok = ip.v6 = true;
  }
  return ip;
}

std::string ip_text(const Ip& ip) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(ip.v6 ? AF_INET6 : AF_INET, ip.b.data(), buf, sizeof buf);
  return buf;
}

// One answer a name can give: an address and port reached under `target`, as CoreDNS's
// msg.Service; a name's records are made from all of its.
struct Rec {
  Ip ip;
  int32_t port;
  std::string target;
};

std::string pod_key(std::string_view ns, const Ip& ip) {
  std::string k(ns);
  k += '/';
  k.append(reinterpret_cast<const char*>(ip.b.data()), ip.v6 ? 16 : 4);
  return k;
}

// The endpoint's DNS label: its hostname, else (endpoint_pod_names) its pod's name, else
// its address with dashes.
std::string endpoint_label(const EndpointAddress& a, const Ip& ip, bool pod_names) {
  if (!a.hostname.empty()) return lower(a.hostname);
  if (pod_names && !a.pod_name.empty()) return lower(a.pod_name);
  std::string t = ip_text(ip);
  std::replace(t.begin(), t.end(), ip.v6 ? ':' : '.', '-');
  return t;
}

// "_http._tcp.web.default.svc": the SRV name of a named port.
std::string srv_name(const Port& p, const std::string& base) {
  std::string n;
  n.reserve(p.name.size() + p.protocol.size() + base.size() + 4);
  n.append(1, '_').append(lower(p.name)).append("._").append(lower(p.protocol));
  n.append(1, '.').append(base);
  return n;
}

NameData finish(const std::vector<Rec>& recs) {
  NameData d;
  // CoreDNS weighs SRV records before it removes duplicates: 100 split over every record.
  uint16_t weight = static_cast<uint16_t>(100 / recs.size());
  for (auto& r : recs) {
    if (!r.ip.v6) {
      Addr4 a{r.ip.b[0], r.ip.b[1], r.ip.b[2], r.ip.b[3]};
      if (std::find(d.a.begin(), d.a.end(), a) == d.a.end()) d.a.push_back(a);
    } else if (std::find(d.aaaa.begin(), d.aaaa.end(), r.ip.b) == d.aaaa.end()) {
      d.aaaa.push_back(r.ip.b);
    }
    if (r.port < 0) continue;  // an endpoint set without ports has no SRV data
    SrvData s{weight, static_cast<uint16_t>(r.port), r.target};
    if (std::none_of(d.srv.begin(), d.srv.end(), [&](const SrvData& x) {
          return x.weight == s.weight && x.port == s.port && x.target == s.target;
        })) {
      d.srv.push_back(std::move(s));
    }
    ExtraData e{r.target, r.ip.v6, r.ip.b};
    if (std::none_of(d.extra.begin(), d.extra.end(), [&](const ExtraData& x) {
          return x.owner == e.owner && x.v6 == e.v6 && x.addr == e.addr;
        })) {
      d.extra.push_back(std::move(e));
    }
  }
  return d;
}

}  // namespace

ClusterIndex build_index(const ClusterState& st, const IndexOptions& o) {
  ClusterIndex x;
  x.pods = o.pods;
  x.serial = st.modified;
  x.names[""];
  x.names["svc"];
  x.names["pod"];
  for (auto& ns : st.namespaces) {
    if (!o.namespaces.empty() &&
        std::find(o.namespaces.begin(), o.namespaces.end(), ns.name) == o.namespaces.end())
      continue;
    if (!o.namespace_labels.matches(ns.labels)) continue;
    x.namespaces[lower(ns.name)] = true;
    x.names[lower(ns.name) + ".svc"];
  }
  auto exposed = [&](const std::string& ns) { return x.namespaces.contains(lower(ns)); };

  // Endpoint sets by service; where EndpointSlices exist, v1 Endpoints (the same data,
  // mirrored) are left out.
  std::map<std::string, std::vector<const EndpointSet*>> eps;
  if (o.endpoints) {
    std::map<std::string, bool> has_slice;
    for (auto& e : st.endpoints) {
      if (e.from_slice) has_slice[e.ns + "/" + e.service] = true;
    }
    for (auto& e : st.endpoints) {
      std::string key = e.ns + "/" + e.service;
      if (!e.from_slice && has_slice.count(key)) continue;
      if (!o.labels.matches(e.labels)) continue;
      eps[key].push_back(&e);
    }
  }

  std::map<std::string, std::vector<Rec>> recs;
  std::map<std::string, std::vector<std::string>> ep_ptr;
  static const std::vector<const EndpointSet*> none;
  for (auto& svc : st.services) {
    if (!exposed(svc.ns) || !o.labels.matches(svc.labels)) continue;
    std::string base = lower(svc.name + "." + svc.ns + ".svc");
    std::string abs_base = base + "." + o.primary_zone;
    auto it = eps.find(svc.ns + "/" + svc.name);
    const auto& sets = it == eps.end() ? none : it->second;

    if (!svc.external_name.empty()) {
      // An address in externalName is not a name to point at: CoreDNS leaves it out.
      if (parse_ip(svc.external_name).ok) continue;
      std::string target = lower(svc.external_name);
      if (target.back() != '.') target += '.';
      NameData& d = x.names[base];
      d.cname = target;
      d.srv.push_back({100, 0, target});
      continue;
    }
    if (o.ignore_empty_service && !svc.headless) {
      size_t ready = 0;
      for (auto* s : sets)
        for (auto& a : s->addresses) ready += a.ready;
      if (ready == 0) continue;
    }
    if (!svc.headless) {
      for (auto& p : svc.ports) {
        for (auto& ipt : svc.cluster_ips) {
          Ip ip = parse_ip(ipt);
          if (!ip.ok) continue;
          Rec r{ip, p.port, base};
          recs[base].push_back(r);
          if (!p.name.empty()) recs[srv_name(p, base)].push_back(r);
        }
      }
      for (auto& ipt : svc.cluster_ips) {
        Ip ip = parse_ip(ipt);
        if (!ip.ok) continue;
        auto& names = x.ptr[cxxdns::dns::reverse_name(ip.b.data(), ip.v6 ? 16 : 4)];
        if (names.empty()) names.push_back(abs_base);  // the first service with the address
      }
    }
    for (auto* set : sets) {
      static const std::vector<Port> sentinel{Port{}};
      const auto& ports = set->ports.empty() ? sentinel : set->ports;
      for (auto& a : set->addresses) {
        if (!a.ready) continue;
        Ip ip = parse_ip(a.ip);
        if (!ip.ok) continue;
        std::string ep = endpoint_label(a, ip, o.endpoint_pod_names) + "." + base;
        for (auto& p : ports) {
          Rec r{ip, p.port, ep};
          recs[ep].push_back(r);
          if (!svc.headless) continue;
          recs[base].push_back(r);
          if (!p.name.empty()) recs[srv_name(p, base)].push_back(r);
        }
        auto& names = ep_ptr[cxxdns::dns::reverse_name(ip.b.data(), ip.v6 ? 16 : 4)];
        std::string target = ep + "." + o.primary_zone;
        if (std::find(names.begin(), names.end(), target) == names.end()) names.push_back(target);
      }
    }
  }
  for (auto& [name, list] : recs) x.names[name] = finish(list);
  // Service addresses win over endpoint addresses, as in CoreDNS.
  for (auto& [rev, names] : ep_ptr) {
    if (!x.ptr.contains(rev)) x.ptr[rev] = names;
  }
  for (auto& pod : st.pods) {
    for (auto& ipt : pod.ips) {
      Ip ip = parse_ip(ipt);
      if (ip.ok) x.pod_ips[pod_key(pod.ns, ip)] = true;
    }
  }
  return x;
}

PodAnswer ClusterIndex::pod(std::string_view rel) const {
  PodAnswer out;
  // Labels from the right: "pod", namespace, pod label, then at most two more (which
  // CoreDNS parses as port and protocol, and ignores for pods).
  std::string_view labels[6];
  int n = 0;
  std::string_view rest = rel;
  while (!rest.empty()) {
    if (n == 6) return out;  // too long a name
    size_t dot = rest.rfind('.');
    labels[n++] = dot == std::string_view::npos ? rest : rest.substr(dot + 1);
    rest = dot == std::string_view::npos ? std::string_view() : rest.substr(0, dot);
  }
  if (n > 5) return out;
  if (n == 1) return {PodAnswer::nodata};
  if (pods == PodMode::disabled) return out;
  std::string_view ns = labels[1];
  if (!namespaces.contains(ns)) return out;
  if (n == 2) return {PodAnswer::nodata};
  std::string_view label = labels[2];
  if (label.size() > 45) return out;
  // "1-2-3-4" is an IPv4 address; anything else with dashes an IPv6 one ("fd00--1").
  char text[48];
  size_t dashes = std::count(label.begin(), label.end(), '-');
  bool v4 = dashes == 3 && label.find("--") == std::string_view::npos;
  for (size_t i = 0; i < label.size(); ++i) text[i] = label[i] == '-' ? (v4 ? '.' : ':') : label[i];
  text[label.size()] = 0;
  Ip ip;
  if (v4 && inet_pton(AF_INET, text, ip.b.data()) == 1) {
    ip.ok = true;
  } else if (!v4 && inet_pton(AF_INET6, text, ip.b.data()) == 1) {
    ip.ok = ip.v6 = true;
  }
  if (!ip.ok) return out;
  if (pods == PodMode::verified) {
    char key[64 + 17];
    if (ns.size() > 64) return out;
    std::memcpy(key, ns.data(), ns.size());
    key[ns.size()] = '/';
    std::memcpy(key + ns.size() + 1, ip.b.data(), ip.v6 ? 16 : 4);
    if (!pod_ips.contains(std::string_view(key, ns.size() + 1 + (ip.v6 ? 16 : 4)))) return out;
  }
  out.kind = ip.v6 ? PodAnswer::v6 : PodAnswer::v4;
  out.addr = ip.b;
  return out;
}

}  // namespace cxxdns::plugins::k8s
