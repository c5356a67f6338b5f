// ClusterStore: the objects a source hands over (namespaces, services, endpoint sets, pods,
// with only their DNS fields) and the index made from them, changed per object.
//
// An object that changes marks the services it touches; commit() rebuilds only those (one
// block each, service_block.h), swaps their names and PTR entries in the persistent maps
// (pmap.h) and returns the new version's root. A burst of events is one commit: each service
// is rebuilt once however many of its events came. Cost: proportional to what changed, never
// to the cluster. One writer at a time (the caller serializes); readers use the roots that
// commit returned, through Published (published.h).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "plugins/kubernetes/cluster_state.h"
#include "plugins/kubernetes/index.h"
#include "plugins/kubernetes/service_block.h"

namespace cxxdns::plugins::k8s {

class ClusterStore {
 public:
  explicit ClusterStore(const IndexOptions& o);
  ~ClusterStore();
  ClusterStore(const ClusterStore&) = delete;
  ClusterStore& operator=(const ClusterStore&) = delete;

  // The whole of a state (the state file): every object, committed once.
  static std::unique_ptr<ClusterStore> from_state(const ClusterState& st, const IndexOptions& o);

  // An object added or changed (a list item, an ADDED or MODIFIED event): `kind` is
  // "Namespace", "Service", "EndpointSlice", "Endpoints" or "Pod", `key` its "ns/name", and
  // `frag` what parse_object made of it (an empty one: nothing DNS serves, as a removal).
  void apply(std::string_view kind, const std::string& key, const ClusterState& frag);
  void remove(std::string_view kind, const std::string& key);
  // A full list of `kind` replaces what was known of it: objects it does not have (deleted
  // while no watch ran) go at end_relist().
  void begin_relist(std::string_view kind);
  void end_relist(std::string_view kind);

  bool changed() const { return changed_; }
  // Builds what changed into a new version and returns its root (owned by the store until
  // the next commit); `garbage` receives what the new version no longer reaches, to free
  // once no reader holds an older one.
  const ClusterIndex* commit(int64_t serial, Garbage& garbage);
  const ClusterIndex* root() const { return root_; }

  // For the dns_programming_duration metric: the last-change-trigger-time (unix ns) of each
  // endpoint set of a headless service applied since the last call.
  std::vector<int64_t> take_programmed();

  struct Counts {
    size_t namespaces, services, endpoint_sets, pods, names;
  };
  Counts counts() const;

 private:
  struct NamespaceObj {
    bool exposed = false;
    uint32_t gen = 0;
  };
  struct EndpointsObj {
    std::string group;  // "ns/service"
    uint64_t seq = 0;
    uint32_t gen = 0;
    std::vector<EndpointGroup> sets;
  };
  struct Group {  // a service and its endpoints, by "ns/service"
    std::unique_ptr<ServiceObj> svc;
    uint32_t svc_gen = 0;
    std::vector<EndpointsObj*> endpoints;
    ServiceBlock* block = nullptr;
  };
  struct NsName {
    std::string name;
    uint32_t refs = 0;
  };
  struct PodObj {  // 24 bytes: a pod has at most two addresses (one per family)
    uint32_t gen = 0;
    uint8_t count = 0;
    PodEntry* entries[2] = {nullptr, nullptr};
  };
  // Pods by a 128-bit hash of "ns/name", not the name: 150,000 names would cost 10 MB, and
  // two keys that collide in 128 bits are not to be expected.
  struct PodKey128 {
    uint64_t a, b;
    bool operator==(const PodKey128&) const = default;
  };
  struct PodKeyHash {
    size_t operator()(const PodKey128& k) const { return k.a; }
  };
  static PodKey128 pod_key(const std::string& key);
  enum class Kind { ns, service, endpoints, pod, other };
  static Kind kind_of(std::string_view kind);

  void put_namespace(const Namespace& ns);
  void drop_namespace(const std::string& name);
  void mark_namespace(const std::string& name);
  void put_service(const std::string& key, const Service& s);
  void drop_service(const std::string& key);
  void put_endpoints(const std::string& key, const std::vector<EndpointSet>& sets);
  void drop_endpoints(const std::string& key);
  void put_pod(const std::string& key, const Pod& p);
  void drop_pod(const std::string& key);
  void drop_pod_at(const PodKey128& key);
  PodEntry* pod_ref(std::string_view ns, const IpKey& ip);
  void pod_unref(PodEntry* e);
  void pod_ip_unlink(PodEntry* e);

  Group& group(const std::string& key);
  void forget_if_empty(const std::string& key);
  bool exposed(std::string_view ns) const;
  void rebuild(const std::string& key);
  using PtrList = Span<ServiceBlock::Ptr> (ServiceBlock::*)() const;
  void swap_names(ServiceBlock* old_b, ServiceBlock* new_b);
  void swap_externals(ServiceBlock* old_b, ServiceBlock* new_b);
  // The PTR names of `list` (the cluster's, or the external addresses') in `map`.
  void swap_ptrs(PMap<PtrTraits>& map, PtrList list, ServiceBlock* old_b, ServiceBlock* new_b);
  struct PtrWork {  // an address of a block being swapped
    const IpKey* ip;
    const PtrSlot* slot;  // in the new block; null for the old block's
  };
  void update_ptr(PMap<PtrTraits>& map, const IpKey& ip, ServiceBlock* old_b, const PtrWork* mine,
                  const PtrWork* end);
  template <typename T>
  void retire(T* p, uint64_t made_in);

  IndexOptions opts_;
  std::unordered_map<std::string, NamespaceObj> namespaces_;
  std::map<std::string, Group, std::less<>> groups_;  // ordered: a namespace is a range
  std::unordered_map<std::string, EndpointsObj> endpoints_;
  std::unordered_map<PodKey128, PodObj, PodKeyHash> pods_;
  std::unordered_map<std::string_view, NsName*> ns_names_;
  std::set<std::string> dirty_;  // groups to rebuild at the next commit
  uint32_t gen_[4] = {0, 0, 0, 0};
  uint64_t seq_ = 0;
  bool changed_ = true;
  std::vector<int64_t> programmed_;
  std::vector<PtrName> ptr_names_;  // update_ptr's, kept between calls
  std::vector<PtrWork> ptr_work_;   // swap_ptrs', likewise
  PortLists port_lists_;

  PMap<NameTraits> names_;
  PMap<PtrTraits> ptr_;
  PMap<NamespaceTraits> ns_map_;
  PMap<PodTraits> pod_map_;
  PMap<ExternalTraits> ext_map_;
  PMap<PtrTraits> ext_ptr_;
  PMap<PodIpTraits> pod_ip_map_;
  Garbage garbage_;  // what the version being built no longer reaches
  Epoch epoch_;
  ClusterIndex* root_ = nullptr;
};

}  // namespace cxxdns::plugins::k8s
