#include "plugins/kubernetes/index.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>

#include "core/dns/reverse.h"

namespace cxxdns::plugins::k8s {
namespace {

using NameMap = PMap<NameTraits>;
using PtrMap = PMap<PtrTraits>;
using NamespaceMap = PMap<NamespaceTraits>;
using PodMap = PMap<PodTraits>;
using ExternalMap = PMap<ExternalTraits>;
using PodIpMap = PMap<PodIpTraits>;

// Names that exist without data of their own (NODATA): the apex, "svc", "pod".
const NameData kEmpty{};

uint64_t mix(uint64_t h) {  // spreads the bits of a hash (splitmix64's finalizer)
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

}  // namespace

uint64_t hash_text(std::string_view s) {
  return mix(std::hash<std::string_view>{}(s));
}

uint64_t hash_ip(const IpKey& ip) {
  return hash_text(std::string_view(reinterpret_cast<const char*>(ip.b.data()), ip.size())) ^
         (ip.v6 ? 0x9e3779b97f4a7c15ULL : 0);
}

uint64_t hash_pod(std::string_view ns, const IpKey& ip) {
  return mix(hash_text(ns) * 31 + hash_ip(ip));
}

const NameData* ClusterIndex::find_name(std::string_view rel) const {
  if (rel.empty() || rel == "svc" || rel == "pod") return &kEmpty;
  if (rel.ends_with(".svc") && rel.find('.') == rel.size() - 4) {  // "NAMESPACE.svc"
    return has_namespace(rel.substr(0, rel.size() - 4)) ? &kEmpty : nullptr;
  }
  const NameRecord* r = NameMap::find(names, hash_text(rel), rel);
  return r ? &r->data : nullptr;
}

Span<PtrName> ClusterIndex::find_ptr(std::string_view qname) const {
  IpKey ip;
  int family = dns::parse_reverse_name(qname, ip.b.data());
  if (family == 0) return {};
  ip.v6 = family == 6;
  const PtrEntry* e = PtrMap::find(ptr, hash_ip(ip), ip);
  if (!e || e->count == 0) return {};
  // A cluster IP names its service only (the first service with it, as in CoreDNS); else
  // every endpoint with the address.
  if (e->names()[0].service) return {e->names(), 1};
  return {e->names(), e->count};
}

PtrEntry* PtrEntry::make(uint64_t epoch, const IpKey& ip, const std::vector<PtrName>& names) {
  void* mem = std::malloc(sizeof(PtrEntry) + sizeof(PtrName) * names.size());
  if (!mem) throw std::bad_alloc();
  auto* e =
      new (mem) PtrEntry{.epoch = epoch, .ip = ip, .count = static_cast<uint32_t>(names.size())};
  std::copy(names.begin(), names.end(), reinterpret_cast<PtrName*>(e + 1));
  return e;
}

void PtrEntry::release(void* e) {
  if (!static_cast<PtrEntry*>(e)->in_block) std::free(e);
}

bool ClusterIndex::has_namespace(std::string_view ns) const {
  return NamespaceMap::find(namespaces, hash_text(ns), ns) != nullptr;
}

namespace {

// "1-2-3-4" is an IPv4 address; anything else with dashes an IPv6 one ("fd00--1").
bool pod_address(std::string_view label, IpKey& ip) {
  if (label.size() > 45) return false;
  char text[48];
  size_t dashes = std::count(label.begin(), label.end(), '-');
  bool v4 = dashes == 3 && label.find("--") == std::string_view::npos;
  for (size_t i = 0; i < label.size(); ++i) text[i] = label[i] == '-' ? (v4 ? '.' : ':') : label[i];
  text[label.size()] = 0;
  ip.v6 = !v4;
  return inet_pton(v4 ? AF_INET : AF_INET6, text, ip.b.data()) == 1;
}

// The labels of `rel` from the right, at most 6; -1 when there are more.
int labels_from_right(std::string_view rel, std::string_view (&labels)[6]) {
  int n = 0;
  while (!rel.empty()) {
    if (n == 6) return -1;
    size_t dot = rel.rfind('.');
    labels[n++] = dot == std::string_view::npos ? rel : rel.substr(dot + 1);
    rel = dot == std::string_view::npos ? std::string_view() : rel.substr(0, dot);
  }
  return n;
}

}  // namespace

PodAnswer ClusterIndex::pod(std::string_view rel) const {
  PodAnswer out;
  // Labels from the right: "pod", namespace, pod label, then at most two more (which
  // CoreDNS parses as port and protocol, and ignores for pods).
  std::string_view labels[6];
  int n = labels_from_right(rel, labels);
  if (n < 0 || n > 5) return out;  // too long a name
  if (n == 1) return {PodAnswer::nodata};
  if (pods == PodMode::disabled) return out;
  std::string_view ns = labels[1];
  if (!has_namespace(ns)) return out;
  if (n == 2) return {PodAnswer::nodata};
  IpKey ip;
  if (!pod_address(labels[2], ip)) return out;
  if (pods == PodMode::verified && !PodMap::find(pod_ips, hash_pod(ns, ip), PodKey{ns, ip})) {
    return out;
  }
  out.kind = ip.v6 ? PodAnswer::v6 : PodAnswer::v4;
  out.addr = ip.b;
  return out;
}

Span<PtrName> ClusterIndex::ptr_names(const IpKey& ip) const {
  const PtrEntry* e = PtrMap::find(ptr, hash_ip(ip), ip);
  if (!e) return {};
  return {e->names(), e->count};
}

const ExternalRecord* ClusterIndex::external(std::string_view svc_ns) const {
  return ExternalMap::find(externals, hash_text(svc_ns), svc_ns);
}

Span<PtrName> ClusterIndex::external_reverse(const IpKey& ip) const {
  const PtrEntry* e = PtrMap::find(ext_ptr, hash_ip(ip), ip);
  if (!e) return {};
  return {e->names(), e->count};
}

const std::string* ClusterIndex::pod_namespace(const IpKey& ip) const {
  const PodEntry* e = PodIpMap::find(pod_by_ip, hash_ip(ip), ip);
  return e ? e->ns : nullptr;
}

}  // namespace cxxdns::plugins::k8s
