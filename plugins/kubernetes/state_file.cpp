#include "plugins/kubernetes/state_file.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <ctime>
#include <stdexcept>

namespace cxxdns::plugins::k8s {
namespace {

using json = nlohmann::json;

// A document that is valid JSON but not the shape of a Kubernetes List.
struct ShapeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void shape(const std::string& where, const std::string& what) {
  throw ShapeError(where + ": " + what);
}

const json* member(const json& j, const char* key, const std::string& where) {
  if (!j.is_object()) shape(where, "not an object");
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string str(const json& j, const char* key, const std::string& where) {
  const json* v = member(j, key, where);
  if (!v) return {};
  if (!v->is_string()) shape(where, std::string(key) + " is not a string");
  return v->get<std::string>();
}

const json& object(const json& j, const char* key, const std::string& where) {
  static const json empty = json::object();
  const json* v = member(j, key, where);
  if (!v) return empty;
  if (!v->is_object()) shape(where, std::string(key) + " is not an object");
  return *v;
}

const json& array(const json& j, const char* key, const std::string& where) {
  static const json empty = json::array();
  const json* v = member(j, key, where);
  if (!v) return empty;
  if (!v->is_array()) shape(where, std::string(key) + " is not an array");
  return *v;
}

Labels labels(const json& meta, const std::string& where) {
  Labels out;
  for (auto& [k, v] : object(meta, "labels", where).items()) {
    if (!v.is_string()) shape(where, "label " + k + " is not a string");
    out[k] = v.get<std::string>();
  }
  return out;
}

std::vector<Port> ports(const json& j, const std::string& where) {
  std::vector<Port> out;
  for (auto& p : array(j, "ports", where)) {
    Port port;
    port.name = str(p, "name", where);
    port.protocol = str(p, "protocol", where);
    if (port.protocol.empty()) port.protocol = "TCP";
    const json* n = member(p, "port", where);
    if (!n || !n->is_number_integer()) shape(where, "a port without a numeric port");
    port.port = n->get<int32_t>();
    out.push_back(std::move(port));
  }
  return out;
}

// "2026-11-30T10:00:00.123456789Z" (or with a "+01:00" offset) as unix ns; 0 when it is
// not RFC 3339.
int64_t rfc3339_ns(const std::string& s) {
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
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, scale /= 10) ns += (s[i] - '0') * scale;
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
int64_t trigger_time(const json& meta, const std::string& where) {
  const json& ann = object(meta, "annotations", where);
  auto it = ann.find("endpoints.kubernetes.io/last-change-trigger-time");
  return it != ann.end() && it->is_string() ? rfc3339_ns(it->get<std::string>()) : 0;
}

EndpointAddress address(const json& a, const std::string& ip, bool ready,
                        const std::string& where) {
  EndpointAddress e;
  e.ip = ip;
  e.ready = ready;
  e.hostname = str(a, "hostname", where);
  const json& ref = object(a, "targetRef", where);
  if (str(ref, "kind", where) == "Pod") e.pod_name = str(ref, "name", where);
  return e;
}

void add_item(const json& item, size_t index, ClusterState& st, std::string_view list_kind = {}) {
  std::string where = "items[" + std::to_string(index) + "]";
  std::string kind = str(item, "kind", where);
  if (kind.empty()) kind = list_kind;  // the API's list items carry no kind
  const json& meta = object(item, "metadata", where);
  std::string name = str(meta, "name", where);
  std::string ns = str(meta, "namespace", where);
  where += " (" + kind + " " + (ns.empty() ? name : ns + "/" + name) + ")";
  if (kind == "Namespace") {
    st.namespaces.push_back({name, labels(meta, where)});
  } else if (kind == "Service") {
    Service s;
    s.ns = ns;
    s.name = name;
    s.labels = labels(meta, where);
    const json& spec = object(item, "spec", where);
    std::string type = str(spec, "type", where);
    std::string cip = str(spec, "clusterIP", where);
    s.headless = cip == "None";
    for (auto& ip : array(spec, "clusterIPs", where)) {
      if (!ip.is_string()) shape(where, "clusterIPs holds a non-string");
      if (ip.get<std::string>() != "None") s.cluster_ips.push_back(ip.get<std::string>());
    }
    if (s.cluster_ips.empty() && !cip.empty() && cip != "None") s.cluster_ips.push_back(cip);
    if (type == "ExternalName") s.external_name = str(spec, "externalName", where);
    s.ports = ports(spec, where);
    st.services.push_back(std::move(s));
  } else if (kind == "EndpointSlice") {
    EndpointSet e;
    e.ns = ns;
    e.from_slice = true;
    e.labels = labels(meta, where);
    auto it = e.labels.find("kubernetes.io/service-name");
    if (it == e.labels.end()) return;  // not managed for a Service: no DNS name
    e.service = it->second;
    std::string at = str(item, "addressType", where);
    if (at != "IPv4" && at != "IPv6") return;  // FQDN slices carry no addresses we serve
    for (auto& ep : array(item, "endpoints", where)) {
      const json& cond = object(ep, "conditions", where);
      const json* ready = member(cond, "ready", where);
      if (ready && !ready->is_boolean()) shape(where, "conditions.ready is not a boolean");
      bool is_ready = !ready || ready->get<bool>();  // unknown readiness counts as ready
      for (auto& ip : array(ep, "addresses", where)) {
        if (!ip.is_string()) shape(where, "addresses holds a non-string");
        e.addresses.push_back(address(ep, ip.get<std::string>(), is_ready, where));
      }
    }
    e.ports = ports(item, where);
    e.trigger_ns = trigger_time(meta, where);
    st.endpoints.push_back(std::move(e));
  } else if (kind == "Endpoints") {
    for (auto& sub : array(item, "subsets", where)) {
      EndpointSet e;
      e.ns = ns;
      e.service = name;
      e.labels = labels(meta, where);
      for (auto& a : array(sub, "addresses", where))
        e.addresses.push_back(address(a, str(a, "ip", where), true, where));
      for (auto& a : array(sub, "notReadyAddresses", where))
        e.addresses.push_back(address(a, str(a, "ip", where), false, where));
      e.ports = ports(sub, where);
      e.trigger_ns = trigger_time(meta, where);
      st.endpoints.push_back(std::move(e));
    }
  } else if (kind == "Pod") {
    if (member(meta, "deletionTimestamp", where)) return;  // going away: not served
    Pod p;
    p.ns = ns;
    p.name = name;
    const json& status = object(item, "status", where);
    for (auto& ip : array(status, "podIPs", where)) p.ips.push_back(str(ip, "ip", where));
    if (p.ips.empty()) {
      std::string ip = str(status, "podIP", where);
      if (!ip.empty()) p.ips.push_back(ip);
    }
    st.pods.push_back(std::move(p));
  }
  // Other kinds are not DNS data; a List from kubectl may hold them.
}

std::string line_column(std::string_view text, size_t byte) {
  if (byte > 0) --byte;  // nlohmann counts from 1
  if (byte > text.size()) byte = text.size();
  size_t line = 1, col = 1;
  for (size_t i = 0; i < byte; ++i) {
    if (text[i] == '\n')
      ++line, col = 1;
    else
      ++col;
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

// Runs `f`, which reads JSON into a ClusterState; false with `error` set when the JSON is not
// shaped like the Kubernetes objects it reads (a missing field, a wrong type).
template <typename F>
bool shape_checked(std::string& error, F&& f) {
  try {
    f();
    return true;
  } catch (const ShapeError& e) {
    error = e.what();
  } catch (const json::exception& e) {
    error = e.what();
  }
  return false;
}

}  // namespace

bool parse_state(std::string_view text, ClusterState& out, std::string& error) {
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    // nlohmann (3.10+) reports "parse error at line L, column C: ..."; keep that, drop the
    // exception id, and add the byte offset for tools.
    std::string what = e.what();
    if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
    if (what.find("line ") == std::string::npos) what = line_column(text, e.byte) + ": " + what;
    error = what + " (byte " + std::to_string(e.byte) + ")";
    return false;
  } catch (const json::exception& e) {
    // Not only parse_error: a number too large for a double ("1e999") is out_of_range.
    std::string what = e.what();
    if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
    error = what;
    return false;
  }
  return shape_checked(error, [&] {
    ClusterState st;
    if (!doc.is_object()) shape("document", "not a JSON object");
    if (doc.contains("items")) {
      const json& items = array(doc, "items", "document");
      for (size_t i = 0; i < items.size(); ++i) add_item(items[i], i, st);
    } else {
      add_item(doc, 0, st);  // a single object, as `kubectl get svc x -o json` prints
    }
    out = std::move(st);
  });
}

bool parse_object(const nlohmann::json& item, std::string_view kind, ClusterState& out,
                  std::string& error) {
  return shape_checked(error, [&] { add_item(item, 0, out, kind); });
}

}  // namespace cxxdns::plugins::k8s
