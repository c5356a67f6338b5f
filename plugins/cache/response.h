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
// denial, SERVFAIL is servfail. Everything else (other rcodes, malformed messages, zone
// transfers) is none. The TTL is the smallest in the message (a CNAME's too), at most an
// hour, and for a denial at most its SOA's MINIMUM. `shape` is msg's.
Classified classify(std::span<const uint8_t> msg, const dns::AnswerShape& shape,
                    const dns::QueryView& q);

// The header flags of a hit on an answer stored with `stored`, for `q`, as CoreDNS's cache
// makes them: QR, AA (always: some clients drop non-authoritative answers), opcode, RD and
// CD from the query, RA and the rcode from the stored answer, and its AD only for a query
// with DO or AD set.
uint16_t hit_flags(uint16_t stored, const dns::QueryView& q);

// Rewrites a cached copy for the query `q`: its ID and flags (hit_flags), the question
// name's case, and (unless `keep_ttl`) every record's TTL except OPT's to `ttl`, by the
// copy's `shape`, whose header it updates. False when the copy does not walk.
bool patch(std::span<uint8_t> msg, dns::AnswerShape& shape, const dns::QueryView& q, uint32_t ttl,
           bool keep_ttl);

}  // namespace cxxdns::plugins::cache
