// Shared by the cache tests: a scripted upstream behind the cache (a testing::NextHandler
// registered as "upstream", right after cache), a fake clock, and helpers.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "core/dns/writer.h"
#include "core/plugin/registry.h"
#include "core/plugin/testing.h"
#include "plugins/builtin.h"
#include "plugins/cache/cache.h"

namespace cache_test {

constexpr uint64_t kSec = 1000000000ull;

// What the upstream answers next; reset by each test.
struct Script {
  int calls = 0;
  uint8_t rcode = 0;
  uint32_t ttl = 300;
  uint8_t last_octet = 1;
  bool soa = false;  // NXDOMAIN/NODATA with an SOA in authority
  uint32_t soa_ttl = 60, soa_min = 30;
  bool tc = false;
  bool other_question = false;  // answer with a question that is not the query's
  int records = 1;              // A records in an answer
  // When set: writes the whole answer instead (ctx.writable_response()).
  std::function<void(cxxdns::QueryContext&)> custom;
};
inline Script script;
inline std::atomic<uint64_t> now{1000 * kSec};
inline uint64_t fake_clock() {
  return now.load();
}

// Writes what `script` says, as an upstream would answer.
inline void answer_as_scripted(cxxdns::QueryContext& ctx) {
  ++script.calls;
  if (script.custom) return script.custom(ctx);
  namespace dns = cxxdns::dns;
  dns::MessageWriter w(ctx.writable_response());
  w.start_reply(ctx.q(), script.rcode, true);
  if (script.other_question) {
    dns::Name other;
    dns::from_text("other.example.org.", other);
    dns::Header h;
    h.id = ctx.q().hdr.id;
    h.flags = dns::flag::QR;
    w.start(h);
    w.question(other, ctx.q().qtype, dns::cls::IN);
  }
  if (script.soa) {
    dns::Name zone, ns, mbox;
    dns::from_text("example.org.", zone), dns::from_text("ns.example.org.", ns);
    dns::from_text("admin.example.org.", mbox);
    w.section(dns::Section::authority);
    w.begin_rr(zone, dns::type::SOA, dns::cls::IN, script.soa_ttl);
    w.rd_name(ns), w.rd_name(mbox);
    for (uint32_t v : {1u, 7200u, 3600u, 1209600u}) w.rd_u32(v);
    w.rd_u32(script.soa_min);
    w.end_rr();
  } else if (script.rcode == 0 && ctx.q().qtype == dns::type::A) {
    for (int i = 0; i < script.records; ++i) {
      const uint8_t addr[4] = {10, 0, uint8_t(i), script.last_octet};
      w.a(ctx.q().qname, script.ttl, addr);
    }
  }
  if (script.tc) w.set_flags(dns::flag::TC);
}

inline const cxxdns::Registry& registry() {
  static const cxxdns::Registry r =
      cxxdns::testing::with_next_handler(cxxdns::plugins::builtin(), "cache", "upstream", [] {
        auto h = std::make_unique<cxxdns::testing::NextHandler>();
        h->write = answer_as_scripted;
        return h;
      });
  return r;
}

inline cxxdns::BuildOptions options() {
  cxxdns::BuildOptions o;
  o.registry = &registry();
  return o;
}

// A chain "cache ... ; upstream" on example.org, with the fake clock.
struct Fixture {
  cxxdns::testing::ChainTest t;
  cxxdns::plugins::cache::Cache* cache = nullptr;

  explicit Fixture(const std::string& cache_line, const std::string& zone = "example.org")
      : t(zone + " {\n" + cache_line + "\nupstream\n}\n", options()) {
    script = Script{};
    now = 1000 * kSec;
    for (auto* p : t.config().plugins()) {
      if (p->name() == "cache") cache = static_cast<cxxdns::plugins::cache::Cache*>(p);
    }
    cache->set_clock(&fake_clock);
  }
  cxxdns::testing::Answer q(const std::string& name, const std::string& type = "A",
                            const cxxdns::testing::QueryOptions& o = {}) {
    return t.query(name, type, o);
  }
};

// The TTL field of a presentation line ("name.\tTTL\tIN\tA\t...").
inline uint32_t ttl_of(const std::string& line) {
  size_t a = line.find('\t');
  return static_cast<uint32_t>(std::stoul(line.substr(a + 1, line.find('\t', a + 1) - a - 1)));
}

inline void advance(uint64_t seconds) {
  now += seconds * kSec;
}

}  // namespace cache_test
