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

  uint64_t epoch = 0;     // the version that built it
  std::string_view text;  // every name below, once
  BlockArrays arrays;     // where the names' records are (a4, a6, srv, extra, text)
  Span<NameRecord> names;
  Span<Addr4> a4;
  Span<Addr6> a6;
  Span<SrvData> srv;
  Span<ExtraData> extra;
  Span<Ptr> ptrs;  // names in `text`

  // What k8s_external reads: the service's external record (one at most: for a service
  // with external addresses, or a headless one), its parts, and the reverse of its external
  // addresses (to "svc.ns").
  Span<ExternalRecord> ext;
  Span<ExternalHost> ext_hosts;
  Span<ExternalPort> ext_ports;
  Span<Ptr> ext_ptrs;

  bool owns(std::string_view s) const {
    return s.data() >= text.data() && s.data() < text.data() + text.size();
  }
  // The arrays' memory, written by the builder before the block is published.
  template <typename T>
  T* at(Span<T> s) {
    return const_cast<T*>(s.ptr);
  }
  char* text_at() { return const_cast<char*>(text.data()); }

 private:
  explicit ServiceBlock(const Sizes& n);  // places the arrays right after itself
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
