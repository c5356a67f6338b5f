// The domain names inside a record's RDATA, for code that moves records from one message to
// another (a name there may be compressed, pointing into the message it came in) or that
// must know where a message's names point: the types whose RDATA names RFC 3597 section 4
// says a receiver decompresses (RFC 1035's, and RP, AFSDB, RT, PX, SRV, NAPTR) and DNAME
// and KX, which some servers compress. Any other type's RDATA is opaque bytes, never
// compressed.
#pragma once

#include <cstdint>
#include <span>

#include "core/dns/message.h"

namespace cxxdns::dns {

// A piece of a record's RDATA: a domain name (as it stands in the message: `len` bytes from
// `offset`, possibly ending in a pointer) or bytes to copy as they are.
struct RdataPart {
  bool name = false;
  uint32_t offset = 0;
  uint32_t len = 0;
};

constexpr int kMaxRdataParts = 8;

// What `type`'s RDATA holds, in order: 'N' a domain name, a digit that many fixed bytes,
// 'S' a character-string, '*' the rest. Types not listed are "*" (opaque bytes). The one
// table of where names sit in RDATA: the cache, the answer writer, copy_record and
// plugins/pkg's record reader all read it.
const char* rdata_layout(uint16_t type);

// Splits the RDATA of `r` (a record of `msg`) into parts, in order; returns how many, or -1
// when the RDATA does not hold what its type says (a name running past it, a short field).
int rdata_parts(std::span<const uint8_t> msg, const RecordRef& r,
                RdataPart (&parts)[kMaxRdataParts]);

// Whether names in `type`'s RDATA may be written compressed (RFC 1035's types only; RFC 2782
// and RFC 3597 forbid it for the others).
bool rdata_names_compressible(uint16_t type);

// Whether the name at `offset` of `msg` reads any byte in [from, to) through its pointers
// (its own bytes are not counted); false also for a name that does not read.
bool name_points_into(std::span<const uint8_t> msg, uint32_t offset, uint32_t from, uint32_t to);

}  // namespace cxxdns::dns
