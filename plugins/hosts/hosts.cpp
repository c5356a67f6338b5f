#include "plugins/hosts/hosts.h"

#include "core/dns/writer.h"
#include "plugins/pkg/trace.h"

namespace cxxdns::plugins {

namespace {

template <typename Map>
const typename Map::mapped_type* find_in(const Map& m, std::string_view key) {
  auto it = m.find(key);
  return it == m.end() ? nullptr : &it->second;
}

// The A or AAAA records of `qname`: its own entries, else the closest wildcard above it.
// `known`: the name has entries (its own or a star's) of some type.
int write_addresses(dns::MessageWriter& w, const dns::QueryView& q, const HostsTable& t,
                    std::string_view qname, uint32_t ttl, bool& known) {
  const bool exact = t.v4.contains(qname) || t.v6.contains(qname);
  const std::string_view wild = exact ? std::string_view{} : t.wildcard_for(qname);
  const std::string_view key = wild.empty() ? qname : wild;
  known = exact || !wild.empty();
  int answers = 0;
  if (q.qtype == dns::type::A) {
    if (const auto* v = find_in(wild.empty() ? t.v4 : t.wild4, key)) {
      for (auto& a : *v) w.a(q.qname, ttl, a.data()), ++answers;
    }
  } else if (q.qtype == dns::type::AAAA) {
    if (const auto* v = find_in(wild.empty() ? t.v6 : t.wild6, key)) {
      for (auto& a : *v) w.aaaa(q.qname, ttl, a.data()), ++answers;
    }
  }
  return answers;
}

}  // namespace

Hosts::Hosts(HostsOptions opts, int workers)
    : opts_(std::move(opts)),
      zones_(opts_.zones),
      table_(workers),
      watch_(opts_.path, "plugin/hosts",
             [this](const std::string& text, int64_t) { return load(text); }) {
  load({});
  reload_if_changed();
  auto& entries = metrics::Registry::global().collected_gauge(
      "coredns_hosts_entries", "The combined number of entries in hosts and Corefile.");
  entries_metric_ = metrics::Registry::global().collector([this, &entries] {
    auto t = table();
    entries.with(std::vector<std::string>{}).add(double(t ? t->entries : 0));
  });
}

std::shared_ptr<const HostsTable> Hosts::table() const {
  return table_.current();
}

bool Hosts::load(const std::string& file_text) {
  auto t = std::make_shared<HostsTable>();
  // Inline entries first: they win over the file, as in CoreDNS.
  t->add_text(opts_.inline_text, opts_.zones, opts_.reverse, "Corefile (inline)");
  t->add_text(file_text, opts_.zones, opts_.reverse, opts_.path);
  table_.publish(std::move(t));
  return true;
}

bool Hosts::reload_if_changed() {
  return !opts_.path.empty() && watch_.check();
}

void Hosts::start(ControlInfo& control) {
  if (opts_.path.empty() || opts_.reload.count() <= 0) return;
  watch_.start(control.loop, std::max<uint64_t>(1, opts_.reload.count() / 1000000));
}

Verdict Hosts::serve(QueryContext& ctx) {
  const dns::QueryView& q = ctx.q();
  // PTR zones need not be listed; anything else outside the zones is not ours.
  if (q.qtype != dns::type::PTR && !zones_.contains(q.qname_lower)) return ctx.next();
  return answer(ctx, *table_.get(ctx.worker().index));
}

Verdict Hosts::answer(QueryContext& ctx, const HostsTable& t) {
  const dns::QueryView& q = ctx.q();
  std::string_view qname = ctx.qname_text();
  dns::MessageWriter w(ctx.writable_response());
  w.start_reply(q, dns::rcode::NOERROR, true);
  int answers = 0;
  bool known = false;  // the name has entries, of some type
  if (q.qtype == dns::type::PTR) {
    auto it = t.ptr.find(qname);
    if (it == t.ptr.end()) {
      pkg::note(ctx, "hosts", "no PTR, next");
      return ctx.next();
    }
    for (auto& n : it->second) {
      dns::Name target;
      if (!dns::from_text(n, target)) continue;
      w.name_rr(q.qname, dns::type::PTR, opts_.ttl, target);
      ++answers;
    }
  } else {
    answers = write_addresses(w, q, t, qname, opts_.ttl, known);
  }
  if (answers == 0 && !known) {
    if (opts_.fallthrough.through(q.qname_lower)) {
      pkg::note(ctx, "hosts", "not found, fallthrough");
      return ctx.next();
    }
    pkg::note(ctx, "hosts", "not found: SERVFAIL");
    // No SOA to make an NXDOMAIN with: CoreDNS answers SERVFAIL here.
    return ctx.reply_rcode(dns::rcode::SERVFAIL);
  }
  if (pkg::tracing(ctx)) {
    pkg::note(ctx, "hosts", answers ? "answer, " + std::to_string(answers) + " records" : "NODATA");
  }
  return ctx.reply();
}

}  // namespace cxxdns::plugins
