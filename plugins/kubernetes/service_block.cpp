#include "plugins/kubernetes/service_block.h"

#include <arpa/inet.h>

#include <algorithm>
#include <map>
#include <optional>
#include <unordered_map>

namespace cxxdns::plugins::k8s {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return s;
}

std::string ip_text(const IpKey& ip) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(ip.v6 ? AF_INET6 : AF_INET, ip.b.data(), buf, sizeof buf);
  return buf;
}

// One answer a name can give: an address and port reached under `target`, as CoreDNS's
// msg.Service; a name's records are made from all of its.
struct Rec {
  IpKey ip;
  int32_t port;
  std::string target;
};

// The endpoint's DNS label: its hostname, else (endpoint_pod_names) its pod's name, else
// its address with dashes.
std::string endpoint_label(const EndpointGroup& g, const EndpointAddr& a) {
  if (a.label_len) return std::string(g.label(a));
  std::string t = ip_text(a.ip);
  std::replace(t.begin(), t.end(), a.ip.v6 ? ':' : '.', '-');
  return t;
}

// "_http._tcp.web.default.svc": the SRV name of a named port.
std::string srv_name(const Port& p, const std::string& base) {
  return "_" + lower(p.name) + "._" + lower(p.protocol) + "." + base;
}

// A name's records before they are packed into the block.
struct Built {
  std::vector<Addr4> a;
  std::vector<Addr6> aaaa;
  std::string cname;
  struct Srv {
    uint16_t weight, port;
    std::string target;
    bool operator==(const Srv&) const = default;
  };
  std::vector<Srv> srv;
  struct Extra {
    std::string owner;
    bool v6;
    Addr6 addr;
    bool operator==(const Extra&) const = default;
  };
  std::vector<Extra> extra;
};

template <typename T>
void add_unique(std::vector<T>& v, T x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(std::move(x));
}

Built finish(const std::vector<Rec>& recs) {
  Built d;
  // CoreDNS weighs SRV records before it removes duplicates: 100 split over every record.
  auto weight = static_cast<uint16_t>(100 / recs.size());
  for (auto& r : recs) {
    if (!r.ip.v6) {
      add_unique(d.a, Addr4{r.ip.b[0], r.ip.b[1], r.ip.b[2], r.ip.b[3]});
    } else {
      add_unique(d.aaaa, r.ip.b);
    }
    if (r.port < 0) continue;  // an endpoint set without ports has no SRV data
    add_unique(d.srv, Built::Srv{weight, static_cast<uint16_t>(r.port), r.target});
    add_unique(d.extra, Built::Extra{r.target, r.ip.v6, r.ip.b});
  }
  return d;
}

// The service's external view (k8s_external), before it is packed.
struct ExtCollect {
  std::string name;  // "svc.ns"
  bool headless = false;
  std::vector<std::string> hosts;  // addresses in text, host names absolute
  std::vector<std::pair<std::string, std::string>> port_names;  // name, protocol (lower case)
  std::vector<int32_t> ports;
};

// What the records of a service's names are made from, name by name.
struct Collect {
  std::map<std::string, std::vector<Rec>> recs;
  std::map<std::string, Built> fixed;                          // names made whole (ExternalName)
  std::vector<std::pair<IpKey, std::string>> svc_ptr, ep_ptr;  // names relative to the zone
  std::optional<ExtCollect> ext;
};

// A service with external addresses, or a headless one, has an external view.
void collect_external(const BlockInput& in, Collect& c) {
  const ServiceObj& s = *in.svc;
  if (s.external.empty() && !s.headless) return;
  ExtCollect e;
  e.name = lower(std::string(in.name) + "." + std::string(in.ns));
  e.headless = s.headless;
  for (const std::string& h : s.external) {
    IpKey ip;
    e.hosts.push_back(parse_ip(h, ip) || h.back() == '.' ? h : h + ".");
  }
  for (const Port& p : s.ports) {
    e.port_names.emplace_back(lower(p.name), lower(p.protocol));
    e.ports.push_back(p.port);
  }
  c.ext = std::move(e);
}

void collect_cluster_ips(const ServiceObj& s, const std::string& base, Collect& c) {
  for (auto& p : s.ports) {
    for (auto& ip : s.cluster_ips) {
      Rec r{ip, p.port, base};
      c.recs[base].push_back(r);
      if (!p.name.empty()) c.recs[srv_name(p, base)].push_back(r);
    }
  }
  for (auto& ip : s.cluster_ips) c.svc_ptr.emplace_back(ip, base);
}

