#include "plugins/kubernetes/cluster_store.h"

#include <algorithm>
#include <tuple>

namespace cxxdns::plugins::k8s {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return s;
}

std::string_view ns_of(std::string_view key) {
  return key.substr(0, key.find('/'));
}
std::string_view name_of(std::string_view key) {
  size_t slash = key.find('/');
  return slash == std::string_view::npos ? key : key.substr(slash + 1);
}

bool same_service(const ServiceObj& a, const ServiceObj& b) {
  return a.selected == b.selected && a.headless == b.headless && a.cluster_ips == b.cluster_ips &&
         a.external_name == b.external_name && a.ports == b.ports && a.external == b.external;
}

}  // namespace

ClusterStore::ClusterStore(const IndexOptions& o) : opts_(o) {
  epoch_.garbage = &garbage_;
}

ClusterStore::~ClusterStore() {
  // The PTR entries first: release() reads whether an entry lives in a block.
  ptr_.each([](const PtrEntry* e) { PtrEntry::release(const_cast<PtrEntry*>(e)); });
  ext_ptr_.each([](const PtrEntry* e) { PtrEntry::release(const_cast<PtrEntry*>(e)); });
  for (auto& [k, g] : groups_) delete g.block;
  ns_map_.each([](const NamespaceEntry* e) { delete e; });
  pod_map_.each([](const PodEntry* e) { delete e; });
  for (auto& [k, n] : ns_names_) delete n;
  names_.destroy();
  ptr_.destroy();
  ns_map_.destroy();
  pod_map_.destroy();
  ext_map_.destroy();
  ext_ptr_.destroy();
  pod_ip_map_.destroy();
  delete root_;
  garbage_.free_all();
}

std::unique_ptr<ClusterStore> ClusterStore::from_state(const ClusterState& st,
                                                       const IndexOptions& o) {
  auto s = std::make_unique<ClusterStore>(o);
  for (auto& ns : st.namespaces) s->put_namespace(ns);
  for (auto& svc : st.services) s->put_service(svc.ns + "/" + svc.name, svc);
  // A state file's endpoint sets have no names of their own: each is an object.
  for (size_t i = 0; i < st.endpoints.size(); ++i) {
    s->put_endpoints("#" + std::to_string(i), {st.endpoints[i]});
  }
  for (size_t i = 0; i < st.pods.size(); ++i) s->put_pod("#" + std::to_string(i), st.pods[i]);
  Garbage nothing_published_yet;
  s->commit(st.modified, nothing_published_yet);
  nothing_published_yet.free_all();
  return s;
}

ClusterStore::Kind ClusterStore::kind_of(std::string_view kind) {
  if (kind == "Namespace") return Kind::ns;
  if (kind == "Service") return Kind::service;
  if (kind == "EndpointSlice" || kind == "Endpoints") return Kind::endpoints;
  if (kind == "Pod") return Kind::pod;
  return Kind::other;
}

void ClusterStore::apply(std::string_view kind, const std::string& key, const ClusterState& frag) {
  switch (kind_of(kind)) {
    case Kind::ns:
      if (frag.namespaces.empty()) return remove(kind, key);
      return put_namespace(frag.namespaces[0]);
    case Kind::service:
      if (frag.services.empty()) return remove(kind, key);
      return put_service(key, frag.services[0]);
    case Kind::endpoints:
      if (frag.endpoints.empty()) return remove(kind, key);
      return put_endpoints(key, frag.endpoints);
    case Kind::pod:
      if (frag.pods.empty()) return remove(kind, key);
      return put_pod(key, frag.pods[0]);
    case Kind::other:
      return;
  }
}

void ClusterStore::remove(std::string_view kind, const std::string& key) {
  switch (kind_of(kind)) {
    case Kind::ns:
      return drop_namespace(std::string(name_of(key)));
    case Kind::service:
      return drop_service(key);
    case Kind::endpoints:
      return drop_endpoints(key);
    case Kind::pod:
      return drop_pod(key);
    case Kind::other:
      return;
  }
}

