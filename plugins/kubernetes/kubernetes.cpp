#include "plugins/kubernetes/kubernetes.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <iterator>
#include <optional>

#include "core/dns/writer.h"
#include "core/log/log.h"
#include "plugins/kubernetes/api_metrics.h"
#include "plugins/kubernetes/heap_trim.h"
#include "plugins/kubernetes/records.h"
#include "plugins/kubernetes/state_file.h"
#include "plugins/pkg/trace.h"

namespace cxxdns::plugins::k8s {
namespace {

constexpr uint16_t kAxfr = 252, kIxfr = 251;
constexpr uint32_t kVersionTtl = 28800;  // CoreDNS's TTL for dns-version

// Whether a service or endpoint name has records of `qtype` (an ExternalName's CNAME stands
// for A and AAAA; it has no SRV, as in CoreDNS).
bool has_type(const NameData& d, uint16_t qtype) {
  switch (qtype) {
    case dns::type::A:
      return !d.a().empty() || !d.cname().empty();
    case dns::type::AAAA:
      return !d.aaaa().empty() || !d.cname().empty();
    case dns::type::CNAME:
      return !d.cname().empty();
    case dns::type::SRV:
      return !d.srv().empty() && d.cname().empty();
    default:
      return false;
  }
}

bool is_reverse(std::string_view name) {
  return dns::is_subdomain(name, "in-addr.arpa.") || dns::is_subdomain(name, "ip6.arpa.");
}

}  // namespace

Kubernetes::Kubernetes(KubernetesOptions opts, int workers)
    : opts_(std::move(opts)),
      zones_(opts_.zones),
      index_(workers),
      watch_(opts_.state_file, "plugin/kubernetes",
             [this](const std::string& text, int64_t mtime) { return load_state(text, mtime); }) {
  if (opts_.state_file.empty()) {
    store_ = std::make_unique<ClusterStore>(opts_.index);
    api_ = std::make_unique<ApiSource>(opts_.api, opts_.index.pods == PodMode::verified, *store_,
                                       [this] { publish_api(); });
  }
  reload_if_changed();
}

Kubernetes::~Kubernetes() {
  if (api_) api_->stop();
}

namespace {

void observe_programmed(const std::vector<int64_t>& changed_ns) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
  for (int64_t t : changed_ns) api_metrics::programmed(static_cast<double>(now_ns - t) / 1e9);
}

}  // namespace

void Kubernetes::publish(const ClusterState& st) {
  auto fresh = ClusterStore::from_state(st, opts_.index);
  // A state file is a whole snapshot: the endpoint changes it brings are the trigger times it
  // holds that the last load did not (the first load, like an informer's initial list, is no
  // change).
  std::vector<int64_t> triggers = fresh->take_programmed();
  std::sort(triggers.begin(), triggers.end());
  if (file_store_) {
    std::vector<int64_t> changed;
    std::set_difference(triggers.begin(), triggers.end(), file_triggers_.begin(),
                        file_triggers_.end(), std::back_inserter(changed));
    observe_programmed(changed);
  }
  file_triggers_ = std::move(triggers);
  Garbage old;
  if (file_store_) old.add_object(file_store_.release());  // once no query reads it
  index_.publish(fresh->root(), std::move(old));
  file_store_ = std::move(fresh);
  loaded_.store(true, std::memory_order_release);
}

void Kubernetes::publish_api() {
  Garbage garbage;
  const ClusterIndex* root = store_->commit(static_cast<int64_t>(std::time(nullptr)), garbage);
  index_.publish(root, std::move(garbage));
  loaded_.store(true, std::memory_order_release);
  observe_programmed(store_->take_programmed());
}

bool Kubernetes::load_state(const std::string& text, int64_t mtime_sec) {
  ClusterState state;
  std::string err;
  if (!parse_state(text, state, err)) {
    log::error("plugin/kubernetes: state file {}: {}; keeping the last good state",
               opts_.state_file, err);
    give_back_freed_heap();
    return false;
  }
  state.modified = mtime_sec;
  publish(state);
  log::info("plugin/kubernetes: loaded {}: {} namespaces, {} services, {} endpoint sets, {} pods",
            opts_.state_file, state.namespaces.size(), state.services.size(),
            state.endpoints.size(), state.pods.size());
  state = ClusterState{};
  give_back_freed_heap();
  return true;
}