void collect_endpoints(const BlockInput& in, const std::string& base, Collect& c) {
  static const std::vector<Port> no_port{Port{}};
  for (auto* set : in.endpoints) {
    const auto& ports = set->ports.empty() ? no_port : set->ports;
    for (auto& a : set->addrs) {
      if (!a.ready) continue;
      std::string ep = endpoint_label(*set, a) + "." + base;
      for (auto& p : ports) {
        Rec r{a.ip, p.port, ep};
        c.recs[ep].push_back(r);
        if (!in.svc->headless) continue;
        c.recs[base].push_back(r);
        if (!p.name.empty()) c.recs[srv_name(p, base)].push_back(r);
      }
      const std::string& target = ep;
      bool seen = std::any_of(c.ep_ptr.begin(), c.ep_ptr.end(),
                              [&](auto& x) { return x.first == a.ip && x.second == target; });
      if (!seen) c.ep_ptr.emplace_back(a.ip, target);
    }
  }
}

bool empty_service(const BlockInput& in) {
  uint32_t ready = 0;
  for (auto* s : in.endpoints) ready += s->ready_any;
  return ready == 0;
}

// Packs the names' records into one block: strings once in `text`, records in shared arrays.
class Packer {
 public:
  explicit Packer(ServiceBlock& b) : b_(b) {}

  // First every string the block holds, then seal(): the text is made once, so the views
  // into it never move.
  void need(const std::string& s) {
    if (s.empty() || at_.count(s)) return;
    at_.emplace(s, size_);
    order_.push_back(&s);
    size_ += s.size();
  }
  void need(const std::map<std::string, Built>& names, const Collect& c) {
    for (auto& [n, d] : names) {
      need(n);
      need(d.cname);
      for (auto& x : d.srv) need(x.target);
      for (auto& x : d.extra) need(x.owner);
    }
    for (auto& p : c.svc_ptr) need(p.second);
    for (auto& p : c.ep_ptr) need(p.second);
    if (!c.ext) return;
    need(c.ext->name);
    for (auto& h : c.ext->hosts) need(h);
    for (auto& [name, protocol] : c.ext->port_names) {
      need(name);
      need(protocol);
    }
  }
  void seal(const std::map<std::string, Built>& names, const Collect& c) {
    b_.text.reserve(size_);
    for (auto* s : order_) b_.text += *s;
    size_t a4 = 0, a6 = 0, srv = 0, extra = 0;
    for (auto& [n, d] : names) {
      a4 += d.a.size(), a6 += d.aaaa.size(), srv += d.srv.size(), extra += d.extra.size();
    }
    b_.names.reserve(names.size());
    b_.a4.reserve(a4), b_.a6.reserve(a6), b_.srv.reserve(srv), b_.extra.reserve(extra);
    b_.ptrs.reserve(c.svc_ptr.size() + c.ep_ptr.size());
    if (c.ext) {
      b_.ext.reserve(1);
      b_.ext_hosts.reserve(c.ext->hosts.size());
      b_.ext_ports.reserve(c.ext->ports.size());
      b_.ext_ptrs.reserve(c.ext->hosts.size());
    }
  }

  std::string_view view(const std::string& s) const {
    if (s.empty()) return {};
    return {b_.text.data() + at_.at(s), s.size()};
  }

  void add(const std::string& name, const Built& d) {
    NameRecord r;
    r.name = view(name);
    r.data.cname = view(d.cname);
    r.data.a = span(b_.a4, d.a);
    r.data.aaaa = span(b_.a6, d.aaaa);
    size_t at = b_.srv.size();
    for (auto& s : d.srv) b_.srv.push_back({s.weight, s.port, view(s.target)});
    r.data.srv = {b_.srv.data() + at, static_cast<uint32_t>(d.srv.size())};
    at = b_.extra.size();
    for (auto& e : d.extra) b_.extra.push_back({view(e.owner), e.v6, e.addr});
    r.data.extra = {b_.extra.data() + at, static_cast<uint32_t>(d.extra.size())};
    b_.names.push_back(r);
  }

