// ClusterIndex: every name the cluster answers for, prebuilt from a ClusterState so that a
// query is one hash lookup on its (lower-case) name. Immutable; swapped whole.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "plugins/kubernetes/cluster_state.h"
#include "plugins/kubernetes/labels.h"

namespace cxxdns::plugins::k8s {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using NameMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

enum class PodMode { disabled, insecure, verified };

struct IndexOptions {
  std::string primary_zone = "cluster.local.";  // PTR targets are named in it
  std::vector<std::string> namespaces;          // empty: all
  LabelSelector labels, namespace_labels;
  PodMode pods = PodMode::disabled;
  bool endpoints = true;  // false with `noendpoints`
  bool endpoint_pod_names = false;
  bool ignore_empty_service = false;
};

using Addr4 = std::array<uint8_t, 4>;
using Addr6 = std::array<uint8_t, 16>;

struct SrvData {
  uint16_t weight = 0, port = 0;
  std::string target;  // relative to the zone ("web.default.svc"), or absolute when it ends in "."
};
struct ExtraData {
  std::string owner;  // relative to the zone
  bool v6 = false;
  Addr6 addr{};  // first 4 bytes for IPv4
};

// What one name holds; all empty: the name exists without data (NODATA).
struct NameData {
  std::vector<Addr4> a;
  std::vector<Addr6> aaaa;
  std::string cname;  // absolute, for ExternalName services
  std::vector<SrvData> srv;
  std::vector<ExtraData> extra;  // the SRV targets' addresses
};

struct PodAnswer {
  enum Kind { nxdomain, nodata, v4, v6 } kind = nxdomain;
  Addr6 addr{};
};

struct ClusterIndex {
  // Names relative to the zone, without the final dot: "" (apex), "svc", "default.svc",
  // "web.default.svc", "_http._tcp.web.default.svc", "web-0.web.default.svc".
  NameMap<NameData> names;
  NameMap<std::vector<std::string>> ptr;  // "1.0.96.10.in-addr.arpa." -> absolute names
  NameMap<bool> namespaces;               // exposed namespaces
  NameMap<bool> pod_ips;                  // namespace + '/' + raw address bytes
  PodMode pods = PodMode::disabled;
  int64_t serial = 0;

  // `rel` is a name relative to the zone whose last label is "pod".
  PodAnswer pod(std::string_view rel) const;
};

ClusterIndex build_index(const ClusterState& st, const IndexOptions& o);

}  // namespace cxxdns::plugins::k8s
