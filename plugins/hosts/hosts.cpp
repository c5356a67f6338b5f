#include "plugins/hosts/hosts.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "core/dns/writer.h"
#include "core/log/log.h"

namespace cxxdns::plugins {

Hosts::Hosts(HostsOptions opts, int workers) : opts_(std::move(opts)), table_(workers) {
  auto t = std::make_shared<HostsTable>();
  t->add_text(opts_.inline_text, opts_.zones, opts_.reverse);
  table_.publish(std::move(t));
  reload_if_changed();
}

std::shared_ptr<const HostsTable> Hosts::table() const {
  return table_.current();
}

bool Hosts::reload_if_changed() {
  if (opts_.path.empty()) return false;
  struct stat st;
  if (::stat(opts_.path.c_str(), &st) != 0) {
    if (mtime_ns_ != -2) log::warning("plugin/hosts: File does not exist: {}", opts_.path);
    mtime_ns_ = -2;  // report a missing file once, keep serving what we had
    return false;
  }
  int64_t mtime = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  if (mtime == mtime_ns_ && st.st_size == size_) return false;
  std::ifstream in(opts_.path);
  if (!in) {
    log::error("plugin/hosts: cannot read {}: keeping the last good data", opts_.path);
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  auto t = std::make_shared<HostsTable>();
  // Inline entries first: they win over the file, as in CoreDNS.
  t->add_text(opts_.inline_text, opts_.zones, opts_.reverse);
  t->add_text(ss.str(), opts_.zones, opts_.reverse);
  mtime_ns_ = mtime;
  size_ = st.st_size;
  table_.publish(std::move(t));
  return true;
}

void Hosts::start(ControlInfo& control) {
  if (opts_.path.empty() || opts_.reload.count() <= 0) return;
  uv_timer_init(control.loop, &timer_);
  timer_.data = this;
  timer_started_ = true;
  uint64_t ms = std::max<uint64_t>(1, opts_.reload.count() / 1000000);
  uv_timer_start(
      &timer_, [](uv_timer_t* t) { static_cast<Hosts*>(t->data)->reload_if_changed(); }, ms, ms);
}

void Hosts::stop() {
  if (timer_started_ && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&timer_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
  }
}

bool Hosts::falls_through(std::string_view qname) const {
  if (!opts_.fallthrough_set) return false;
  if (opts_.fallthrough.empty()) return true;
  for (auto& z : opts_.fallthrough) {
    if (dns::is_subdomain(qname, z)) return true;
  }
  return false;
}

void Hosts::serve(QueryContext& ctx) {
  const dns::QueryView& q = ctx.q();
  std::string_view qname = ctx.qname_text();
  bool in_zone = false;
  for (auto& z : opts_.zones) {
    if (dns::is_subdomain(qname, z)) in_zone = true;
  }
  // PTR zones need not be listed; anything else outside the zones is not ours.
  if (!in_zone && q.qtype != dns::type::PTR) return ctx.next();

  const HostsTable* t = table_.get(ctx.worker().index);
  dns::MessageWriter w(ctx.response());
  w.start_reply(q, dns::rcode::NOERROR, true);
  int answers = 0;
  switch (q.qtype) {
    case dns::type::PTR: {
      auto it = t->ptr.find(qname);
      if (it == t->ptr.end()) {
        ctx.note("hosts", "no PTR, next");
        return ctx.next();
      }
      for (auto& n : it->second) {
        dns::Name target;
        if (!dns::from_text(n, target)) continue;
        w.name_rr(q.qname, dns::type::PTR, opts_.ttl, target);
        ++answers;
      }
      break;
    }
    case dns::type::A:
      if (auto it = t->v4.find(qname); it != t->v4.end()) {
        for (auto& a : it->second) w.a(q.qname, opts_.ttl, a.data()), ++answers;
      }
      break;
    case dns::type::AAAA:
      if (auto it = t->v6.find(qname); it != t->v6.end()) {
        for (auto& a : it->second) w.aaaa(q.qname, opts_.ttl, a.data()), ++answers;
      }
      break;
  }
  if (answers == 0 && !t->v4.contains(qname) && !t->v6.contains(qname)) {
    if (falls_through(qname)) {
      ctx.note("hosts", "not found, fallthrough");
      return ctx.next();
    }
    ctx.note("hosts", "not found: SERVFAIL");
    // No SOA to make an NXDOMAIN with: CoreDNS answers SERVFAIL here.
    return ctx.reply_rcode(dns::rcode::SERVFAIL);
  }
  if (ctx.tracing())
    ctx.note("hosts", answers ? "answer, " + std::to_string(answers) + " records" : "NODATA");
  ctx.reply();
}

void Hosts::collect_metrics(std::vector<metrics::Sample>& out) const {
  auto t = table();
  out.push_back({"coredns_hosts_entries",
                 "The combined number of entries in hosts and Corefile.",
                 false,
                 {},
                 double(t ? t->entries : 0)});
}
}  // namespace cxxdns::plugins
