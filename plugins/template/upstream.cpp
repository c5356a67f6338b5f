// A CNAME a template answers an A or AAAA query with is followed through the server itself,
// as CoreDNS's upstream.Lookup: the target's records of the query's type go after it.
#include <memory>

#include "core/plugin/internal_query.h"
#include "plugins/pkg/requery.h"
#include "plugins/pkg/trace.h"
#include "plugins/template/template.h"

namespace cxxdns::plugins::tmpl {

namespace {

// One CNAME to follow: where it is in the answer, its target, the query that asks it.
struct Target {
  size_t at = 0;  // index in Lookups::msg.records, moved as answers go in before it
  dns::Name lower;
  std::vector<uint8_t> query;
};

// The lookups of one answer, one CNAME after the other.
struct Lookups {
  PendingQuery query;
  pkg::Message msg;
  std::vector<Target> targets;
  size_t next = 0;
  WorkerInfo* worker = nullptr;
  const Services* services = nullptr;
  const Chain* chain = nullptr;
  ClientAddress client;
  uint8_t depth = 0;
};

void follow(const std::shared_ptr<Lookups>& l);

void insert_answers(Lookups& l, size_t after, const QueryContext& answered) {
  pkg::Message up;
  if (!pkg::read_message(answered.response(), up)) return;
  if (up.hdr.flags & dns::flag::TC) l.msg.hdr.flags |= dns::flag::TC;
  std::vector<pkg::Record> answers;
  for (auto& r : up.records) {
    if (r.section == dns::Section::answer) answers.push_back(std::move(r));
  }
  const auto at = l.msg.records.begin() + static_cast<ptrdiff_t>(after + 1);
  l.msg.records.insert(at, std::make_move_iterator(answers.begin()),
                       std::make_move_iterator(answers.end()));
  for (size_t k = l.next; k < l.targets.size(); ++k) l.targets[k].at += answers.size();
}

void follow(const std::shared_ptr<Lookups>& l) {
  while (l->next < l->targets.size()) {
    Target& t = l->targets[l->next++];
    const Chain* chain = pkg::route_from(l->services, l->chain, t.lower);
    if (!chain) continue;
    send_internal(*l->worker, chain, 0, t.query, l->client, l->depth,
                  [l, at = t.at](QueryContext& answered) {
                    insert_answers(*l, at, answered);
                    follow(l);
                  });
    return;  // the callback goes on with the next one
  }
  write_message(l->msg, l->query->writable_response());
  l->query.reply();
}

}  // namespace

Verdict Template::lookup_targets(QueryContext& ctx, pkg::Message msg) {
  auto l = std::make_shared<Lookups>();
  for (size_t i = 0; i < msg.records.size(); ++i) {
    const pkg::Record& r = msg.records[i];
    if (r.section != dns::Section::answer || r.type != dns::type::CNAME) continue;
    Target t;
    t.at = i;
    size_t pos = 0;
    dns::Name target;
    if (!dns::read_name(r.rdata, pos, target)) continue;
    t.lower = target;
    t.lower.to_lower();
    // The client's query with the target as its question (CoreDNS's upstream.Lookup asks
    // with state.NewWithQuestion): same ID, flags and EDNS record.
    pkg::requery(ctx, target, ctx.q().qtype, t.query);
    l->targets.push_back(std::move(t));
  }
  l->msg = std::move(msg);
  l->worker = &ctx.worker();
  l->services = services_;
  l->chain = ctx.chain();
  l->client = ctx.client();
  l->depth = ctx.depth();
  pkg::note(ctx, "template", "CNAME answer: looking up its target through the server");
  Deferral d = ctx.defer();
  l->query = std::move(d.query);
  follow(l);
  return d.verdict;
}

}  // namespace cxxdns::plugins::tmpl
