// One service's part of the index: every name it answers for (its A/AAAA/SRV name, the SRV
// names of its named ports, its endpoints' names) with their records, and the PTR names of
// its addresses, in one immutable block. A change to the service or its endpoints builds a
// new block from the objects below (in time proportional to the service), and the store
// swaps the block's names in the index.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/kubernetes/index.h"
#include "plugins/kubernetes/port_lists.h"

namespace cxxdns::plugins::k8s {

// --- The DNS fields of the objects, as the store keeps them (compact: parsed addresses,
// selectors already applied).

struct EndpointAddr {
  IpKey ip;
  bool ready = true;
  // Its hostname, else (endpoint_pod_names) its pod's name, lower case, in the group's
  // `labels` (most endpoints have neither: 24 bytes an endpoint, not 56 with a string).
  uint16_t label_at = 0, label_len = 0;
};

struct EndpointGroup {  // one EndpointSlice, or one subset of a v1 Endpoints
  bool from_slice = false;
  bool selected = true;             // matches `labels`
  uint32_t ready_any = 0;           // ready addresses, parsed or not (for `ignore empty_service`)
  std::vector<EndpointAddr> addrs;  // the addresses that parse
  std::string labels;
  PortList ports;  // shared (port_lists.h)
  std::string_view label(const EndpointAddr& a) const {
    return {labels.data() + a.label_at, a.label_len};
  }
};

struct ServiceObj {
  uint64_t seq = 0;  // the order services came in: the first one with a cluster IP names it
  bool selected = true;
  bool headless = false;
  std::vector<IpKey> cluster_ips;  // those that parse
  std::string external_name;
  PortList ports;                     // shared (port_lists.h)
  std::vector<std::string> external;  // external IPs and load balancer ingresses (k8s_external)
};

// A block and every array of it live in one allocation: with 10,000 services, eleven
// vectors a block cost 11 allocations and their headers each (about 400 bytes a service),
// and as many mallocs a rebuild.
struct ServiceBlock {
  using Ptr = PtrSlot;  // the PTR map points at it when the address has no other name
  struct Sizes {        // what a block holds, to allocate it whole
    size_t names = 0, a4 = 0, a6 = 0, srv = 0, extra = 0, ptrs = 0, ext = 0, ext_hosts = 0,
           ext_ports = 0, ext_ptrs = 0, text = 0;
  };

  // The block and its arrays, in one allocation.
  static std::unique_ptr<ServiceBlock> make(const Sizes& n);
  static void operator delete(void* p) { ::operator delete(p); }
  ServiceBlock(const ServiceBlock&) = delete;
  ServiceBlock& operator=(const ServiceBlock&) = delete;

  uint64_t epoch = 0;  // the version that built it
  BlockArrays arrays;  // where the names' records are (a4, a6, srv, extra, text)

  // The arrays, after the block in this order: those of 8-byte alignment, then of 4, then
  // bytes. Only counts are kept (a pointer and a length each took 128 bytes more a block).
  Span<NameRecord> names() const { return {as<NameRecord>(this + 1), count_[kNames]}; }
  Span<Ptr> ptrs() const { return {as<Ptr>(end_of(names())), count_[kPtrs]}; }  // in text()
  // What k8s_external reads: the service's external record (one at most: for a service
  // with external addresses, or a headless one), its parts, and the reverse of its external
  // addresses (to "svc.ns").
  Span<Ptr> ext_ptrs() const { return {as<Ptr>(end_of(ptrs())), count_[kExtPtrs]}; }
  Span<ExternalRecord> ext() const {
    return {as<ExternalRecord>(end_of(ext_ptrs())), count_[kExt]};
  }
  Span<ExternalHost> ext_hosts() const {
    return {as<ExternalHost>(end_of(ext())), count_[kExtHosts]};
  }
  Span<ExternalPort> ext_ports() const {
    return {as<ExternalPort>(end_of(ext_hosts())), count_[kExtPorts]};
  }
  Span<SrvData> srv() const { return {arrays.srv, count_[kSrv]}; }
  Span<ExtraData> extra() const { return {arrays.extra, count_[kExtra]}; }
  Span<Addr4> a4() const { return {arrays.a4, count_[kA4]}; }
  Span<Addr6> a6() const { return {arrays.a6, count_[kA6]}; }
  std::string_view text() const { return {arrays.text, count_[kText]}; }  // every name, once

  bool owns(std::string_view s) const {
    return s.data() >= arrays.text && s.data() < arrays.text + count_[kText];
  }
  // The arrays' memory, written by the builder before the block is published.
  template <typename T>
  static T* at(Span<T> s) {
    return const_cast<T*>(s.ptr);
  }

 private:
  enum : uint8_t {
    kNames,
    kPtrs,
    kExtPtrs,
    kExt,
    kExtHosts,
    kExtPorts,
    kSrv,
    kExtra,
    kA4,
    kA6,
    kText
  };
  explicit ServiceBlock(const Sizes& n);  // places the arrays right after itself
  template <typename T>
  static const T* as(const void* p) {
    return static_cast<const T*>(p);
  }
  template <typename T>
  static const void* end_of(Span<T> s) {
    return s.ptr + s.len;
  }
  uint32_t count_[11] = {};
};

struct BlockInput {
  std::string_view ns, name;
  const ServiceObj* svc = nullptr;
  std::vector<const EndpointGroup*> endpoints;  // in the order they came
  const IndexOptions* options = nullptr;
};

// The block of a service in an exposed namespace, or null when the service has no names
// (not selected, an ExternalName that is an address, `ignore empty_service`).
std::unique_ptr<ServiceBlock> build_block(const BlockInput& in);

// An address from text; false when it is not one.
bool parse_ip(const std::string& text, IpKey& out);

}  // namespace cxxdns::plugins::k8s