void ClusterStore::begin_relist(std::string_view kind) {
  Kind k = kind_of(kind);
  if (k != Kind::other) ++gen_[static_cast<int>(k)];
}

namespace {

// Drops, with `drop(key)`, the entries of `m` that `stale(value)` says the relist did not see.
template <typename Map, typename Stale, typename Drop>
void sweep(const Map& m, Stale stale, Drop drop) {
  std::vector<typename Map::key_type> gone;
  for (auto& [key, value] : m)
    if (stale(value)) gone.push_back(key);
  for (auto& key : gone) drop(key);
}

}  // namespace

void ClusterStore::end_relist(std::string_view kind) {
  Kind k = kind_of(kind);
  if (k == Kind::other) return;
  uint32_t gen = gen_[static_cast<int>(k)];
  switch (k) {
    case Kind::ns:
      return sweep(
          namespaces_, [&](auto& o) { return o.gen != gen; }, [&](auto& n) { drop_namespace(n); });
    case Kind::service:
      return sweep(
          groups_, [&](auto& g) { return g.svc && g.svc_gen != gen; },
          [&](auto& key) { drop_service(key); });
    case Kind::endpoints:
      return sweep(
          endpoints_, [&](auto& e) { return e.gen != gen; },
          [&](auto& key) { drop_endpoints(key); });
    default:
      return sweep(
          pods_, [&](auto& p) { return p.gen != gen; }, [&](auto& key) { drop_pod_at(key); });
  }
}

// --- namespaces

void ClusterStore::put_namespace(const Namespace& ns) {
  bool listed = opts_.namespaces.empty() ||
                std::find(opts_.namespaces.begin(), opts_.namespaces.end(), ns.name) !=
                    opts_.namespaces.end();
  bool exposed = listed && opts_.namespace_labels.matches(ns.labels);
  auto [it, added] = namespaces_.try_emplace(ns.name);
  it->second.gen = gen_[static_cast<int>(Kind::ns)];
  if (!added && it->second.exposed == exposed) return;
  it->second.exposed = exposed;
  std::string name = lower(ns.name);
  uint64_t h = hash_text(name);
  if (exposed) {
    auto* e = new NamespaceEntry{h, name};
    if (auto* old = ns_map_.put(e, epoch_)) garbage_.add_object(const_cast<NamespaceEntry*>(old));
  } else if (auto* old = ns_map_.erase(h, name, epoch_)) {
    garbage_.add_object(const_cast<NamespaceEntry*>(old));
  }
  mark_namespace(ns.name);
}

void ClusterStore::drop_namespace(const std::string& name) {
  auto it = namespaces_.find(name);
  if (it == namespaces_.end()) return;
  bool was_exposed = it->second.exposed;
  namespaces_.erase(it);
  if (!was_exposed) return;
  std::string n = lower(name);
  if (auto* old = ns_map_.erase(hash_text(n), n, epoch_)) {
    garbage_.add_object(const_cast<NamespaceEntry*>(old));
  }
  mark_namespace(name);
}

// Every service of the namespace gains or loses its names.
void ClusterStore::mark_namespace(const std::string& name) {
  std::string prefix = name + "/";
  for (auto it = groups_.lower_bound(prefix); it != groups_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    dirty_.insert(it->first);
  }
  changed_ = true;
}

bool ClusterStore::exposed(std::string_view ns) const {
  auto it = namespaces_.find(std::string(ns));
  return it != namespaces_.end() && it->second.exposed;
}

// --- services and their endpoints

ClusterStore::Group& ClusterStore::group(const std::string& key) {
  return groups_[key];
}

void ClusterStore::forget_if_empty(const std::string& key) {
  auto it = groups_.find(key);
  if (it == groups_.end()) return;
  const Group& g = it->second;
  if (!g.svc && g.endpoints.empty() && !g.block && !dirty_.count(key)) groups_.erase(it);
}

