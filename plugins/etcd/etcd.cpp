#include "plugins/etcd/etcd.h"

#include <chrono>
#include <ctime>

#include "core/dns/writer.h"
#include "core/log/log.h"
#include "core/plugin/internal_query.h"
#include "plugins/etcd/chase.h"
#include "plugins/pkg/trace.h"

namespace cxxdns::plugins::etcd {
namespace {

// How long one watch is kept open before the keys are read again anyway.
constexpr long kWatchSeconds = 60;
constexpr auto kRetry = std::chrono::seconds(1);

void write_rr(dns::MessageWriter& w, const Rr& r, const dns::Name& owner) {
  dns::Name target;
  switch (r.type) {
    case dns::type::A:
      w.a(owner, r.ttl, r.ip.bytes.data());
      return;
    case dns::type::AAAA:
      w.aaaa(owner, r.ttl, r.ip.bytes.data());
      return;
    case dns::type::TXT:
      w.begin_rr(owner, r.type, dns::cls::IN, r.ttl);
      w.rd_text(r.text);
      w.end_rr();
      return;
    default:
      break;
  }
  if (!dns::from_text(r.target, target)) return;  // a host that is no name: left out
  if (r.type == dns::type::SRV || r.type == dns::type::MX) {
    w.begin_rr(owner, r.type, dns::cls::IN, r.ttl);
    w.rd_u16(r.priority);
    if (r.type == dns::type::SRV) w.rd_u16(r.weight), w.rd_u16(r.port);
    w.rd_name(target, r.type == dns::type::MX);
    w.end_rr();
  } else if (r.type == dns::type::SOA) {
    dns::Name mbox;
    if (!dns::from_text(r.text, mbox)) return;
    w.begin_rr(owner, r.type, dns::cls::IN, r.ttl);
    w.rd_name(target);
    w.rd_name(mbox);
    for (uint32_t v : {r.serial, 7200u, 1800u, 86400u, 30u}) w.rd_u32(v);
    w.end_rr();
  } else {
    w.name_rr(owner, r.type, r.ttl, target);
  }
}

void write_section(dns::MessageWriter& w, dns::Section s, const std::vector<Rr>& rrs) {
  w.section(s);
  for (const auto& r : rrs) {
    dns::Name owner;
    if (dns::from_text(r.owner, owner)) write_rr(w, r, owner);
  }
}

}  // namespace

Etcd::Etcd(EtcdConfig cfg, int workers, const Services* services)
    : cfg_(std::move(cfg)), services_(services), zones_(cfg_.zones), store_(workers) {}

Etcd::~Etcd() {
  stop();
}

void Etcd::publish(std::shared_ptr<const Store> store) {
  store_.publish(std::move(store));
  loaded_.store(true, std::memory_order_release);
}

void Etcd::start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void Etcd::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Etcd::pause(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  wake_.wait_for(lock, d, [this] { return stop_.load(); });
}

void Etcd::run() {
  Client client(cfg_.client, stop_);
  std::string dir = name_to_path(".", cfg_.path);
  if (!dir.ends_with('/')) dir += '/';
  bool failing = false;
  while (!stop_) {
    std::vector<KeyValue> kvs;
    int64_t revision = 0;
    if (!client.range_prefix(dir, kvs, revision)) {
      if (!failing && !stop_) {
        log::error("plugin/etcd: {}; {}", client.error(),
                   ready() ? "answering from the last keys read" : "answering SERVFAIL");
      }
      failing = true;
      pause(kRetry);
      continue;
    }
    if (failing) log::info("plugin/etcd: reading {} again", dir);
    failing = false;
    auto store = std::make_shared<Store>();
    store->revision = revision;
    for (auto& kv : kvs) store->put(std::move(kv.key), kv.value);
    publish(std::move(store));
    if (!client.wait_for_change(dir, revision, kWatchSeconds)) pause(kRetry);
  }
}

Verdict Etcd::serve(QueryContext& ctx) {
  const dns::QueryView& q = ctx.q();
  int zi = zones_.match(q.qname_lower);
  if (zi < 0) return ctx.next();
  const Store* store = store_.get(ctx.worker().index);
  Answer a;
  std::string qname(ctx.qname_text());
  static const Store kNoKeys;  // before the first read: only the SOA is used
  Lookup lookup(store ? *store : kNoKeys, cfg_.path, zones_.text(zi),
                static_cast<uint32_t>(std::time(nullptr)));
  if (!store) {
    a.rcode = dns::rcode::SERVFAIL;
    a.error = "no keys read from etcd yet";
    a.authority.push_back(lookup.soa());
  } else {
    a = lookup.answer(qname, dns::to_text(q.qname), q.qtype);
  }
  if (a.rcode == dns::rcode::NXDOMAIN && cfg_.fallthrough.through(q.qname_lower)) {
    pkg::note(ctx, "etcd", "no such name, fallthrough");
    return ctx.next();
  }
  return write(ctx, a, zones_.text(zi));
}

Verdict Etcd::write(QueryContext& ctx, const Answer& a, const std::string& zone) {
  dns::MessageWriter w(ctx.writable_response());
  w.start_reply(ctx.q(), a.rcode, true);
  write_section(w, dns::Section::answer, a.answer);
  write_section(w, dns::Section::authority, a.authority);
  write_section(w, dns::Section::additional, a.extra);
  if (a.rcode == dns::rcode::SERVFAIL) {
    pkg::note(ctx, "etcd", "SERVFAIL: " + a.error);
    ctx.slot<QueryError>().text = "plugin/etcd: " + a.error;  // for errors; the SOA stays
  }
  const uint16_t qtype = ctx.q().qtype;
  const bool follows = qtype == dns::type::A || qtype == dns::type::AAAA || qtype == dns::type::TXT;
  if (follows && !a.answer.empty() && ctx.depth() < kMaxInternalDepth &&
      has_outside_cname(ctx, zone)) {
    pkg::note(ctx, "etcd", "CNAME out of the zone: looking up its target through the server");
    return follow_outside_cnames(ctx, zone, services_);
  }
  if (pkg::tracing(ctx)) {
    pkg::note(ctx, "etcd",
              std::to_string(a.answer.size()) + " records, rcode " + std::to_string(a.rcode));
  }
  return ctx.reply();
}

}  // namespace cxxdns::plugins::etcd
