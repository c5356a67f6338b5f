// ClusterIndex: every name the cluster answers for, so that a query is one lookup on its
// (lower-case) name. One ClusterIndex is one version: immutable once published, and made by
// ClusterStore (cluster_store.h) from the previous version by changing only what an object
// changed. The maps are persistent (pmap.h): a version shares every node it did not change
// with the one before it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/kubernetes/cluster_state.h"
#include "plugins/kubernetes/labels.h"
#include "plugins/kubernetes/pmap.h"

namespace cxxdns::plugins::k8s {

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

// A run of T stored elsewhere (in the service's block).
template <typename T>
struct Span {
  const T* ptr = nullptr;
  uint32_t len = 0;
  const T* begin() const { return ptr; }
  const T* end() const { return ptr + len; }
  size_t size() const { return len; }
  bool empty() const { return len == 0; }
  const T& operator[](size_t i) const { return ptr[i]; }
};

// The names of SRV and additional records are in their block's text (NameData::target(),
// NameData::owner()): 12 and 24 bytes, where a string view made them 24 and 40.
struct SrvData {
  uint16_t weight = 0, port = 0;
  uint32_t target_at = 0;  // relative to the zone ("web.default.svc")
  uint16_t target_len = 0;
};
struct ExtraData {
  uint32_t owner_at = 0;  // relative to the zone
  uint16_t owner_len = 0;
  bool v6 = false;
  Addr6 addr{};  // first 4 bytes for IPv4
};

// The arrays of a service's block that its names' records are runs of.
struct BlockArrays {
  const Addr4* a4 = nullptr;
  const Addr6* a6 = nullptr;
  const SrvData* srv = nullptr;
  const ExtraData* extra = nullptr;
  const char* text = nullptr;
};

// What one name holds; all empty: the name exists without data (NODATA).
//
// Runs of its block's arrays, by index: 40 bytes, where a pointer and a length per run took
// 80, and a cluster has some seven names a service. A run holds at most 65,535 records
// (more would not fit in a DNS message either).
struct NameData {
  const BlockArrays* block = nullptr;
  uint32_t a_at = 0, aaaa_at = 0, srv_at = 0, extra_at = 0, cname_at = 0;
  uint16_t a_len = 0, aaaa_len = 0, srv_len = 0, extra_len = 0, cname_len = 0;