void ClusterStore::put_service(const std::string& key, const Service& s) {
  Group& g = group(key);
  auto obj = std::make_unique<ServiceObj>();
  obj->seq = g.svc ? g.svc->seq : ++seq_;
  obj->selected = opts_.labels.matches(s.labels);
  obj->headless = s.headless;
  for (auto& text : s.cluster_ips) {
    IpKey ip;
    if (parse_ip(text, ip)) obj->cluster_ips.push_back(ip);
  }
  obj->external_name = s.external_name;
  obj->ports = port_lists_.get(s.ports);
  obj->external = s.external;
  g.svc_gen = gen_[static_cast<int>(Kind::service)];
  if (g.svc && same_service(*g.svc, *obj)) return;  // a change DNS does not see
  g.svc = std::move(obj);
  dirty_.insert(key);
  changed_ = true;
}

void ClusterStore::drop_service(const std::string& key) {
  auto it = groups_.find(key);
  if (it == groups_.end() || !it->second.svc) return;
  it->second.svc.reset();
  dirty_.insert(key);
  changed_ = true;
}

namespace {

EndpointGroup compact(const EndpointSet& set, const IndexOptions& o, PortLists& port_lists) {
  EndpointGroup g;
  g.from_slice = set.from_slice;
  g.selected = o.labels.matches(set.labels);
  for (auto& a : set.addresses) {
    g.ready_any += a.ready;
    EndpointAddr e;
    if (!parse_ip(a.ip, e.ip)) continue;
    e.ready = a.ready;
    std::string label;
    if (!a.hostname.empty())
      label = lower(a.hostname);
    else if (o.endpoint_pod_names)
      label = lower(a.pod_name);
    if (!label.empty() && g.labels.size() + label.size() <= UINT16_MAX) {
      e.label_at = static_cast<uint16_t>(g.labels.size());
      e.label_len = static_cast<uint16_t>(label.size());
      g.labels += label;
    }
    g.addrs.push_back(e);
  }
  g.ports = port_lists.get(set.ports);
  g.labels.shrink_to_fit();
  return g;
}

bool same_sets(const std::vector<EndpointGroup>& a, const std::vector<EndpointGroup>& b) {
  auto same_addr = [](const EndpointAddr& x, const EndpointAddr& y) {
    return x.ip == y.ip && x.ready == y.ready && x.label_at == y.label_at &&
           x.label_len == y.label_len;
  };
  auto same = [&](const EndpointGroup& x, const EndpointGroup& y) {
    return x.from_slice == y.from_slice && x.selected == y.selected && x.ready_any == y.ready_any &&
           x.ports == y.ports && x.labels == y.labels &&
           std::equal(x.addrs.begin(), x.addrs.end(), y.addrs.begin(), y.addrs.end(), same_addr);
  };
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), same);
}

}  // namespace

void ClusterStore::put_endpoints(const std::string& key, const std::vector<EndpointSet>& sets) {
  std::string gk = sets[0].ns + "/" + sets[0].service;
  std::vector<EndpointGroup> compacted;
  compacted.reserve(sets.size());
  for (auto& s : sets) compacted.push_back(compact(s, opts_, port_lists_));
  auto [it, added] = endpoints_.try_emplace(key);
  EndpointsObj& e = it->second;
  e.gen = gen_[static_cast<int>(Kind::endpoints)];
  if (added) e.seq = ++seq_;
  if (!added && e.group == gk && same_sets(e.sets, compacted)) return;
  if (!added && e.group != gk) {  // the slice now serves another service
    Group& was = group(e.group);
    std::erase(was.endpoints, &e);
    dirty_.insert(e.group);
  }
  e.sets = std::move(compacted);
  Group& g = group(gk);
  if (e.group != gk) {
    e.group = gk;
    auto pos = std::find_if(g.endpoints.begin(), g.endpoints.end(),
                            [&](const EndpointsObj* x) { return x->seq > e.seq; });
    g.endpoints.insert(pos, &e);
  }
  dirty_.insert(gk);
  changed_ = true;
  if (g.svc && g.svc->headless) {
    for (auto& s : sets)
      if (s.trigger_ns) programmed_.push_back(s.trigger_ns);
  }
}

