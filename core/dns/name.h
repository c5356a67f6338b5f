// Domain names in wire form (length-prefixed labels, uncompressed), held inline so that
// reading a question never touches the heap.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "core/dns/constants.h"

namespace cxxdns::dns {

struct Name {
  uint8_t data[kMaxNameWire];
  uint8_t len = 0;  // bytes used in data, including the final zero label; 0 = empty

  std::span<const uint8_t> wire() const { return {data, len}; }
  bool empty() const { return len == 0; }
  bool is_root() const { return len == 1; }
  int label_count() const;
  // ASCII lower-casing of every label byte (RFC 4343: case-insensitive comparison).
  void to_lower();
  bool operator==(const Name& o) const {
    return len == o.len && std::memcmp(data, o.data, len) == 0;
  }
};

// Reads a (possibly compressed) name at `off` of `msg`. On success `off` moves past the
// name as it stands at that position and `out` holds it uncompressed. Fails on a label
// past the end, a pointer loop or forward chain (at most 64 hops), a name over 255 bytes,
// or a reserved label type.
bool read_name(std::span<const uint8_t> msg, size_t& off, Name& out);
// Like read_name without keeping the name (validates it all the same).
bool skip_name(std::span<const uint8_t> msg, size_t& off);

// Presentation form, lower-case untouched: "www.example.org.", "." for the root; dots and
// backslashes inside labels are escaped as \. and \\, other non-printables as \DDD.
std::string to_text(const Name& n);
size_t to_text(const Name& n, char* buf, size_t cap);  // returns length written (no NUL)
// Parses presentation form (absolute or not; a missing final dot is added). False on an
// empty label, a label over 63 bytes or a name over 255 bytes.
bool from_text(std::string_view text, Name& out);
// Convenience for setup code and tests: lower-case FQDN text ("Example.org" -> "example.org.").
std::string canonical(std::string_view text);

// True when `name` equals `zone` or lies below it, label-wise. Both must be lower-cased.
bool is_subdomain(const Name& name, const Name& zone);
// Text form of the same check for canonical FQDNs ("a.b." under "b." and under ".").
bool is_subdomain(std::string_view name, std::string_view zone);

}  // namespace cxxdns::dns
