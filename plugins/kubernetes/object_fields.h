// The DNS fields of Kubernetes objects (Namespace, Service, EndpointSlice, Endpoints, Pod),
// read from a JSON DOM through a small view type, so that the state file (nlohmann, which
// reports positions) and the API source (simdjson, for speed: 2 KB watch events and 1 MB
// list pages) read the same fields the same way.
//
// A view V offers: is_object(), is_array(), is_string(), is_int(), is_bool(),
// find(key) -> std::optional<V> (nullopt when absent or null), text() -> std::string_view,
// int_value(), bool_value(), each(f(V)) over an array, each_member(f(std::string_view, V))
// over an object.
#pragma once

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "plugins/kubernetes/cluster_state.h"

namespace cxxdns::plugins::k8s::fields {

// A document that is valid JSON but not the shape of a Kubernetes object.
struct ShapeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Which object a shape error is in: "items[3] (Service default/web)". Kept as parts and
// made into text only for an error: building it for every object cost a list of 10,000
// objects some 40,000 allocations.
struct Where {
  size_t index = 0;
  std::string_view kind, ns, name;  // empty until the object's metadata is read
  std::string text() const {
    std::string s = "items[" + std::to_string(index) + "]";
    if (kind.empty() && name.empty()) return s;
    s += " (";
    s += kind;
    s += ' ';
    if (!ns.empty()) {
      s += ns;
      s += '/';
    }
    s += name;
    s += ')';
    return s;
  }
};

[[noreturn]] inline void shape(const std::string& where, const std::string& what) {
  throw ShapeError(where + ": " + what);
}
[[noreturn]] inline void shape(const Where& where, const std::string& what) {
  shape(where.text(), what);
}

template <typename V>
std::optional<V> member(const std::optional<V>& j, const char* key, const Where& where) {
  if (!j) return std::nullopt;
  if (!j->is_object()) shape(where, "not an object");
  return j->find(key);
}

template <typename V>
std::string str(const std::optional<V>& j, const char* key, const Where& where) {
  auto v = member(j, key, where);
  if (!v) return {};
  if (!v->is_string()) shape(where, std::string(key) + " is not a string");
  return std::string(v->text());
}

// nullopt stands for an empty object or array.
template <typename V>
std::optional<V> object(const std::optional<V>& j, const char* key, const Where& where) {
  auto v = member(j, key, where);
  if (v && !v->is_object()) shape(where, std::string(key) + " is not an object");
  return v;
}

template <typename V>
std::optional<V> array(const std::optional<V>& j, const char* key, const Where& where) {
  auto v = member(j, key, where);
  if (v && !v->is_array()) shape(where, std::string(key) + " is not an array");
  return v;
}

template <typename V, typename F>
void each(const std::optional<V>& a, F&& f) {
  if (a) a->each([&](const V& x) { f(std::optional<V>(x)); });
}

template <typename V>
Labels labels(const std::optional<V>& meta, const Where& where) {
  Labels out;
  auto l = object(meta, "labels", where);
  if (!l) return out;
  l->each_member([&](std::string_view k, const V& v) {
    if (!v.is_string()) shape(where, "label " + std::string(k) + " is not a string");
    out[std::string(k)] = std::string(v.text());
  });
  return out;
}

template <typename V>
std::vector<Port> ports(const std::optional<V>& j, const Where& where) {
  std::vector<Port> out;
  each(array(j, "ports", where), [&](const std::optional<V>& p) {
    Port port;
    port.name = str(p, "name", where);
    port.protocol = str(p, "protocol", where);
    if (port.protocol.empty()) port.protocol = "TCP";
    auto n = member(p, "port", where);
    if (!n || !n->is_int()) shape(where, "a port without a numeric port");
    port.port = static_cast<int32_t>(n->int_value());
    out.push_back(std::move(port));
  });
  return out;
}

// "2026-11-30T10:00:00.123456789Z" (or with a "+01:00" offset) as unix ns; 0 when it is
// not RFC 3339.
inline int64_t rfc3339_ns(const std::string& s) {
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return 0;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  int64_t ns = static_cast<int64_t>(timegm(&tm)) * 1000000000;
  size_t i = static_cast<size_t>(consumed);
  if (i < s.size() && s[i] == '.') {
    int64_t scale = 100000000;
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, scale /= 10) {
      ns += (s[i] - '0') * scale;
    }
  }
  int oh = 0, om = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-') &&
      std::sscanf(s.c_str() + i + 1, "%2d:%2d", &oh, &om) == 2) {
    int64_t off = (static_cast<int64_t>(oh) * 3600 + om * 60) * 1000000000;
    ns += s[i] == '+' ? -off : off;
  } else if (i >= s.size() || (s[i] != 'Z' && s[i] != 'z')) {
    return 0;
  }
  return ns;
}

