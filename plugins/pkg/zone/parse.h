// Zone files (RFC 1035 5: master files) to ZoneData, with ldns reading the records: every
// type ldns knows, $TTL, $ORIGIN, relative names, @, parentheses, RFC 3597's \# form.
// $INCLUDE is followed here (ldns leaves it to its caller): a relative path is taken from
// the including file's folder, as miekg/dns does, at most 7 deep.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/dns/name.h"
#include "plugins/pkg/zone/zone.h"

namespace cxxdns::pkg::zone {

struct ParseResult {
  std::unique_ptr<ZoneData> zone;  // null on error
  std::string error;               // "FILE:LINE: what", or what the zone lacks
  size_t outside = 0;              // records skipped: their names are not in the zone
};

// Reads the zone file at `path` for `origin`.
ParseResult parse_zone_file(const std::string& path, const dns::Name& origin);
// The same from text already read (`name` labels errors; $INCLUDE paths are taken from
// `name`'s folder).
ParseResult parse_zone_text(std::string_view text, const std::string& name,
                            const dns::Name& origin);

// Just the serial of the first SOA record in `text` (to skip reading a file whose serial has
// not changed, as CoreDNS's file does); false when none reads.
bool peek_serial(std::string_view text, const std::string& name, const dns::Name& origin,
                 uint32_t& serial);

}  // namespace cxxdns::pkg::zone
