// The shape of an answer, read in one walk: everything the server and the plugins that look
// at a finished answer need (finalize and truncation, the cache's classify and TTL rewrite,
// log, errors, prometheus), so that none of them walks the message again. Whoever writes or
// receives an answer records its shape once (QueryContext::shape()).
#pragma once

#include <cstdint>
#include <span>

#include "core/dns/message.h"

namespace cxxdns::dns {

struct AnswerShape {
  bool valid = false;  // header, questions and records all within the message
  Header hdr;
  uint16_t rcode = 0;         // with the extended bits of the OPT, when there is one
  uint32_t question_end = 0;  // just past the questions
  uint32_t end = 0;           // just past the last record: bytes after it are junk

  // The OPT record, when the additional section has one.
  bool has_opt = false;
  bool bad_opt = false;  // an OPT outside the additional section, or a second one
  uint32_t opt_begin = 0, opt_end = 0;

  // For the cache (RFC 2308) and the response classes of log.
  bool soa_in_authority = false;
  bool ns_in_authority = false;
  uint32_t min_ttl = UINT32_MAX;  // over every record but the OPT
  uint32_t soa_min = UINT32_MAX;  // over the authority SOAs: min of TTL and MINIMUM

  // Where each record's TTL sits (every record but the OPT), so TTLs are rewritten without a
  // walk; an answer with more records than this is rewritten by walking it.
  static constexpr int kMaxTtls = 32;
  uint16_t ttl_count = 0;
  bool ttls_overflow = false;
  uint16_t ttl_offsets[kMaxTtls];

  uint16_t records() const { return hdr.ancount + hdr.nscount + hdr.arcount; }
};

// Reads `msg`'s shape; false (and shape.valid false) when it does not walk.
bool read_shape(std::span<const uint8_t> msg, AnswerShape& shape);
// The same for a message whose one question is known to end at `question_end` (a cached
// copy of an answer to the query being answered): the question is not walked again.
bool read_shape_after(std::span<const uint8_t> msg, uint32_t question_end, AnswerShape& shape);

// A compact form of a shape, kept with a stored copy of its message (the cache's entries),
// so that the copy's shape is known again without walking it.
constexpr size_t kPackedShapeMax = 10 + 2 * AnswerShape::kMaxTtls;
// Writes the packed form into `out` (kPackedShapeMax bytes); returns its length, 0 when the
// shape cannot be packed (not valid, or more records than it keeps offsets for).
size_t pack_shape(const AnswerShape& shape, uint8_t* out);
// The shape of `msg` (the message `packed` was made from, patched in place since) from its
// packed form; false when `packed` is not one.
bool unpack_shape(const uint8_t* packed, size_t len, std::span<const uint8_t> msg,
                  uint32_t question_end, AnswerShape& shape);

// Sets every record's TTL but the OPT's to `ttl`, by the offsets of `shape` (read from this
// very message); false when the message does not walk.
bool rewrite_ttls(std::span<uint8_t> msg, const AnswerShape& shape, uint32_t ttl);

}  // namespace cxxdns::dns