void ClusterStore::drop_endpoints(const std::string& key) {
  auto it = endpoints_.find(key);
  if (it == endpoints_.end()) return;
  std::string gk = it->second.group;
  std::erase(group(gk).endpoints, &it->second);
  endpoints_.erase(it);
  dirty_.insert(gk);
  changed_ = true;
}

// --- pods (`pods verified` only reads them)

ClusterStore::PodKey128 ClusterStore::pod_key(const std::string& key) {
  uint64_t fnv = 0xcbf29ce484222325ULL;  // FNV-1a beside the map's hash: two independent halves
  for (unsigned char c : key) fnv = (fnv ^ c) * 0x100000001b3ULL;
  return {hash_text(key), fnv};
}

void ClusterStore::put_pod(const std::string& key, const Pod& p) {
  if (opts_.pods != PodMode::verified) return;
  std::vector<IpKey> ips;
  for (auto& text : p.ips) {
    IpKey ip;
    if (ips.size() < 2 && parse_ip(text, ip) && std::find(ips.begin(), ips.end(), ip) == ips.end())
      ips.push_back(ip);
  }
  PodObj& o = pods_[pod_key(key)];
  o.gen = gen_[static_cast<int>(Kind::pod)];
  bool same = o.count == ips.size();
  for (size_t i = 0; same && i < ips.size(); ++i) {
    same = o.entries[i]->ip == ips[i] && *o.entries[i]->ns == p.ns;
  }
  if (same) return;
  PodEntry* now[2] = {nullptr, nullptr};
  for (size_t i = 0; i < ips.size(); ++i) now[i] = pod_ref(p.ns, ips[i]);
  for (uint8_t i = 0; i < o.count; ++i) pod_unref(o.entries[i]);
  o.count = static_cast<uint8_t>(ips.size());
  std::copy(now, now + 2, o.entries);
  changed_ = true;
}

void ClusterStore::drop_pod(const std::string& key) {
  drop_pod_at(pod_key(key));
}

void ClusterStore::drop_pod_at(const PodKey128& key) {
  auto it = pods_.find(key);
  if (it == pods_.end()) return;
  for (uint8_t i = 0; i < it->second.count; ++i) pod_unref(it->second.entries[i]);
  pods_.erase(it);
  changed_ = true;
}

// The entry of (namespace, address), counted once more: pods may share an address (those
// on the host's network).
PodEntry* ClusterStore::pod_ref(std::string_view ns, const IpKey& ip) {
  uint64_t h = hash_pod(ns, ip);
  if (auto* found = PMap<PodTraits>::find(pod_map_.root(), h, PodKey{ns, ip})) {
    auto* e = const_cast<PodEntry*>(found);
    ++e->pods;
    return e;
  }
  NsName* n;
  if (auto it = ns_names_.find(ns); it != ns_names_.end()) {
    n = it->second;
  } else {
    n = new NsName{std::string(ns)};
    ns_names_.emplace(n->name, n);  // keyed by its own text, which does not move
  }
  ++n->refs;
  auto* e = new PodEntry{&n->name, ip, 1};
  pod_map_.put(e, epoch_);
  // The address map keeps the first entry with the address; later ones wait behind it.
  if (auto* head = PMap<PodIpTraits>::find(pod_ip_map_.root(), hash_ip(ip), ip)) {
    auto* h = const_cast<PodEntry*>(head);
    e->next_same_ip = h->next_same_ip;
    h->next_same_ip = e;
  } else {
    pod_ip_map_.put(e, epoch_);
  }
  return e;
}

void ClusterStore::pod_ip_unlink(PodEntry* e) {
  const uint64_t h = hash_ip(e->ip);
  auto* head = const_cast<PodEntry*>(PMap<PodIpTraits>::find(pod_ip_map_.root(), h, e->ip));
  if (head == e) {
    if (e->next_same_ip)
      pod_ip_map_.put(e->next_same_ip, epoch_);
    else
      pod_ip_map_.erase(h, e->ip, epoch_);
    return;
  }
  for (PodEntry* p = head; p; p = p->next_same_ip) {
    if (p->next_same_ip == e) {
      p->next_same_ip = e->next_same_ip;
      return;
    }
  }
}