  Span<Addr4> a() const { return {a_len ? block->a4 + a_at : nullptr, a_len}; }
  Span<Addr6> aaaa() const { return {aaaa_len ? block->a6 + aaaa_at : nullptr, aaaa_len}; }
  Span<SrvData> srv() const { return {srv_len ? block->srv + srv_at : nullptr, srv_len}; }
  // The SRV targets' addresses.
  Span<ExtraData> extra() const {
    return {extra_len ? block->extra + extra_at : nullptr, extra_len};
  }
  std::string_view target(const SrvData& s) const {
    return {block->text + s.target_at, s.target_len};
  }
  std::string_view owner(const ExtraData& e) const {
    return {block->text + e.owner_at, e.owner_len};
  }
  // Absolute, for ExternalName services.
  std::string_view cname() const {
    return cname_len ? std::string_view(block->text + cname_at, cname_len) : std::string_view();
  }
};

struct PodAnswer {
  enum Kind { nxdomain, nodata, v4, v6 } kind = nxdomain;
  Addr6 addr{};
};

// An address as a key: IPv4 in the first 4 bytes.
struct IpKey {
  Addr6 b{};
  bool v6 = false;
  bool operator==(const IpKey&) const = default;
  size_t size() const { return v6 ? 16 : 4; }
};
uint64_t hash_ip(const IpKey& ip);
uint64_t hash_text(std::string_view s);

// --- The leaves of the maps (owned by the store; immutable once published).

struct NameRecord {
  NameData data;
  uint32_t name_at = 0;  // in the block's text
  uint16_t name_len = 0;
  // Relative to the zone, lower case, no final dot.
  std::string_view name() const { return {data.block->text + name_at, name_len}; }
};

// A name a PTR answers with, relative to the primary zone (added when answering).
struct PtrName {
  const char* text = nullptr;
  uint32_t len = 0;
  bool service = false;
  uint64_t order = 0;  // services before endpoints, then in the order they came
  std::string_view name() const { return {text, len}; }
};
// The names of one address, followed by them: there are as many of these as endpoints.
// Most addresses have one name, and their entry lives in the block of the service that
// names it (a PtrSlot, `in_block`); an address several services or endpoints share gets an
// entry of its own, made by make().
struct PtrEntry {
  uint64_t epoch = 0;
  IpKey ip;
  bool in_block = false;
  uint32_t count = 0;
  const PtrName* names() const { return reinterpret_cast<const PtrName*>(this + 1); }
  static PtrEntry* make(uint64_t epoch, const IpKey& ip, const std::vector<PtrName>& names);
  static void release(void* e);  // frees what make() made; an entry in a block stays
};
// An address with one name, as a block holds it: an entry that the PTR map can point at.
struct PtrSlot {
  PtrEntry entry;
  PtrName name;
};
static_assert(offsetof(PtrSlot, name) == sizeof(PtrEntry), "names() follows the entry");

// --- What k8s_external reads (plugins/pkg/external.h), per service.

// An external address, or a load balancer's host name (absolute, its case kept).
struct ExternalHost {
  IpKey ip;
  bool is_ip = true;
  std::string_view hostname;
};
struct ExternalPort {
  std::string_view name, protocol;  // lower case
  int32_t port = 0;
};
// One service's external view, by "svc.ns" (lower case).
struct ExternalRecord {
  std::string_view name;
  bool headless = false;
  Span<ExternalHost> hosts;
  Span<ExternalPort> ports;
};

struct NamespaceEntry {
  uint64_t hash = 0;
  std::string name;  // an exposed namespace, lower case
};

// One (namespace, address) that a pod has: 40 bytes, there may be 150,000 of them.
struct PodEntry {
  const std::string* ns = nullptr;  // interned by the store
  IpKey ip;
  uint32_t pods = 0;  // how many pods have it (the writer's count; readers do not read it)
  // The next entry with the same address in another namespace (host-network pods share the
  // node's): the writer's list, so that the address map (pod_by_ip) always has one of them.
  PodEntry* next_same_ip = nullptr;
};

struct NameTraits {
  using Leaf = NameRecord;
  using Key = std::string_view;
  static uint64_t hash(const Leaf& l) { return hash_text(l.name()); }
  static Key key(const Leaf& l) { return l.name(); }
  static bool match(const Leaf& l, Key k) { return l.name() == k; }
};
struct PtrTraits {
  using Leaf = PtrEntry;
  using Key = IpKey;
  static uint64_t hash(const Leaf& l) { return hash_ip(l.ip); }
  static Key key(const Leaf& l) { return l.ip; }
  static bool match(const Leaf& l, const Key& k) { return l.ip == k; }
};
struct NamespaceTraits {
  using Leaf = NamespaceEntry;
  using Key = std::string_view;
  static uint64_t hash(const Leaf& l) { return l.hash; }
  static Key key(const Leaf& l) { return l.name; }
  static bool match(const Leaf& l, Key k) { return l.name == k; }
};
struct PodKey {
  std::string_view ns;
  IpKey ip;
};
uint64_t hash_pod(std::string_view ns, const IpKey& ip);
struct PodTraits {
  using Leaf = PodEntry;
  using Key = PodKey;
  static uint64_t hash(const Leaf& l) { return hash_pod(*l.ns, l.ip); }
  static Key key(const Leaf& l) { return {*l.ns, l.ip}; }
  static bool match(const Leaf& l, const Key& k) { return l.ip == k.ip && *l.ns == k.ns; }
};

struct ExternalTraits {
  using Leaf = ExternalRecord;
  using Key = std::string_view;
  static uint64_t hash(const Leaf& l) { return hash_text(l.name); }
  static Key key(const Leaf& l) { return l.name; }
  static bool match(const Leaf& l, Key k) { return l.name == k; }
};
// Pods by address alone (autopath: the client's namespace): one of the entries with it.
struct PodIpTraits {
  using Leaf = PodEntry;
  using Key = IpKey;
  static uint64_t hash(const Leaf& l) { return hash_ip(l.ip); }
  static Key key(const Leaf& l) { return l.ip; }
  static bool match(const Leaf& l, const Key& k) { return l.ip == k; }
};

struct ClusterIndex {
  const PBranch* names = nullptr;       // NameRecord by relative name
  const PBranch* ptr = nullptr;         // PtrEntry by address
  const PBranch* namespaces = nullptr;  // NamespaceEntry: the exposed namespaces
  const PBranch* pod_ips = nullptr;     // PodEntry by namespace and address (pods verified)
  PodMode pods = PodMode::disabled;
  int64_t serial = 0;
  const PBranch* externals = nullptr;  // ExternalRecord by "svc.ns"
  const PBranch* ext_ptr = nullptr;    // PtrEntry ("svc.ns") by external address
  const PBranch* pod_by_ip = nullptr;  // PodEntry by address (pods verified)

  // `rel`: a lower-case name relative to the zone, without the final dot ("" is the apex,
  // "web.default.svc"). Null when the name does not exist; a NameData with nothing in it
  // when it exists without data.
  const NameData* find_name(std::string_view rel) const;
  // `qname`: a lower-case reverse name ("1.0.96.10.in-addr.arpa."). The names to answer
  // with (relative to the primary zone); empty when there are none.
  Span<PtrName> find_ptr(std::string_view qname) const;
  bool has_namespace(std::string_view ns) const;
  // `rel` is a name relative to the zone whose last label is "pod".
  PodAnswer pod(std::string_view rel) const;
  // Every name of address `ip` in the PTR map (services first), for the name server's
  // addresses of k8s_external.
  Span<PtrName> ptr_names(const IpKey& ip) const;
  // The external view of service "svc.ns" (lower case), or null.
  const ExternalRecord* external(std::string_view svc_ns) const;
  // The services ("svc.ns") with external address `ip`, first come first.
  Span<PtrName> external_reverse(const IpKey& ip) const;
  // The namespace of a pod with address `ip` (pods verified), or null.
  const std::string* pod_namespace(const IpKey& ip) const;
};

}  // namespace cxxdns::plugins::k8s
