// kubernetes [ZONES...] { state FILE; pods MODE; namespaces NS...; labels SELECTOR;
// namespace_labels SELECTOR; ttl N; noendpoints; fallthrough [ZONES...];
// endpoint_pod_names; ignore empty_service; endpoint URL; tls CERT KEY CACERT;
// kubeconfig FILE [CONTEXT] }, as CoreDNS's kubernetes plugin, plus `state` for the
// state-file source. Without state, endpoint or kubeconfig: in-cluster.
#include <algorithm>
#include <cstring>
#include <string_view>
#include <unordered_map>

#include "core/dns/name.h"
#include "core/plugin/config.h"
#include "core/plugin/registry.h"
#include "core/plugin/setup.h"
#include "plugins/kubernetes/kubernetes.h"
#include "plugins/pkg/interfaces.h"
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

// The zone arguments with a leading dot dropped: CoreDNS takes `kubernetes .svc ...` (its
// normalization makes ".svc." of it, which then matches the names under svc.).
std::vector<cxxdns::corefile::Token> zone_args(std::span<const cxxdns::corefile::Token> args) {
  std::vector<cxxdns::corefile::Token> out(args.begin(), args.end());
  for (auto& t : out) {
    while (t.text.size() > 1 && t.text.front() == '.') t.text.erase(0, 1);
  }
  return out;
}

// What parsing the block collects besides the options themselves.
struct Parsing {
  cxxdns::SetupContext& sc;
  KubernetesOptions& o;
  const cxxdns::corefile::Token* state = nullptr;
  const cxxdns::corefile::Token* endpoint = nullptr;
  const cxxdns::corefile::Token* kubeconfig = nullptr;
  bool has_namespaces = false;
  bool has_ns_labels = false;
};

using Line = cxxdns::corefile::Directive;

void want(Parsing& p, const Line& line, size_t min, size_t max) {
  if (line.args.size() < min || line.args.size() > max) p.sc.arg_error(line.name);
}

void parse_pods(Parsing& p, const Line& line) {
  want(p, line, 1, 1);
  const std::string& m = line.args[0].text;
  if (m == "disabled") {
    p.o.index.pods = PodMode::disabled;
  } else if (m == "insecure") {
    p.o.index.pods = PodMode::insecure;
  } else if (m == "verified") {
    p.o.index.pods = PodMode::verified;
  } else {
    p.sc.error(line.args[0],
               "wrong value for pods: " + m + ",  must be one of: disabled, verified, insecure");
  }
}

void parse_labels(Parsing& p, const Line& line) {
  want(p, line, 1, SIZE_MAX);
  const bool ns = line.name.text == "namespace_labels";
  std::string text = joined(line.args), err;
  LabelSelector& sel = ns ? p.o.index.namespace_labels : p.o.index.labels;
  if (!sel.parse(text, err)) {
    std::string msg = "unable to parse label selector value: '";
    msg.append(text).append("': ").append(err);
    p.sc.error(line.args[0], msg);
  }
  (ns ? p.o.namespace_labels_text : p.o.labels_text) = text;
  if (ns) p.has_ns_labels = true;
}

void parse_ignore(Parsing& p, const Line& line) {
  want(p, line, 1, 1);
  if (line.args[0].text != "empty_service") {
    p.sc.error(line.args[0], "unable to parse ignore value: '" + line.args[0].text + "'");
  }
  p.o.index.ignore_empty_service = true;
}

