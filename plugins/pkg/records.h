// A DNS message taken apart to be edited and written again: its records with every name
// uncompressed (the owner and the names inside the RDATA of the types that carry them), so
// that a name may change length without breaking the compression pointers of the records
// after it. For the plugins that change answers they did not write (rewrite's answer rules)
// or put other servers' records into their own (template's CNAME targets). Not for the
// query path of plain answers: it allocates.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/dns/message.h"
#include "core/dns/name.h"

namespace cxxdns::pkg {

struct Record {
  dns::Section section = dns::Section::answer;
  dns::Name owner;
  uint16_t type = 0, klass = 0;
  uint32_t ttl = 0;
  std::vector<uint8_t> rdata;  // the names inside it are written out in full
};

struct Question {
  dns::Name name;
  uint16_t qtype = 0, qclass = 0;
};

struct Message {
  dns::Header hdr;  // its counts are recomputed on writing
  std::vector<Question> questions;
  std::vector<Record> records;  // answer, authority then additional (the OPT among them)

  // The rcode with the extended bits of the OPT record, and the same to set.
  uint16_t rcode() const;
  void set_rcode(uint16_t rcode);
  Record* opt();
};

// Reads a whole message; false when any part of it does not parse (a bad name, a record past
// the end, an RDATA that does not hold what its type says).
bool read_message(std::span<const uint8_t> wire, Message& out);
// Reads the record at `pos` of `msg` (names may point anywhere before it), moving `pos` past it.
bool read_record(std::span<const uint8_t> msg, size_t& pos, Record& out);
// Writes `m` into `out` (replacing what it held). Names are compressed where RFC 3597 allows
// it: owners, and the names inside the RDATA of the RFC 1035 types (NS, CNAME, SOA, PTR, MX...).
void write_message(const Message& m, std::vector<uint8_t>& out);

// Where the names sit inside an RDATA of `type` (offsets into Record::rdata).
struct NameAt {
  uint16_t offset = 0;
  uint8_t len = 0;
};
std::vector<NameAt> rdata_names(const Record& r);
// The name CoreDNS's rewrite calls a record's value (CNAME, DNAME, NS and PTR targets, the
// MX exchange, the SRV target, the NAPTR replacement, the SOA's primary server), if `r` has one.
bool value_name(const Record& r, NameAt& at);
// Replaces the name at `at` inside r.rdata.
void replace_rdata_name(Record& r, NameAt at, const dns::Name& name);

}  // namespace cxxdns::pkg
