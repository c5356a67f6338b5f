#include "plugins/template/template.h"

#include "core/dns/writer.h"
#include "plugins/pkg/dns_names.h"
#include "plugins/pkg/trace.h"
#include "plugins/template/render.h"

namespace cxxdns::plugins::tmpl {

namespace {

// The Class and Type a template sees (and its metrics' labels): the query's, or the
// template's own when the query asked for ANY.
std::string_view class_label(const Rule& r, const dns::QueryView& q) {
  return pkg::go_class_name(q.qclass != dns::cls::ANY ? q.qclass : r.qclass);
}
std::string_view type_label(const Rule& r, const dns::QueryView& q) {
  return pkg::go_type_name(q.qtype != dns::type::ANY ? q.qtype : r.qtype);
}

bool find_match(const Rule& r, std::string_view name, Match& m) {
  if (r.regexes.empty()) return true;
  for (size_t i = 0; i < r.regexes.size(); ++i) {
    if (r.regexes[i]->find_submatch(name, m.groups)) {
      m.regex = static_cast<int>(i);
      return true;
    }
  }
  return false;
}

}  // namespace

const char* section_name(SectionKind s) {
  switch (s) {
    case SectionKind::answer:
      return "answer";
    case SectionKind::additional:
      return "additional";
    default:
      return "authority";
  }
}

Template::Template(std::vector<Rule> rules, pkg::ServerLabels labels, const Services* services,
                   int workers)
    : rules_(std::move(rules)),
      labels_(std::move(labels)),
      services_(services),
      matches_(metrics::Registry::global().counter("coredns_template_matches_total",
                                                   "Counter of template regex matches.",
                                                   {"server", "zone", "view", "class", "type"})),
      template_failures_(metrics::Registry::global().counter(
          "coredns_template_template_failures_total", "Counter of go template failures.",
          {"server", "zone", "view", "class", "type", "section", "template"})),
      rr_failures_(metrics::Registry::global().counter(
          "coredns_template_rr_failures_total", "Counter of mis-templated RRs.",
          {"server", "zone", "view", "class", "type", "section", "template"})),
      match_counters_(static_cast<size_t>(workers < 1 ? 1 : workers)) {
  std::vector<std::string> all;
  for (const Rule& r : rules_) all.insert(all.end(), r.zone_texts.begin(), r.zone_texts.end());
  zones_ = pkg::Zones(all);
}

bool Template::class_and_type_match(const Rule& r, const dns::QueryView& q) const {
  if (r.qclass != dns::cls::ANY && q.qclass != dns::cls::ANY && q.qclass != r.qclass) return false;
  return r.qtype == dns::type::ANY || q.qtype == dns::type::ANY || q.qtype == r.qtype;
}

Verdict Template::serve(QueryContext& ctx) {
  const dns::QueryView& q = ctx.q();
  if (!zones_.contains(q.qname_lower)) return ctx.next();
  Match m;
  for (size_t i = 0; i < rules_.size(); ++i) {
    const Rule& r = rules_[i];
    const int zone = r.zones.match(q.qname_lower);
    if (zone < 0 || !class_and_type_match(r, q)) continue;
    if (!find_match(r, ctx.qname_text(), m)) {
      if (r.fall.through(q.qname_lower)) continue;
      // The zone is the template's and nothing matched: SERVFAIL, as CoreDNS since 1.9.1.
      pkg::note(ctx, "template", "zone matched, no regex did: SERVFAIL");
      return ctx.reply_rcode(dns::rcode::SERVFAIL);
    }
    count_match(ctx, i, zone);
    if (r.rcode == dns::rcode::SERVFAIL) return ctx.reply_rcode(dns::rcode::SERVFAIL);
    return answer(ctx, i, zone, m);
  }
  return ctx.next();
}

void Template::count_match(QueryContext& ctx, size_t rule, int zone) {
  const dns::QueryView& q = ctx.q();
  const size_t label = labels_.index(q.qname_lower);
  const uint64_t key = (uint64_t(label & 0xfff) << 52) | (uint64_t(rule & 0xfff) << 40) |
                       (uint64_t(zone & 0xff) << 32) | (uint64_t(q.qclass) << 16) | q.qtype;
  auto& cache = match_counters_[static_cast<size_t>(ctx.worker().index) % match_counters_.size()];
  auto it = cache.find(key);
  if (it == cache.end()) {
    const Rule& r = rules_[rule];
    metrics::Counter& c = matches_.with(
        {labels_.label(label), r.zones.text(zone), "", class_label(r, q), type_label(r, q)});
    it = cache.emplace(key, &c).first;
  }
  it->second->inc(ctx.worker().index);
}

void Template::count_failure(QueryContext& ctx, const Rule& r, int zone, const RecordTemplate& t,
                             bool rr_failure) {
  const dns::QueryView& q = ctx.q();
  (rr_failure ? rr_failures_ : template_failures_)
      .with({labels_.of(q.qname_lower), r.zones.text(zone), "", class_label(r, q), type_label(r, q),
             section_name(t.section), t.tmpl->source()})
      .inc(ctx.worker().index);
}

Verdict Template::answer(QueryContext& ctx, size_t rule, int zone, const Match& m) {
  const Rule& r = rules_[rule];
  const dns::QueryView& q = ctx.q();
  if (r.records.empty() && !r.has_ede) {
    // rcode only (AKS's NXDOMAIN blocks, OpenShift's AAAA filter): no data, no records.
    dns::MessageWriter w(ctx.writable_response());
    w.start_reply(q, static_cast<uint8_t>(r.rcode & 0xf), true);
    pkg::note(ctx, "template", "rcode only");
    return ctx.reply();
  }
  pkg::Message msg = reply_message(q, r.rcode);
  std::string error;
  if (!render(ctx, r, zone, m, msg, error)) {
    return ctx.fail(dns::rcode::SERVFAIL, "plugin/template: " + error);
  }
  if (r.has_ede) add_ede(msg, q, r.rcode, r.ede_code, r.ede_reason);
  const bool address = q.qtype == dns::type::A || q.qtype == dns::type::AAAA;
  if (address && has_cname_answer(msg)) return lookup_targets(ctx, std::move(msg));
  write_message(msg, ctx.writable_response());
  pkg::note(ctx, "template", "answer from rule " + std::to_string(rule + 1));
  return ctx.reply();
}

bool Template::render(QueryContext& ctx, const Rule& r, int zone, const Match& m, pkg::Message& msg,
                      std::string& error) {
  const gotmpl::Value data = template_data(ctx, r, r.zones.text(zone), m);
  std::vector<pkg::Record> by_section[3];
  std::string text;
  for (const RecordTemplate& t : r.records) {
    if (!t.tmpl->execute(data, text, &error)) {
      count_failure(ctx, r, zone, t, false);
      return false;
    }
    pkg::Record rec;
    if (!parse_rr(text, rec, error)) {
      count_failure(ctx, r, zone, t, true);
      return false;
    }
    by_section[static_cast<int>(t.section)].push_back(std::move(rec));
  }
  // On the wire: answer, authority, additional.
  for (auto& rec : by_section[0]) rec.section = dns::Section::answer;
  for (auto& rec : by_section[2]) rec.section = dns::Section::authority;
  for (auto& rec : by_section[1]) rec.section = dns::Section::additional;
  for (int s : {0, 2, 1}) {
    for (auto& rec : by_section[s]) msg.records.push_back(std::move(rec));
  }
  return true;
}

}  // namespace cxxdns::plugins::tmpl
