// kubernetes [ZONES...] { state FILE; pods MODE; namespaces NS...; labels SELECTOR;
// namespace_labels SELECTOR; ttl N; noendpoints; fallthrough [ZONES...];
// endpoint_pod_names; ignore empty_service; endpoint/tls/kubeconfig/apiserver (kept) },
// as CoreDNS's kubernetes plugin, plus `state` for the state-file source.
#include "core/plugin/setup.h"
#include "core/dns/name.h"
#include "core/plugin/config.h"
#include "core/plugin/registry.h"
#include "plugins/kubernetes/kubernetes.h"

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
      o.fallthrough_set = true;
      if (!line.args.empty()) o.fallthrough = sc.zones_from(line.args);
    } else if (opt == "ignore") {
      want(1, 1);
      if (line.args[0].text != "empty_service") {
        sc.error(line.args[0], "unable to parse ignore value: '" + line.args[0].text + "'");
      }
      o.index.ignore_empty_service = true;
    } else if (opt == "endpoint" || opt == "apiserver") {
      want(1, SIZE_MAX);
      for (auto& a : line.args) o.endpoint.push_back(a.text);
    } else if (opt == "tls") {
      want(3, 3);
      for (auto& a : line.args) o.tls.push_back(a.text);
    } else if (opt == "kubeconfig") {
      want(1, 2);
      for (auto& a : line.args) o.kubeconfig.push_back(a.text);
    } else {
      sc.unknown_property(line.name);
    }
  }
  if (has_namespaces && has_ns_labels) {
    sc.error(d.name, "namespaces and namespace_labels cannot both be set");
  }
  if (!state_token) {
    // Only the state-file source exists so far; the API source will take endpoint/kubeconfig.
    sc.error(
        d.name,
        "no cluster source: 'state FILE' is required (the API server source is not available yet)");
  }
  return o;
}

}  // namespace

void cxxdns_register_kubernetes(cxxdns::Registry& r) {
  r.add("kubernetes", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    return std::make_unique<Kubernetes>(parse(sc), sc.services().workers);
  });
}
