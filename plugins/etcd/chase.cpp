#include "plugins/etcd/chase.h"

#include <memory>
#include <string>
#include <vector>

#include "core/dns/name.h"
#include "core/plugin/internal_query.h"
#include "plugins/pkg/records.h"
#include "plugins/pkg/requery.h"

namespace cxxdns::plugins::etcd {
namespace {

// A CNAME record's target (as written, and lower-cased) when it lies outside `zone`.
bool outside_target(const pkg::Record& r, std::string_view zone, dns::Name& target,
                    dns::Name& lower) {
  if (r.section != dns::Section::answer || r.type != dns::type::CNAME) return false;
  size_t pos = 0;
  if (!dns::read_name(r.rdata, pos, target)) return false;
  lower = target;
  lower.to_lower();
  return !dns::is_subdomain(dns::to_text(lower), zone);
}

struct Target {
  size_t at = 0;  // the CNAME's index in Chase::msg.records
  dns::Name lower;
  std::vector<uint8_t> query;
};

struct Chase {
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

// The answer records of `answered` go in after record `after`.
void insert_answers(Chase& c, size_t after, const QueryContext& answered) {
  pkg::Message up;
  if (!pkg::read_message(answered.response(), up)) return;
  std::vector<pkg::Record> answers;
  for (auto& r : up.records) {
    if (r.section == dns::Section::answer) answers.push_back(std::move(r));
  }
  c.msg.records.insert(c.msg.records.begin() + static_cast<ptrdiff_t>(after + 1),
                       std::make_move_iterator(answers.begin()),
                       std::make_move_iterator(answers.end()));
  for (size_t k = c.next; k < c.targets.size(); ++k) c.targets[k].at += answers.size();
}

void follow(const std::shared_ptr<Chase>& c) {
  while (c->next < c->targets.size()) {
    Target& t = c->targets[c->next++];
    const Chain* chain = pkg::route_from(c->services, c->chain, t.lower);
    if (!chain) continue;
    send_internal(*c->worker, chain, 0, t.query, c->client, c->depth,
                  [c, at = t.at](QueryContext& answered) {
                    insert_answers(*c, at, answered);
                    follow(c);
                  });
    return;  // the callback goes on with the next one
  }
  pkg::write_message(c->msg, c->query->writable_response());
  c->query.reply();
}

}  // namespace

bool has_outside_cname(const QueryContext& ctx, std::string_view zone) {
  pkg::Message msg;
  if (!pkg::read_message(ctx.response(), msg)) return false;
  dns::Name target, lower;
  for (const auto& r : msg.records) {
    if (outside_target(r, zone, target, lower)) return true;
  }
  return false;
}

Verdict follow_outside_cnames(QueryContext& ctx, std::string_view zone, const Services* services) {
  auto c = std::make_shared<Chase>();
  if (!pkg::read_message(ctx.response(), c->msg)) return ctx.reply();
  for (size_t i = 0; i < c->msg.records.size(); ++i) {
    Target t;
    dns::Name target;
    if (!outside_target(c->msg.records[i], zone, target, t.lower)) continue;
    t.at = i;
    pkg::requery(ctx, target, ctx.q().qtype, t.query);
    c->targets.push_back(std::move(t));
  }
  c->worker = &ctx.worker();
  c->services = services;
  c->chain = ctx.chain();
  c->client = ctx.client();
  c->depth = ctx.depth();
  Deferral d = ctx.defer();
  c->query = std::move(d.query);
  follow(c);
  return d.verdict;
}

}  // namespace cxxdns::plugins::etcd