void ClusterStore::pod_unref(PodEntry* e) {
  if (--e->pods > 0) return;
  pod_map_.erase(hash_pod(*e->ns, e->ip), PodKey{*e->ns, e->ip}, epoch_);
  pod_ip_unlink(e);
  auto it = ns_names_.find(*e->ns);
  NsName* n = it->second;
  if (--n->refs == 0) {
    ns_names_.erase(it);
    garbage_.add_object(n);  // older versions' entries still name it
  }
  garbage_.add_object(e);
}

// --- building a version

template <typename T>
void ClusterStore::retire(T* p, uint64_t made_in) {
  if (made_in == epoch_.now)
    delete p;  // no reader has seen it
  else
    garbage_.add_object(p);
}

void ClusterStore::rebuild(const std::string& key) {
  auto it = groups_.find(key);
  if (it == groups_.end()) return;
  Group& g = it->second;
  std::unique_ptr<ServiceBlock> fresh;
  if (g.svc && exposed(ns_of(key))) {
    BlockInput in{ns_of(key), name_of(key), g.svc.get(), {}, &opts_};
    bool has_slice = false;
    for (auto* e : g.endpoints)
      for (auto& s : e->sets) has_slice |= s.from_slice;
    // Where EndpointSlices exist, v1 Endpoints (the same data, mirrored) are left out.
    for (auto* e : opts_.endpoints ? g.endpoints : std::vector<EndpointsObj*>{}) {
      for (auto& s : e->sets)
        if (s.selected && (s.from_slice || !has_slice)) in.endpoints.push_back(&s);
    }
    fresh = build_block(in);
    if (fresh) fresh->epoch = epoch_.now;
  }
  swap_names(g.block, fresh.get());
  swap_externals(g.block, fresh.get());
  swap_ptrs(ptr_, &ServiceBlock::ptrs, g.block, fresh.get());
  swap_ptrs(ext_ptr_, &ServiceBlock::ext_ptrs, g.block, fresh.get());
  if (g.block) retire(g.block, g.block->epoch);
  g.block = fresh.release();
}

void ClusterStore::swap_names(ServiceBlock* old_b, ServiceBlock* new_b) {
  if (new_b) {
    for (auto& r : new_b->names()) names_.put(&r, epoch_);
  }
  if (!old_b) return;
  for (auto& r : old_b->names()) {  // names the new block does not have
    uint64_t h = hash_text(r.name());
    if (PMap<NameTraits>::find(names_.root(), h, r.name()) == &r) names_.erase(h, r.name(), epoch_);
  }
}

void ClusterStore::swap_externals(ServiceBlock* old_b, ServiceBlock* new_b) {
  if (new_b) {
    for (auto& r : new_b->ext()) ext_map_.put(&r, epoch_);
  }
  if (!old_b) return;
  for (auto& r : old_b->ext()) {  // a view the new block does not have
    uint64_t h = hash_text(r.name);
    if (PMap<ExternalTraits>::find(ext_map_.root(), h, r.name) == &r)
      ext_map_.erase(h, r.name, epoch_);
  }
}

void ClusterStore::swap_ptrs(PMap<PtrTraits>& map, PtrList list, ServiceBlock* old_b,
                             ServiceBlock* new_b) {
  // Every address of either block once, with the new block's slots for it (null: the old
  // block's), sorted by address: a service with thousands of endpoints costs n log n here,
  // where a search per address cost n squared.
  std::vector<PtrWork>& work = ptr_work_;
  work.clear();
  if (old_b) {
    for (auto& p : (old_b->*list)()) work.push_back({&p.entry.ip, nullptr});
  }
  if (new_b) {
    for (auto& p : (new_b->*list)()) work.push_back({&p.entry.ip, &p});
  }
  // The new block's slots of one address stay in the block's order (std::sort, which needs
  // no buffer: std::stable_sort allocated one every event).
  std::sort(work.begin(), work.end(), [](const PtrWork& x, const PtrWork& y) {
    return std::tie(x.ip->v6, x.ip->b, x.slot) < std::tie(y.ip->v6, y.ip->b, y.slot);
  });
  for (size_t i = 0; i < work.size();) {
    size_t j = i + 1;
    while (j < work.size() && *work[j].ip == *work[i].ip) ++j;
    update_ptr(map, *work[i].ip, old_b, work.data() + i, work.data() + j);
    i = j;
  }
}

