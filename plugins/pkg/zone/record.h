// Resource records in wire form, for the plugins that keep whole zones (file, secondary,
// transfer): reading one out of a message with the names in its RDATA decompressed, writing
// one into a message with its names compressed where RFC 3597 allows, the names an RDATA
// holds, and the canonical order of names (RFC 4034 6.1) a zone is sorted in.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/dns/message.h"
#include "core/dns/name.h"
#include "core/dns/writer.h"

namespace cxxdns::pkg::zone {

// Types the zone code names beside those of core/dns/constants.h.
namespace type {
constexpr uint16_t MD = 3, MF = 4, MB = 7, MG = 8, MR = 9, MINFO = 14, RP = 17, AFSDB = 18, RT = 21,
                   PX = 26, NAPTR = 35, KX = 36, DNAME = 39, DS = 43, RRSIG = 46, NSEC = 47,
                   DNSKEY = 48, NSEC3 = 50, NSEC3PARAM = 51, IXFR = 251, AXFR = 252;
}

// One record, its RDATA uncompressed (names in full), viewed in place.
struct RecordView {
  dns::Name owner;
  uint16_t type = 0, klass = 0;
  uint32_t ttl = 0;
  std::span<const uint8_t> rdata;
};

// The name a record of `type` points at: the target of NS, CNAME, PTR, DNAME, MX and SRV
// (for glue, CNAME chasing and additional addresses). False for other types.
bool rdata_target(uint16_t type, std::span<const uint8_t> rdata, dns::Name& out);

// Whether names in this type's RDATA may be compressed on the wire (RFC 3597 4: the types
// of RFC 1035 only).
bool compressible(uint16_t type);

// The RDATA of record `r` of `msg` with every name in full (RFC 3597 4: a receiver
// decompresses the names of the well-known types), appended to `out`. False when a name
// does not read or the layout does not fit.
bool read_rdata(std::span<const uint8_t> msg, const dns::RecordRef& r, std::vector<uint8_t>& out);

// Writes `rdata` (uncompressed) of `type` into the record `w` is building (between begin_rr
// and end_rr), compressing its names where the type allows.
void write_rdata(dns::MessageWriter& w, uint16_t type, std::span<const uint8_t> rdata);

// A whole record: begin_rr, write_rdata, end_rr.
void write_record(dns::MessageWriter& w, const dns::Name& owner, uint16_t type, uint16_t klass,
                  uint32_t ttl, std::span<const uint8_t> rdata);

// Lower-cases the names in `rdata` of the types CoreDNS keeps lower-cased (NS, CNAME, MX,
// SRV, SOA's two names): safe for DNSSEC, whose canonical form lower-cases them too (RFC
// 4034 6.2).
void lower_rdata_names(uint16_t type, std::span<uint8_t> rdata);

// The SOA fields after the two names.
struct SoaFields {
  uint32_t serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0;
};
bool read_soa(std::span<const uint8_t> rdata, SoaFields& out);

// RFC 1982 serial arithmetic: a is older than b.
bool serial_less(uint32_t a, uint32_t b);

// Canonical order of two lower-case wire names (RFC 4034 6.1): <0, 0, >0.
int compare_canonical(std::span<const uint8_t> a, std::span<const uint8_t> b);

// `n` without its first label ("www.example.org." -> "example.org."); the root stays.
std::span<const uint8_t> parent(std::span<const uint8_t> n);
// The number of labels of a wire name (the root has none).
int labels(std::span<const uint8_t> n);
// Whether wire name `n` is `zone` or below it (both lower-case).
bool under(std::span<const uint8_t> n, std::span<const uint8_t> zone);

}  // namespace cxxdns::pkg::zone