// When the change an endpoints object carries was made (the endpoint controllers set it).
template <typename V>
int64_t trigger_time(const std::optional<V>& meta, const Where& where) {
  auto ann = object(meta, "annotations", where);
  auto t = ann ? ann->find("endpoints.kubernetes.io/last-change-trigger-time") : std::nullopt;
  return t && t->is_string() ? rfc3339_ns(std::string(t->text())) : 0;
}

template <typename V>
EndpointAddress address(const std::optional<V>& a, const std::string& ip, bool ready,
                        const Where& where) {
  EndpointAddress e;
  e.ip = ip;
  e.ready = ready;
  e.hostname = str(a, "hostname", where);
  auto ref = object(a, "targetRef", where);
  if (str(ref, "kind", where) == "Pod") e.pod_name = str(ref, "name", where);
  return e;
}

// spec.externalIPs, then each status.loadBalancer.ingress's ip or else hostname, as
// CoreDNS's object.Service keeps them for k8s_external.
template <typename V>
void add_external(const std::optional<V>& item, const std::optional<V>& spec, const Where& where,
                  Service& s) {
  each(array(spec, "externalIPs", where), [&](const std::optional<V>& ip) {
    if (!ip->is_string()) shape(where, "externalIPs holds a non-string");
    if (!ip->text().empty()) s.external.emplace_back(ip->text());
  });
  auto lb = object(object(item, "status", where), "loadBalancer", where);
  each(array(lb, "ingress", where), [&](const std::optional<V>& ingress) {
    std::string at = str(ingress, "ip", where);
    if (at.empty()) at = str(ingress, "hostname", where);
    if (!at.empty()) s.external.push_back(std::move(at));
  });
}

template <typename V>
void add_service(const std::optional<V>& item, const std::optional<V>& meta, Service s,
                 const Where& where, ClusterState& st) {
  s.labels = labels(meta, where);
  auto spec = object(item, "spec", where);
  std::string type = str(spec, "type", where);
  std::string cip = str(spec, "clusterIP", where);
  s.headless = cip == "None";
  each(array(spec, "clusterIPs", where), [&](const std::optional<V>& ip) {
    if (!ip->is_string()) shape(where, "clusterIPs holds a non-string");
    if (ip->text() != "None") s.cluster_ips.emplace_back(ip->text());
  });
  if (s.cluster_ips.empty() && !cip.empty() && cip != "None") s.cluster_ips.push_back(cip);
  if (type == "ExternalName") s.external_name = str(spec, "externalName", where);
  s.ports = ports(spec, where);
  add_external(item, spec, where, s);
  st.services.push_back(std::move(s));
}