namespace {

// Services first, then in the order they came: an insertion sort, stable and without the
// buffer std::stable_sort allocates (an address has one or two names).
void sort_ptr_names(std::vector<PtrName>& names) {
  auto before = [](const PtrName& a, const PtrName& b) {
    return a.service != b.service ? a.service : a.order < b.order;
  };
  for (size_t i = 1; i < names.size(); ++i) {
    PtrName n = names[i];
    size_t j = i;
    for (; j > 0 && before(n, names[j - 1]); --j) names[j] = names[j - 1];
    names[j] = n;
  }
}

}  // namespace

// The names of one address: the other services' as they were, this one's as it is now
// (`mine`: the address's entries in the old and the new block).
void ClusterStore::update_ptr(PMap<PtrTraits>& map, const IpKey& ip, ServiceBlock* old_b,
                              const PtrWork* mine, const PtrWork* end) {
  uint64_t h = hash_ip(ip);
  const PtrEntry* cur = PMap<PtrTraits>::find(map.root(), h, ip);
  std::vector<PtrName>& names = ptr_names_;
  names.clear();
  if (cur) {
    for (uint32_t i = 0; i < cur->count; ++i) {
      const PtrName& n = cur->names()[i];
      if (!old_b || !old_b->owns(n.name())) names.push_back(n);
    }
  }
  const PtrEntry* own = nullptr;  // the new block's own entry for the address
  for (const PtrWork* w = mine; w != end; ++w) {
    if (!w->slot) continue;
    names.push_back(w->slot->name);
    own = &w->slot->entry;
  }
  sort_ptr_names(names);
  if (names.empty()) {
    if (cur) map.erase(h, ip, epoch_);
  } else if (names.size() == 1 && own) {
    map.put(own, epoch_);  // the address's one name is the new block's: no entry to make
  } else {
    map.put(PtrEntry::make(epoch_.now, ip, names), epoch_);
  }
  if (!cur || cur->in_block) return;  // an entry in a block goes with its block
  auto* old = const_cast<PtrEntry*>(cur);
  if (old->epoch == epoch_.now)
    PtrEntry::release(old);  // no reader has seen it
  else
    garbage_.add(old, &PtrEntry::release);
}

const ClusterIndex* ClusterStore::commit(int64_t serial, Garbage& garbage) {
  for (auto& key : dirty_) rebuild(key);
  std::set<std::string> done;
  done.swap(dirty_);
  for (auto& key : done) forget_if_empty(key);
  auto* r = new ClusterIndex{names_.root(),   ptr_.root(),     ns_map_.root(),
                             pod_map_.root(), opts_.pods,      serial,
                             ext_map_.root(), ext_ptr_.root(), pod_ip_map_.root()};
  if (root_) garbage_.add_object(root_);
  root_ = r;
  garbage.items.insert(garbage.items.end(), garbage_.items.begin(), garbage_.items.end());
  garbage_.items.clear();
  ++epoch_.now;  // what this version made is frozen from now on
  changed_ = false;
  return r;
}

std::vector<int64_t> ClusterStore::take_programmed() {
  std::vector<int64_t> out;
  out.swap(programmed_);
  return out;
}

ClusterStore::Counts ClusterStore::counts() const {
  Counts c{namespaces_.size(), 0, 0, pods_.size(), names_.size()};
  for (auto& [k, g] : groups_) c.services += g.svc != nullptr;
  for (auto& [k, e] : endpoints_) c.endpoint_sets += e.sets.size();
  return c;
}

}  // namespace cxxdns::plugins::k8s