// One function per option, as CoreDNS's parser has one case per option.
using OptionParser = void (*)(Parsing&, const Line&);
const std::unordered_map<std::string_view, OptionParser>& option_parsers() {
  static const std::unordered_map<std::string_view, OptionParser> parsers = {
      {"state",
       [](Parsing& p, const Line& l) {
         want(p, l, 1, 1);
         p.o.state_file = l.args[0].text;
         p.state = &l.name;
       }},
      {"pods", parse_pods},
      {"namespaces",
       [](Parsing& p, const Line& l) {
         want(p, l, 1, SIZE_MAX);
         for (const auto& a : l.args) p.o.index.namespaces.push_back(a.text);
         p.has_namespaces = true;
       }},
      {"labels", parse_labels},
      {"namespace_labels", parse_labels},
      {"ttl",
       [](Parsing& p, const Line& l) {
         want(p, l, 1, 1);
         p.o.ttl = static_cast<uint32_t>(p.sc.parse_uint(l.args[0], 0, 3600));
       }},
      {"noendpoints",
       [](Parsing& p, const Line& l) {
         want(p, l, 0, 0);
         p.o.index.endpoints = false;
       }},
      {"endpoint_pod_names",
       [](Parsing& p, const Line& l) {
         want(p, l, 0, 0);
         p.o.index.endpoint_pod_names = true;
       }},
      {"fallthrough",
       [](Parsing& p, const Line& l) {
         p.o.fallthrough = cxxdns::pkg::Fallthrough::parse(p.sc, l);
       }},
      {"ignore", parse_ignore},
      {"endpoint",
       [](Parsing& p, const Line& l) {
         want(p, l, 1, SIZE_MAX);
         p.endpoint = &l.name;
         for (const auto& a : l.args) p.o.endpoint.push_back(a.text);
       }},
      {"tls",
       [](Parsing& p, const Line& l) {
         want(p, l, 3, 3);
         for (const auto& a : l.args) p.o.tls.push_back(a.text);
       }},
      {"kubeconfig",
       [](Parsing& p, const Line& l) {
         want(p, l, 1, 2);
         p.kubeconfig = &l.name;
         for (const auto& a : l.args) p.o.kubeconfig.push_back(a.text);
       }},
  };
  return parsers;
}

KubernetesOptions parse(cxxdns::SetupContext& sc) {
  if (sc.directives().size() > 1) {
    sc.error(sc.directives()[1].name, "this plugin can only be used once per Server Block");
  }
  const auto& d = sc.directives()[0];
  KubernetesOptions o;
  o.zones = sc.zones_from(zone_args(d.args));
  o.index.primary_zone = o.zones.front();
  for (auto& z : o.zones) {
    if (!reverse_zone(z)) {
      o.index.primary_zone = z;
      break;
    }
  }
  Parsing p{sc, o};
  const auto& parsers = option_parsers();
  for (const auto& line : d.block) {
    // `apiserver` is CoreDNS's old name for `endpoint`.
    const std::string_view opt = line.name.text == "apiserver" ? std::string_view("endpoint")
                                                               : std::string_view(line.name.text);
    auto it = parsers.find(opt);
    if (it == parsers.end()) {
      sc.unknown_property(line.name);
    } else {
      it->second(p, line);
    }
  }
  if (p.has_namespaces && p.has_ns_labels) {
    sc.error(d.name, "namespaces and namespace_labels cannot both be set");
  }
  resolve_source(sc, d.name, p.state, p.endpoint, p.kubeconfig, o);
  return o;
}

// The host's addresses, loopback left out (CoreDNS: net.InterfaceAddrs()).
std::vector<cxxdns::pkg::IpAddress> interface_addresses() {
  std::vector<cxxdns::pkg::IpAddress> out;
  for (const cxxdns::pkg::InterfaceAddress& i : cxxdns::pkg::interface_addresses()) {
    if (!i.loopback) out.push_back(i.address);
  }
  return out;
}

// What the node gives the plugins that work with kubernetes: its search list (autopath) and
// this server's addresses (k8s_external's name servers), as CoreDNS reads them at setup.
void node_facts(cxxdns::SetupContext& sc, KubernetesOptions& o) {
  std::string err;
  if (!cxxdns::pkg::read_search_list("/etc/resolv.conf", o.node_search, err)) o.node_search.clear();
  for (const std::string& b : sc.bind_addresses()) {
    auto a = cxxdns::pkg::IpAddress::parse(b);
    if (a && !a->is_loopback()) o.local_ips.push_back(*a);
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
