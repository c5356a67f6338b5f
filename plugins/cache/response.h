// Reading an answer for the cache: which kind it is, how long it may be kept, and the
// in-place rewrite of a cached copy for the client asking now. Both work from the answer's
// shape (read once, by whoever wrote or received the answer), not by walking it again.
#pragma once

#include <cstdint>
#include <span>

#include "core/dns/message.h"
#include "core/dns/shape.h"

namespace cxxdns::plugins::cache {

enum class Kind : uint8_t { success, denial, servfail, none };

struct Classified {
  Kind kind = Kind::none;
  uint32_t ttl = 0;       // the message's own TTL, before the caps
  bool mismatch = false;  // not cached because its question is not the query's
};

// Answers to `q` that may be cached: one question equal to q's (any case), no TC, opcode
// QUERY; NOERROR with answers or a referral is success, NXDOMAIN and NOERROR/NODATA are
// denial (TTL from the SOA: min of its TTL and MINIMUM), SERVFAIL is servfail. Everything
// else (other rcodes, malformed messages, zone transfers) is none. `shape` is msg's.
Classified classify(std::span<const uint8_t> msg, const dns::AnswerShape& shape,
                    const dns::QueryView& q);

// Rewrites a cached copy for the query `q`: its ID, the question name's case, and (unless
// `keep_ttl`) every record's TTL except OPT's to `ttl`, by the copy's `shape`. False when
// the copy does not walk.
bool patch(std::span<uint8_t> msg, const dns::AnswerShape& shape, const dns::QueryView& q,
           uint32_t ttl, bool keep_ttl);

}  // namespace cxxdns::plugins::cache
