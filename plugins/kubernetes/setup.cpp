// kubernetes [ZONES...] { state FILE; pods MODE; namespaces NS...; labels SELECTOR;
// namespace_labels SELECTOR; ttl N; noendpoints; fallthrough [ZONES...];
// endpoint_pod_names; ignore empty_service; endpoint URL; tls CERT KEY CACERT;
// kubeconfig FILE [CONTEXT] }, as CoreDNS's kubernetes plugin, plus `state` for the
// state-file source. Without state, endpoint or kubeconfig: in-cluster.
#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

#include "core/dns/name.h"
#include "core/plugin/config.h"
#include "core/plugin/registry.h"
#include "core/plugin/setup.h"
#include "plugins/kubernetes/kubernetes.h"
#include "plugins/pkg/resolv_conf.h"
#include "plugins/pkg/transfer.h"

namespace {

using namespace cxxdns::plugins::k8s;

bool reverse_zone(const std::string& z) {
  return cxxdns::dns::is_subdomain(z, "in-addr.arpa.") || cxxdns::dns::is_subdomain(z, "ip6.arpa.");
}

std::string joined(const std::vector<cxxdns::corefile::Token>& args) {
  std::string s;
  for (auto& a : args) s += (s.empty() ? "" : " ") + a.text;
  return s;
}

// One source: `state FILE`, else `endpoint URL` (+ `tls`), else `kubeconfig`, else
// in-cluster, as CoreDNS picks them.
void resolve_source(cxxdns::SetupContext& sc, const cxxdns::corefile::Token& plugin,
                    const cxxdns::corefile::Token* state, const cxxdns::corefile::Token* endpoint,
                    const cxxdns::corefile::Token* kubeconfig, KubernetesOptions& o) {
  if (state && (endpoint || kubeconfig)) {
    sc.error(*state, "state cannot be combined with endpoint or kubeconfig");
  }
  if (endpoint && kubeconfig) {
    sc.error(*kubeconfig, "kubeconfig cannot be combined with endpoint");
  }
  if (state) return;
  std::string err;
  if (endpoint) {
    if (o.endpoint.size() > 1) sc.error(*endpoint, "multiple endpoints are not supported");
    const std::string& url = o.endpoint[0];
    if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) {
      sc.error(*endpoint, "endpoint must be an http:// or https:// URL: " + url);
    }
    o.api.server = url;
    while (o.api.server.size() > 8 && o.api.server.back() == '/') o.api.server.pop_back();
    if (o.tls.size() == 3) {
      o.api.cert_file = o.tls[0];
      o.api.key_file = o.tls[1];
      o.api.ca_file = o.tls[2];
    }
  } else if (kubeconfig) {
    std::string ctx = o.kubeconfig.size() > 1 ? o.kubeconfig[1] : "";
    if (!kubeconfig_config(o.kubeconfig[0], ctx, o.api, err)) sc.error(*kubeconfig, err);
  } else if (!in_cluster_config(o.api, err)) {
    sc.error(plugin, err);
  }
}