  // The external view; the reverse of each external address names the service.
  void add_external(const ExtCollect& e, uint64_t order) {
    const std::string_view name = view(e.name);
    for (auto& h : e.hosts) {
      ExternalHost host;
      host.is_ip = parse_ip(h, host.ip);
      if (!host.is_ip) {
        host.hostname = view(h);
      } else if (std::none_of(b_.ext_ptrs.begin(), b_.ext_ptrs.end(),
                              [&](auto& p) { return p.ip == host.ip; })) {
        b_.ext_ptrs.push_back(
            {host.ip, PtrName{name.data(), static_cast<uint32_t>(name.size()), true, order}});
      }
      b_.ext_hosts.push_back(host);
    }
    for (size_t i = 0; i < e.ports.size(); ++i) {
      b_.ext_ports.push_back(
          {view(e.port_names[i].first), view(e.port_names[i].second), e.ports[i]});
    }
    b_.ext.push_back({name,
                      e.headless,
                      {b_.ext_hosts.data(), static_cast<uint32_t>(b_.ext_hosts.size())},
                      {b_.ext_ports.data(), static_cast<uint32_t>(b_.ext_ports.size())}});
  }

  void add_ptr(const IpKey& ip, const std::string& name, uint64_t order, bool service) {
    std::string_view v = view(name);
    b_.ptrs.push_back({ip, PtrName{v.data(), static_cast<uint32_t>(v.size()), service, order}});
  }

 private:
  // The arrays were reserved whole by seal(): spans into them stay valid.
  template <typename T>
  static Span<T> span(std::vector<T>& into, const std::vector<T>& from) {
    size_t at = into.size();
    into.insert(into.end(), from.begin(), from.end());
    return {into.data() + at, static_cast<uint32_t>(from.size())};
  }

  ServiceBlock& b_;
  std::unordered_map<std::string, size_t> at_;
  std::vector<const std::string*> order_;
  size_t size_ = 0;
};

std::unique_ptr<ServiceBlock> pack(const Collect& c, uint64_t seq) {
  std::map<std::string, Built> names = c.fixed;
  for (auto& [name, list] : c.recs) names[name] = finish(list);
  auto b = std::make_unique<ServiceBlock>();
  Packer p(*b);
  p.need(names, c);
  p.seal(names, c);
  for (auto& [name, d] : names) p.add(name, d);
  // PTR order: services by the order they came; endpoints after them, in theirs.
  uint64_t order = seq << 20;
  for (auto& [ip, n] : c.svc_ptr) p.add_ptr(ip, n, order, true);
  for (auto& [ip, n] : c.ep_ptr) p.add_ptr(ip, n, ++order, false);
  if (c.ext) p.add_external(*c.ext, seq);
  return b;
}

}  // namespace

bool parse_ip(const std::string& text, IpKey& out) {
  out = IpKey{};
  if (inet_pton(AF_INET, text.c_str(), out.b.data()) == 1) return true;
  out.b = {};
  if (inet_pton(AF_INET6, text.c_str(), out.b.data()) != 1) return false;
  out.v6 = true;
  return true;
}

std::unique_ptr<ServiceBlock> build_block(const BlockInput& in) {
  const ServiceObj& s = *in.svc;
  const IndexOptions& o = *in.options;
  if (!s.selected) return nullptr;
  std::string base = lower(std::string(in.name) + "." + std::string(in.ns) + ".svc");
  Collect c;
  if (!s.external_name.empty()) {
    // An address in externalName is not a name to point at: CoreDNS leaves it out.
    IpKey ip;
    if (parse_ip(s.external_name, ip)) return nullptr;
    Built d;
    d.cname = lower(s.external_name);
    if (d.cname.back() != '.') d.cname += '.';
    d.srv.push_back({100, 0, d.cname});
    c.fixed[base] = d;
    collect_external(in, c);
    return pack(c, s.seq);
  }
  collect_external(in, c);
  if (o.ignore_empty_service && !s.headless && empty_service(in)) {
    // No cluster names; k8s_external still answers for its external addresses (CoreDNS's
    // External() does not look at ignore empty_service).
    return c.ext ? pack(c, s.seq) : nullptr;
  }
  if (!s.headless) collect_cluster_ips(s, base, c);
  collect_endpoints(in, base, c);
  return pack(c, s.seq);
}

}  // namespace cxxdns::plugins::k8s