void Kubernetes::start(ControlInfo& control) {
  if (api_) {
    // As CoreDNS: wait up to 5 s for the first full list, then serve regardless; cluster
    // names get SERVFAIL until the lists are in.
    api_->start();
    if (!api_->wait_synced(std::chrono::seconds(5)))
      log::warning("plugin/kubernetes: starting server with unsynced Kubernetes API");
  }
  // Every second: the state file, if changed; and old versions that a query still held when
  // they were replaced (freed at once otherwise), so that none waits for the next change.
  timer_.start(control.loop, 1000, 1000, [this] {
    reload_if_changed();
    index_.reclaim();
  });
}

void Kubernetes::stop() {
  if (api_) api_->stop();
  timer_.close();
}

Lookup Kubernetes::lookup(QueryContext& ctx, const ClusterIndex& x, std::string_view rel) const {
  const dns::QueryView& q = ctx.q();
  Lookup l;
  if (rel.empty()) {
    l.apex = true;
    l.result =
        q.qtype == dns::type::SOA || q.qtype == dns::type::NS ? Lookup::answer : Lookup::nodata;
    return l;
  }
  std::string_view qname = ctx.qname_text();
  if (q.qtype == dns::type::SOA) {
    l.result = Lookup::nodata;  // CoreDNS gives SOA only at the apex, NODATA below it
  } else if (is_reverse(qname)) {
    if (q.qtype != dns::type::PTR) return l;
    l.ptrs = x.find_ptr(qname);
    if (!l.ptrs.empty()) l.result = Lookup::answer;
  } else if (q.qtype == dns::type::TXT && rel == "dns-version") {
    l.version = true;
    l.result = Lookup::answer;
  } else if (rel == "ns.dns") {
    lookup_ns(x, q.qtype, l);
  } else if (rel.ends_with(".pod")) {
    l.pod = x.pod(rel);
    if (l.pod.kind == PodAnswer::nxdomain) return l;
    const bool match = (q.qtype == dns::type::A && l.pod.kind == PodAnswer::v4) ||
                       (q.qtype == dns::type::AAAA && l.pod.kind == PodAnswer::v6);
    l.result = match ? Lookup::answer : Lookup::nodata;
  } else if ((l.data = x.find_name(rel))) {
    l.result = has_type(*l.data, q.qtype) ? Lookup::answer : Lookup::nodata;
  }
  return l;
}

void Kubernetes::lookup_ns(const ClusterIndex& x, uint16_t qtype, Lookup& l) const {
  // The name this server gives as its SOA's MNAME and its NS: its own addresses, as
  // CoreDNS's isDefaultNS answers them (NODATA when it has none, or for other types).
  l.ns_name = true;
  if (qtype == dns::type::A || qtype == dns::type::AAAA) ns_addresses(x, l.ns_addrs);
  const int family = qtype == dns::type::A ? 4 : 6;
  std::erase_if(l.ns_addrs, [&](const pkg::IpAddress& a) { return a.family() != family; });
  l.result = l.ns_addrs.empty() ? Lookup::nodata : Lookup::answer;
}

Verdict Kubernetes::serve(QueryContext& ctx) {
  const dns::QueryView& q = ctx.q();
  const int zone = zones_.match(q.qname_lower);
  if (zone < 0) {
    pkg::note(ctx, "kubernetes", "not a cluster zone, next");
    return ctx.next();
  }
  dns::Name chase;
  {
    auto reading = index_.read(ctx.worker().index);  // this version until the answer is written
    if (std::optional<Verdict> v = serve_version(ctx, reading.get(), zone, chase)) return *v;
  }
  // An ExternalName: its target is looked up through the chain, which may come back here, so
  // the version is let go first (a reader holds one of a few slots while it reads).
  return answer_external(ctx, zone, chase);
}

std::optional<Verdict> Kubernetes::serve_version(QueryContext& ctx, const ClusterIndex* x, int zone,
                                                 dns::Name& chase) const {
  const dns::QueryView& q = ctx.q();
  if (!x) {
    // Before the first state CoreDNS answers SERVFAIL (it has not synced).
    if (opts_.fallthrough.through(q.qname_lower)) return ctx.next();
    return ctx.fail(dns::rcode::SERVFAIL, "plugin/kubernetes: no cluster state loaded yet");
  }
  if (q.qtype == kAxfr || q.qtype == kIxfr) return ctx.reply_rcode(dns::rcode::REFUSED);

  std::string_view qname = ctx.qname_text();
  std::string_view rel = qname.substr(0, qname.size() - zones_.text(zone).size());
  if (!rel.empty() && rel.back() == '.') rel.remove_suffix(1);
  const Lookup found = lookup(ctx, *x, rel);
  if (found.result == Lookup::nxdomain && opts_.fallthrough.through(q.qname_lower)) {
    pkg::note(ctx, "kubernetes", "NXDOMAIN, fallthrough");
    return ctx.next();
  }
  if (pkg::tracing(ctx)) {
    pkg::note(ctx, "kubernetes",
              found.result == Lookup::nxdomain ? "NXDOMAIN"
              : found.result == Lookup::nodata ? "NODATA"
                                               : "answer");
  }
  const bool external = found.result == Lookup::answer && found.data &&
                        !found.data->cname().empty() && q.qtype != dns::type::CNAME;
  if (external && join(found.data->cname(), "", chase)) return std::nullopt;
  return answer(ctx, *x, zone, found);
}