template <typename V>
void add_slice(const std::optional<V>& item, const std::optional<V>& meta, EndpointSet e,
               const Where& where, ClusterState& st) {
  e.from_slice = true;
  e.labels = labels(meta, where);
  auto it = e.labels.find("kubernetes.io/service-name");
  if (it == e.labels.end()) return;  // not managed for a Service: no DNS name
  e.service = it->second;
  std::string at = str(item, "addressType", where);
  if (at != "IPv4" && at != "IPv6") return;  // FQDN slices carry no addresses we serve
  each(array(item, "endpoints", where), [&](const std::optional<V>& ep) {
    auto cond = object(ep, "conditions", where);
    auto ready = member(cond, "ready", where);
    if (ready && !ready->is_bool()) shape(where, "conditions.ready is not a boolean");
    bool is_ready = !ready || ready->bool_value();  // unknown readiness counts as ready
    each(array(ep, "addresses", where), [&](const std::optional<V>& ip) {
      if (!ip->is_string()) shape(where, "addresses holds a non-string");
      e.addresses.push_back(address(ep, std::string(ip->text()), is_ready, where));
    });
  });
  e.ports = ports(item, where);
  e.trigger_ns = trigger_time(meta, where);
  st.endpoints.push_back(std::move(e));
}

template <typename V>
void add_endpoints(const std::optional<V>& item, const std::optional<V>& meta,
                   const EndpointSet& base, const Where& where, ClusterState& st) {
  each(array(item, "subsets", where), [&](const std::optional<V>& sub) {
    EndpointSet e = base;
    e.service = base.service;
    e.labels = labels(meta, where);
    each(array(sub, "addresses", where), [&](const std::optional<V>& a) {
      e.addresses.push_back(address(a, str(a, "ip", where), true, where));
    });
    each(array(sub, "notReadyAddresses", where), [&](const std::optional<V>& a) {
      e.addresses.push_back(address(a, str(a, "ip", where), false, where));
    });
    e.ports = ports(sub, where);
    e.trigger_ns = trigger_time(meta, where);
    st.endpoints.push_back(std::move(e));
  });
}

template <typename V>
void add_pod(const std::optional<V>& item, const std::optional<V>& meta, Pod p, const Where& where,
             ClusterState& st) {
  if (member(meta, "deletionTimestamp", where)) return;  // going away: not served
  auto status = object(item, "status", where);
  each(array(status, "podIPs", where),
       [&](const std::optional<V>& ip) { p.ips.push_back(str(ip, "ip", where)); });
  if (p.ips.empty()) {
    std::string ip = str(status, "podIP", where);
    if (!ip.empty()) p.ips.push_back(ip);
  }
  st.pods.push_back(std::move(p));
}

// Appends the DNS fields of `item` (items[index] of a list, or an object of kind
// `list_kind` when it carries none) to `st`; throws ShapeError when it is not shaped so.
template <typename V>
void add_item(const V& item_view, size_t index, ClusterState& st, std::string_view list_kind = {}) {
  std::optional<V> item(item_view);
  Where where{index, {}, {}, {}};
  std::string kind = str(item, "kind", where);
  if (kind.empty()) kind = list_kind;  // the API's list items carry no kind
  auto meta = object(item, "metadata", where);
  std::string name = str(meta, "name", where);
  std::string ns = str(meta, "namespace", where);
  where = Where{index, kind, ns, name};
  if (kind == "Namespace") {
    st.namespaces.push_back({name, labels(meta, where)});
  } else if (kind == "Service") {
    Service s;
    s.ns = ns;
    s.name = name;
    add_service(item, meta, std::move(s), where, st);
  } else if (kind == "EndpointSlice") {
    EndpointSet e;
    e.ns = ns;
    add_slice(item, meta, std::move(e), where, st);
  } else if (kind == "Endpoints") {
    EndpointSet e;
    e.ns = ns;
    e.service = name;
    add_endpoints(item, meta, e, where, st);
  } else if (kind == "Pod") {
    Pod p;
    p.ns = ns;
    p.name = name;
    add_pod(item, meta, std::move(p), where, st);
  }
  // Other kinds are not DNS data; a List from kubectl may hold them.
}

}  // namespace cxxdns::plugins::k8s::fields
