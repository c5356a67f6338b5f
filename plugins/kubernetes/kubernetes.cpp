#include "plugins/kubernetes/kubernetes.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "core/dns/writer.h"
#include "core/log/log.h"
#include "plugins/kubernetes/api_metrics.h"
#include "plugins/kubernetes/heap_trim.h"
#include "plugins/kubernetes/state_file.h"

namespace cxxdns::plugins::k8s {
namespace {

constexpr uint16_t kAxfr = 252, kIxfr = 251;
constexpr uint32_t kVersionTtl = 28800;  // CoreDNS's TTL for dns-version

bool is_reverse(std::string_view name) {
  return dns::is_subdomain(name, "in-addr.arpa.") || dns::is_subdomain(name, "ip6.arpa.");
}

// `rel` + "." + `zone` as a wire name, without touching the heap (the query path).
bool join(std::string_view rel, std::string_view zone, dns::Name& out) {
  char buf[dns::kMaxNameWire * 4 + 2];
  if (zone == ".") zone = {};
  if (rel.size() + zone.size() + 2 > sizeof buf) return false;
  size_t n = 0;
  if (!rel.empty()) {
    std::memcpy(buf, rel.data(), rel.size());
    n = rel.size();
    if (rel.back() == '.') return dns::from_text(rel, out);  // already absolute
    buf[n++] = '.';
  }
  std::memcpy(buf + n, zone.data(), zone.size());
  n += zone.size();
  if (n == 0) buf[n++] = '.';
  return dns::from_text(std::string_view(buf, n), out);
}

}  // namespace

Kubernetes::Kubernetes(KubernetesOptions opts, int workers)
    : opts_(std::move(opts)), index_(workers) {
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

void Kubernetes::publish(const ClusterState& st) {
  auto fresh = ClusterStore::from_state(st, opts_.index);
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
  auto now = std::chrono::system_clock::now().time_since_epoch();
  int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
  for (int64_t changed_ns : store_->take_programmed()) {
    api_metrics::programmed(static_cast<double>(now_ns - changed_ns) / 1e9);
  }
}

bool Kubernetes::reload_if_changed() {
  if (opts_.state_file.empty()) return false;
  struct stat st;
  if (::stat(opts_.state_file.c_str(), &st) != 0) {
    if (mtime_ns_ != -2)
      log::error("plugin/kubernetes: state file {} does not exist", opts_.state_file);
    mtime_ns_ = -2;  // reported once; the last good state keeps serving
    return false;
  }
  int64_t mtime = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  if (mtime == mtime_ns_ && st.st_size == size_) return false;
  mtime_ns_ = mtime;  // a bad version is reported once, not every second
  size_ = st.st_size;
  std::ifstream in(opts_.state_file);
  if (!in) {
    log::error("plugin/kubernetes: cannot read state file {}: keeping the last good state",
               opts_.state_file);
    return false;
  }
  ClusterState state;
  std::string err;
  bool parsed;
  {
    std::stringstream ss;  // the text, freed before the index is built
    ss << in.rdbuf();
    parsed = parse_state(ss.str(), state, err);
  }
  if (!parsed) {
    log::error("plugin/kubernetes: state file {}: {}; keeping the last good state",
               opts_.state_file, err);
    give_back_freed_heap();
    return false;
  }
  state.modified = st.st_mtim.tv_sec;
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
  uv_timer_init(control.loop, &timer_);
  timer_.data = this;
  timer_started_ = true;
  uv_timer_start(
      &timer_,
      [](uv_timer_t* t) {
        auto* k = static_cast<Kubernetes*>(t->data);
        k->reload_if_changed();
        k->index_.reclaim();
      },
      1000, 1000);
}

void Kubernetes::stop() {
  if (api_) api_->stop();
  if (timer_started_ && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&timer_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
  }
}

bool Kubernetes::falls_through(std::string_view qname) const {
  if (!opts_.fallthrough_set) return false;
  if (opts_.fallthrough.empty()) return true;
  return std::any_of(opts_.fallthrough.begin(), opts_.fallthrough.end(),
                     [&](const std::string& z) { return dns::is_subdomain(qname, z); });
}

void Kubernetes::serve(QueryContext& ctx) {
  const dns::QueryView& q = ctx.q();
  std::string_view qname = ctx.qname_text();
  const std::string* zone = nullptr;
  for (auto& z : opts_.zones) {
    if (dns::is_subdomain(qname, z) && (!zone || z.size() > zone->size())) zone = &z;
  }
  if (!zone) {
    ctx.note("kubernetes", "not a cluster zone, next");
    return ctx.next();
  }
  auto reading = index_.read(ctx.worker().index);  // this version until the answer is written
  const ClusterIndex* x = reading.get();
  if (!x) {
    // Before the first state CoreDNS answers SERVFAIL (it has not synced).
    if (falls_through(qname)) return ctx.next();
    return ctx.fail(dns::rcode::SERVFAIL, "plugin/kubernetes: no cluster state loaded yet");
  }
  if (q.qtype == kAxfr || q.qtype == kIxfr) return ctx.reply_rcode(dns::rcode::REFUSED);

  std::string_view rel = qname.substr(0, qname.size() - zone->size());
  if (!rel.empty() && rel.back() == '.') rel.remove_suffix(1);
  const uint32_t ttl = opts_.ttl;

  enum { answer, nodata, nxdomain } result = nxdomain;
  const NameData* data = nullptr;
  PodAnswer pod;
  Span<PtrName> ptrs;
  if (rel.empty()) {
    result = q.qtype == dns::type::SOA || q.qtype == dns::type::NS ? answer : nodata;
  } else if (q.qtype == dns::type::SOA) {
    result = nodata;  // CoreDNS gives SOA only at the apex, NODATA below it
  } else if (is_reverse(qname)) {
    if (q.qtype == dns::type::PTR) {
      ptrs = x->find_ptr(qname);
      if (!ptrs.empty()) result = answer;
    }
  } else if (q.qtype == dns::type::TXT && rel == "dns-version") {
    result = answer;
  } else if (rel.ends_with(".pod")) {
    pod = x->pod(rel);
    if (pod.kind != PodAnswer::nxdomain) {
      bool match = (q.qtype == dns::type::A && pod.kind == PodAnswer::v4) ||
                   (q.qtype == dns::type::AAAA && pod.kind == PodAnswer::v6);
      result = match ? answer : nodata;
    }
  } else if ((data = x->find_name(rel))) {
    bool has = false;
    switch (q.qtype) {
      case dns::type::A:
        has = !data->a.empty() || !data->cname.empty();
        break;
      case dns::type::AAAA:
        has = !data->aaaa.empty() || !data->cname.empty();
        break;
      case dns::type::CNAME:
        has = !data->cname.empty();
        break;
      case dns::type::SRV:
        has = !data->srv.empty();
        break;
    }
    result = has ? answer : nodata;
  }

  if (result == nxdomain && falls_through(qname)) {
    ctx.note("kubernetes", "NXDOMAIN, fallthrough");
    return ctx.next();
  }
  if (ctx.tracing()) {
    ctx.note("kubernetes", result == nxdomain ? "NXDOMAIN"
                           : result == nodata ? "NODATA"
                                              : "answer");
  }

  dns::MessageWriter w(ctx.response());
  w.start_reply(q, result == nxdomain ? dns::rcode::NXDOMAIN : dns::rcode::NOERROR, true);
  dns::Name zname;
  join("", *zone, zname);
  auto write_soa = [&] {
    dns::Name ns, mbox;
    join("ns.dns", *zone, ns);
    join("hostmaster", *zone, mbox);
    w.begin_rr(zname, dns::type::SOA, dns::cls::IN, std::min<uint32_t>(ttl, 300));
    w.rd_name(ns);
    w.rd_name(mbox);
    w.rd_u32(static_cast<uint32_t>(x->serial));
    w.rd_u32(7200);
    w.rd_u32(1800);
    w.rd_u32(86400);
    w.rd_u32(ttl);
    w.end_rr();
  };
  if (result != answer) {
    w.section(dns::Section::authority);
    write_soa();
    return ctx.reply();
  }
  w.set_flags(dns::flag::RA);  // as CoreDNS sets on its answers
  dns::Name target;
  if (rel.empty()) {
    if (q.qtype == dns::type::SOA) {
      write_soa();
    } else if (join("ns.dns", *zone, target)) {
      w.name_rr(q.qname, dns::type::NS, ttl, target);
    }
  } else if (!ptrs.empty()) {
    for (auto& n : ptrs) {
      if (join(n.name(), opts_.index.primary_zone, target)) {
        w.name_rr(q.qname, dns::type::PTR, ttl, target);
      }
    }
  } else if (!data && pod.kind == PodAnswer::nxdomain) {  // dns-version
    w.begin_rr(q.qname, dns::type::TXT, dns::cls::IN, kVersionTtl);
    w.rd_text("1.1.0");
    w.end_rr();
  } else if (!data) {
    if (pod.kind == PodAnswer::v4)
      w.a(q.qname, ttl, pod.addr.data());
    else
      w.aaaa(q.qname, ttl, pod.addr.data());
  } else if (!data->cname.empty() && q.qtype != dns::type::SRV) {
    if (join(data->cname, "", target)) w.name_rr(q.qname, dns::type::CNAME, ttl, target);
  } else if (q.qtype == dns::type::A) {
    for (auto& a : data->a) w.a(q.qname, ttl, a.data());
  } else if (q.qtype == dns::type::AAAA) {
    for (auto& a : data->aaaa) w.aaaa(q.qname, ttl, a.data());
  } else {  // SRV
    for (auto& s : data->srv) {
      if (!join(s.target, *zone, target)) continue;
      w.begin_rr(q.qname, dns::type::SRV, dns::cls::IN, ttl);
      w.rd_u16(0);
      w.rd_u16(s.weight);
      w.rd_u16(s.port);
      w.rd_name(target, false);  // RFC 2782: no compression in SRV targets
      w.end_rr();
    }
    w.section(dns::Section::additional);
    for (auto& e : data->extra) {
      if (!join(e.owner, *zone, target)) continue;
      if (e.v6)
        w.aaaa(target, ttl, e.addr.data());
      else
        w.a(target, ttl, e.addr.data());
    }
  }
  ctx.reply();
}

}  // namespace cxxdns::plugins::k8s