KubernetesOptions parse(cxxdns::SetupContext& sc) {
  if (sc.directives().size() > 1) {
    sc.error(sc.directives()[1].name, "this plugin can only be used once per Server Block");
  }
  const auto& d = sc.directives()[0];
  KubernetesOptions o;
  o.zones = sc.zones_from(d.args);
  o.index.primary_zone = o.zones.front();
  for (auto& z : o.zones) {
    if (!reverse_zone(z)) {
      o.index.primary_zone = z;
      break;
    }
  }
  const cxxdns::corefile::Token* state_token = nullptr;
  const cxxdns::corefile::Token *endpoint_token = nullptr, *kubeconfig_token = nullptr;
  bool has_namespaces = false, has_ns_labels = false;
  for (const auto& line : d.block) {
    const std::string& opt = line.name.text;
    auto want = [&](size_t min, size_t max) {
      if (line.args.size() < min || line.args.size() > max) sc.arg_error(line.name);
    };
    if (opt == "state") {
      want(1, 1);
      o.state_file = line.args[0].text;
      state_token = &line.name;
    } else if (opt == "pods") {
      want(1, 1);
      const std::string& m = line.args[0].text;
      if (m == "disabled")
        o.index.pods = PodMode::disabled;
      else if (m == "insecure")
        o.index.pods = PodMode::insecure;
      else if (m == "verified")
        o.index.pods = PodMode::verified;
      else
        sc.error(line.args[0],
                 "wrong value for pods: " + m + ",  must be one of: disabled, verified, insecure");
    } else if (opt == "namespaces") {
      want(1, SIZE_MAX);
      for (auto& a : line.args) o.index.namespaces.push_back(a.text);
      has_namespaces = true;
    } else if (opt == "labels" || opt == "namespace_labels") {
      want(1, SIZE_MAX);
      std::string text = joined(line.args), err;
      LabelSelector& sel = opt == "labels" ? o.index.labels : o.index.namespace_labels;
      if (!sel.parse(text, err)) {
        sc.error(line.args[0], "unable to parse label selector value: '" + text + "': " + err);
      }
      (opt == "labels" ? o.labels_text : o.namespace_labels_text) = text;
      if (opt == "namespace_labels") has_ns_labels = true;
    } else if (opt == "ttl") {
      want(1, 1);
      o.ttl = static_cast<uint32_t>(sc.parse_uint(line.args[0], 0, 3600));
    } else if (opt == "noendpoints") {
      want(0, 0);
      o.index.endpoints = false;
    } else if (opt == "endpoint_pod_names") {
      want(0, 0);
      o.index.endpoint_pod_names = true;
    } else if (opt == "fallthrough") {
      o.fallthrough = cxxdns::pkg::Fallthrough::parse(sc, line);
    } else if (opt == "ignore") {
      want(1, 1);
      if (line.args[0].text != "empty_service") {
        sc.error(line.args[0], "unable to parse ignore value: '" + line.args[0].text + "'");
      }
      o.index.ignore_empty_service = true;
    } else if (opt == "endpoint" || opt == "apiserver") {
      want(1, SIZE_MAX);
      endpoint_token = &line.name;
      for (auto& a : line.args) o.endpoint.push_back(a.text);
    } else if (opt == "tls") {
      want(3, 3);
      for (auto& a : line.args) o.tls.push_back(a.text);
    } else if (opt == "kubeconfig") {
      want(1, 2);
      kubeconfig_token = &line.name;
      for (auto& a : line.args) o.kubeconfig.push_back(a.text);
    } else {
      sc.unknown_property(line.name);
    }
  }
  if (has_namespaces && has_ns_labels) {
    sc.error(d.name, "namespaces and namespace_labels cannot both be set");
  }
  resolve_source(sc, d.name, state_token, endpoint_token, kubeconfig_token, o);
  return o;
}

bool loopback(const cxxdns::pkg::IpAddress& a) {
  static const uint8_t v6_loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  if (a.len == 4) return a.bytes[0] == 127;
  return std::equal(a.bytes.begin(), a.bytes.end(), v6_loopback);
}

// The host's addresses, loopback left out (CoreDNS: net.InterfaceAddrs()).
std::vector<cxxdns::pkg::IpAddress> interface_addresses() {
  std::vector<cxxdns::pkg::IpAddress> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr) continue;
    cxxdns::pkg::IpAddress a;
    if (i->ifa_addr->sa_family == AF_INET) {
      a.len = 4;
      std::memcpy(a.bytes.data(), &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, 4);
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      a.len = 16;
      std::memcpy(a.bytes.data(), &reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr, 16);
    } else {
      continue;
    }
    if (!loopback(a)) out.push_back(a);
  }
  freeifaddrs(list);
  return out;
}

// What the node gives the plugins that work with kubernetes: its search list (autopath) and
// this server's addresses (k8s_external's name servers), as CoreDNS reads them at setup.
void node_facts(cxxdns::SetupContext& sc, KubernetesOptions& o) {
  std::string err;
  if (!cxxdns::pkg::read_search_list("/etc/resolv.conf", o.node_search, err)) o.node_search.clear();
  for (const std::string& b : sc.bind_addresses()) {
    auto a = cxxdns::pkg::IpAddress::parse(b);
    if (a && !loopback(*a)) o.local_ips.push_back(*a);
  }
  if (sc.bind_addresses().empty()) o.local_ips = interface_addresses();
}

}  // namespace

void cxxdns_register_kubernetes(cxxdns::Registry& r) {
  r.add("kubernetes", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    KubernetesOptions o = parse(sc);
    node_facts(sc, o);
    auto p = std::make_unique<Kubernetes>(std::move(o), sc.services().workers);
    sc.on_startup([p = p.get()](cxxdns::ControlInfo& c) { p->start(c); });
    sc.on_shutdown([p = p.get()] { p->stop(); });
    sc.readiness([p = p.get()] { return p->ready(); });
    cxxdns::pkg::transfer_hub(sc).transferers.push_back(p.get());  // the transfer plugin's
    return p;
  });
}