namespace {

void write_srv(dns::MessageWriter& w, const dns::QueryView& q, const NameData& data,
               std::string_view zone, uint32_t ttl) {
  dns::Name target;
  for (auto& s : data.srv()) {
    if (!join(data.target(s), zone, target)) continue;
    w.begin_rr(q.qname, dns::type::SRV, dns::cls::IN, ttl);
    w.rd_u16(0);
    w.rd_u16(s.weight);
    w.rd_u16(s.port);
    w.rd_name(target, false);  // RFC 2782: no compression in SRV targets
    w.end_rr();
  }
  w.section(dns::Section::additional);
  for (auto& e : data.extra()) {
    if (!join(data.owner(e), zone, target)) continue;
    if (e.v6)
      w.aaaa(target, ttl, e.addr.data());
    else
      w.a(target, ttl, e.addr.data());
  }
}

// The records of a service or endpoint name.
void write_name_data(dns::MessageWriter& w, const dns::QueryView& q, const NameData& data,
                     std::string_view zone, uint32_t ttl) {
  dns::Name target;
  if (!data.cname().empty()) {
    if (join(data.cname(), "", target)) w.name_rr(q.qname, dns::type::CNAME, ttl, target);
  } else if (q.qtype == dns::type::A) {
    for (auto& a : data.a()) w.a(q.qname, ttl, a.data());
  } else if (q.qtype == dns::type::AAAA) {
    for (auto& a : data.aaaa()) w.aaaa(q.qname, ttl, a.data());
  } else {
    write_srv(w, q, data, zone, ttl);
  }
}

}  // namespace

Verdict Kubernetes::answer(QueryContext& ctx, const ClusterIndex& x, int zone_index,
                           const Lookup& found) const {
  const dns::QueryView& q = ctx.q();
  const std::string& zone = zones_.text(zone_index);
  const uint32_t ttl = opts_.ttl;
  dns::MessageWriter w(ctx.writable_response());
  w.start_reply(q, found.result == Lookup::nxdomain ? dns::rcode::NXDOMAIN : dns::rcode::NOERROR,
                true);
  if (found.result != Lookup::answer) {
    w.section(dns::Section::authority);
    write_soa(w, x, zone, ttl);
    return ctx.reply();
  }
  // No RA: CoreDNS's kubernetes answers never carry it.
  dns::Name target;
  if (found.apex) {
    if (q.qtype == dns::type::SOA) {
      write_soa(w, x, zone, ttl);
    } else if (join("ns.dns", zone, target)) {
      w.name_rr(q.qname, dns::type::NS, ttl, target);
    }
  } else if (!found.ptrs.empty()) {
    for (auto& n : found.ptrs) {
      if (join(n.name(), opts_.index.primary_zone, target)) {
        w.name_rr(q.qname, dns::type::PTR, ttl, target);
      }
    }
  } else if (found.version) {
    w.begin_rr(q.qname, dns::type::TXT, dns::cls::IN, kVersionTtl);
    w.rd_text("1.1.0");
    w.end_rr();
  } else if (found.ns_name) {
    for (const pkg::IpAddress& a : found.ns_addrs) {
      if (a.len == 4)
        w.a(q.qname, ttl, a.bytes.data());
      else
        w.aaaa(q.qname, ttl, a.bytes.data());
    }
  } else if (found.data) {
    write_name_data(w, q, *found.data, zone, ttl);
  } else if (found.pod.kind == PodAnswer::v4) {
    w.a(q.qname, ttl, found.pod.addr.data());
  } else {
    w.aaaa(q.qname, ttl, found.pod.addr.data());
  }
  return ctx.reply();
}

}  // namespace cxxdns::plugins::k8s
