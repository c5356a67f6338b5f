// What the kubernetes plugin offers the plugins of its block that work with it, through the
// interfaces of plugins/pkg: autopath's search paths (search_path.h) and k8s_external's
// services (external.h), as CoreDNS's AutoPath and External* methods.
#include <algorithm>

#include "core/dns/constants.h"
#include "plugins/kubernetes/kubernetes.h"

namespace cxxdns::plugins::k8s {

namespace {

IpKey key_of(std::span<const uint8_t> bytes) {
  IpKey k;
  k.v6 = bytes.size() == 16;
  std::copy(bytes.begin(), bytes.end(), k.b.begin());
  return k;
}

pkg::IpAddress address_of(const IpKey& k) {
  pkg::IpAddress a;
  a.len = static_cast<uint8_t>(k.size());
  std::copy(k.b.begin(), k.b.begin() + a.len, a.bytes.begin());
  return a;
}

// The labels of `rel` from the right ("_http._tcp.web.prod": prod, web, _tcp, _http).
std::vector<std::string_view> labels_from_right(std::string_view rel) {
  std::vector<std::string_view> out;
  while (!rel.empty()) {
    const size_t dot = rel.rfind('.');
    out.push_back(dot == std::string_view::npos ? rel : rel.substr(dot + 1));
    rel = dot == std::string_view::npos ? std::string_view() : rel.substr(0, dot);
  }
  return out;
}

std::string_view strip_underscore(std::string_view s) {
  if (!s.empty() && s.front() == '_') s.remove_prefix(1);
  return s;
}

// CoreDNS's matchPortAndProtocol: an empty query part matches anything.
bool matches(std::string_view want, std::string_view have) {
  return want.empty() || want == have;
}

// What a name below the external zone asks: NAMESPACE, SERVICE.NAMESPACE,
// ENDPOINT.SERVICE.NAMESPACE or _PORT._PROTOCOL.SERVICE.NAMESPACE.
struct ExternalName {
  std::string_view ns, service, endpoint, port, protocol;
  bool too_long = false;
};

ExternalName split(std::string_view rel) {
  ExternalName n;
  const auto labels = labels_from_right(rel);
  if (labels.empty()) return n;
  n.ns = labels[0];
  if (labels.size() > 1) n.service = labels[1];
  if (labels.size() == 3) n.endpoint = strip_underscore(labels[2]);
  if (labels.size() == 4) {
    n.protocol = strip_underscore(labels[2]);
    n.port = strip_underscore(labels[3]);
  }
  n.too_long = labels.size() > 4;
  return n;
}

// The records kubernetes itself answers `data` (a name of the cluster zone) with, as
// k8s_external's services: each SRV record's port with each address of its target, then the
// addresses no SRV record reaches (endpoints without ports). Targets lose their ".svc".
void from_cluster_name(const NameData& data, uint32_t ttl, std::vector<pkg::ExternalService>& out) {
  auto target = [](std::string_view t) {
    if (t.ends_with(".svc")) t.remove_suffix(4);
    return std::string(t);
  };
  for (const SrvData& s : data.srv()) {
    for (const ExtraData& e : data.extra()) {
      if (data.owner(e) != data.target(s)) continue;
      pkg::ExternalService svc;
      svc.ip.len = e.v6 ? 16 : 4;
      std::copy(e.addr.begin(), e.addr.begin() + svc.ip.len, svc.ip.bytes.begin());
      svc.port = s.port;
      svc.ttl = ttl;
      svc.target = target(data.target(s));
      out.push_back(std::move(svc));
    }
  }
  auto add_portless = [&](std::span<const uint8_t> addr) {
    const bool seen = std::any_of(out.begin(), out.end(), [&](const pkg::ExternalService& x) {
      return std::equal(addr.begin(), addr.end(), x.ip.span().begin(), x.ip.span().end());
    });
    if (seen) return;
    pkg::ExternalService svc;
    svc.ttl = ttl;
    svc.ip.len = static_cast<uint8_t>(addr.size());
    std::copy(addr.begin(), addr.end(), svc.ip.bytes.begin());
    out.push_back(std::move(svc));
  };
  for (const Addr4& a : data.a()) add_portless(a);
  for (const Addr6& a : data.aaaa()) add_portless(a);
}

// A headless service's endpoints (or one endpoint, or an SRV name's), from the names
// kubernetes answers for them in the cluster zone.
uint8_t headless_endpoints(const ClusterIndex& x, const ExternalName& n, const std::string& svc_ns,
                           uint32_t ttl, std::vector<pkg::ExternalService>& out) {
  std::string name = svc_ns + ".svc";
  if (!n.endpoint.empty()) {
    name = std::string(n.endpoint) + "." + name;
  } else if (!n.port.empty()) {
    name = "_" + std::string(n.port) + "._" + std::string(n.protocol) + "." + name;
  }
  if (const NameData* data = x.find_name(name)) from_cluster_name(*data, ttl, out);
  return out.empty() ? dns::rcode::NXDOMAIN : dns::rcode::NOERROR;
}

// A service's external addresses (or host names), one per port the name asks for.
uint8_t external_hosts(const ExternalRecord& rec, const ExternalName& n, const std::string& svc_ns,
                       uint32_t ttl, std::vector<pkg::ExternalService>& out) {
  for (const ExternalHost& h : rec.hosts) {
    for (const ExternalPort& p : rec.ports) {
      if (!matches(n.port, p.name) || !matches(n.protocol, p.protocol)) continue;
      pkg::ExternalService s;
      s.is_ip = h.is_ip;
      if (h.is_ip) s.ip = address_of(h.ip);
      s.hostname = std::string(h.hostname);
      s.port = p.port;
      s.ttl = ttl;
      s.target = svc_ns;
      out.push_back(std::move(s));
    }
  }
  return out.empty() ? dns::rcode::NXDOMAIN : dns::rcode::NOERROR;
}

}  // namespace

bool Kubernetes::search_path(QueryContext& ctx, std::vector<std::string>& out) {
  out.clear();
  const int zone = zones_.match(ctx.q().qname_lower);
  // As CoreDNS: only with `pods verified` can a client's address name its namespace.
  if (zone < 0 || opts_.index.pods != PodMode::verified) return false;
  auto client = ctx.client().bytes();
  if (client.empty()) return false;
  auto reading = index_.read(ctx.worker().index);
  const ClusterIndex* x = reading.get();
  const std::string* ns = x ? x->pod_namespace(key_of(client)) : nullptr;
  if (!ns) return false;
  const std::string& z = zones_.text(zone);
  if (z == ".") {
    out = {*ns + ".svc.", "svc.", "."};
  } else {
    out = {*ns + ".svc." + z, "svc." + z, z};
  }
  out.insert(out.end(), opts_.node_search.begin(), opts_.node_search.end());
  out.emplace_back();
  return true;
}

uint8_t Kubernetes::external(QueryContext& ctx, std::string_view rel, bool headless,
                             std::vector<pkg::ExternalService>& out) {
  out.clear();
  auto reading = index_.read(ctx.worker().index);
  const ClusterIndex* x = reading.get();
  const ExternalName n = split(rel);
  if (!x || n.ns.empty()) return dns::rcode::SERVFAIL;
  if (!x->has_namespace(n.ns)) return dns::rcode::NXDOMAIN;
  if (n.service.empty()) return dns::rcode::NOERROR;  // the namespace alone: no data
  if (n.too_long) return dns::rcode::NXDOMAIN;
  const std::string svc_ns = std::string(n.service) + "." + std::string(n.ns);
  const ExternalRecord* rec = x->external(svc_ns);
  const bool has_hosts = rec && !rec->hosts.empty();
  if (headless && !has_hosts && ((rec && rec->headless) || !n.endpoint.empty())) {
    return headless_endpoints(*x, n, svc_ns, opts_.ttl, out);
  }
  if (!rec) return dns::rcode::NXDOMAIN;
  return external_hosts(*rec, n, svc_ns, opts_.ttl, out);
}

void Kubernetes::external_reverse(QueryContext& ctx, const pkg::IpAddress& ip,
                                  std::vector<std::string>& out) {
  out.clear();
  auto reading = index_.read(ctx.worker().index);
  const ClusterIndex* x = reading.get();
  if (!x) return;
  for (const PtrName& n : x->external_reverse(key_of(ip.span()))) out.emplace_back(n.name());
}

void Kubernetes::ns_addresses(const ClusterIndex& x, std::vector<pkg::IpAddress>& out) const {
  out.clear();
  for (const pkg::IpAddress& local : opts_.local_ips) {
    for (const PtrName& p : x.ptr_names(key_of(local.span()))) {
      std::string_view n = p.name();  // ENDPOINT.SERVICE.NAMESPACE.svc
      const size_t dot = n.find('.');
      if (p.service || dot == std::string_view::npos) continue;
      const NameData* svc = x.find_name(n.substr(dot + 1));
      if (!svc) continue;
      for (const auto& a : svc->a()) out.push_back(address_of(key_of(a)));
      for (const auto& a : svc->aaaa()) out.push_back(address_of(key_of(a)));
    }
  }
  if (out.empty()) out = opts_.local_ips;
}

void Kubernetes::external_addresses(QueryContext& ctx, std::vector<pkg::IpAddress>& out) {
  out.clear();
  auto reading = index_.read(ctx.worker().index);
  const ClusterIndex* x = reading.get();
  // The external addresses of the services whose endpoints are this server's addresses
  // (CoreDNS in a pod: its own service), else this server's addresses.
  for (const pkg::IpAddress& local : x ? opts_.local_ips : std::vector<pkg::IpAddress>{}) {
    for (const PtrName& p : x->ptr_names(key_of(local.span()))) {
      std::string_view n = p.name();  // ENDPOINT.SERVICE.NAMESPACE.svc
      if (p.service || !n.ends_with(".svc")) continue;
      n.remove_suffix(4);
      const size_t dot = n.find('.');
      if (dot == std::string_view::npos) continue;
      const ExternalRecord* rec = x->external(n.substr(dot + 1));
      if (!rec) continue;
      for (const ExternalHost& h : rec->hosts) {
        if (h.is_ip) out.push_back(address_of(h.ip));
      }
    }
  }
  if (out.empty()) out = opts_.local_ips;
}

uint32_t Kubernetes::external_serial(QueryContext& ctx) {
  auto reading = index_.read(ctx.worker().index);
  const ClusterIndex* x = reading.get();
  return x ? static_cast<uint32_t>(x->serial) : 0;
}

}  // namespace cxxdns::plugins::k8s
