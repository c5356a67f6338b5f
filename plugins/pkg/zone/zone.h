// ZoneData: one version of an authoritative zone (from a zone file, or transferred in),
// built whole and then immutable, so the query path reads it without a lock while a reload
// builds the next one beside it (the plugins swap versions with Snapshot<ZoneData>).
//
// The layout is compact and made for the query path: every owner name (lower case, wire
// form) and every RDATA (uncompressed wire form, as a zone transfer or the file gave it) in
// one byte buffer; names sorted in canonical order (RFC 4034 6.1: NSEC's order, and the order
// a zone transfer walks), each with its RRsets; a hash index from name to node.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/dns/name.h"
#include "plugins/pkg/zone/record.h"

namespace cxxdns::pkg::zone {

struct Record {
  uint32_t ttl = 0;
  uint32_t rdata = 0;  // offset in ZoneData::bytes
  uint16_t rdlen = 0;
  uint16_t klass = 0;
};

// The records of one owner and type; RRSIGs are kept in one set per type they cover.
struct RRset {
  uint16_t type = 0;
  uint16_t covered = 0;  // RRSIG: the type covered
  uint32_t first = 0;    // index in ZoneData::records
  uint32_t count = 0;
};

struct Node {
  uint32_t name = 0;  // offset in ZoneData::bytes of the lower-case wire name
  uint8_t name_len = 0;
  uint32_t first_set = 0;  // index in ZoneData::sets
  uint32_t sets = 0;
};

class ZoneData {
 public:
  ZoneData() = default;
  ZoneData(const ZoneData&) = delete;
  ZoneData& operator=(const ZoneData&) = delete;

  const dns::Name& origin() const { return origin_; }
  std::span<const uint8_t> origin_wire() const { return origin_.wire(); }
  // Whether the zone has its SOA (a secondary zone before its first transfer has not).
  bool has_soa() const { return soa_ != nullptr; }
  const SoaFields& soa_fields() const { return soa_fields_; }
  uint32_t serial() const { return soa_fields_.serial; }
  size_t record_count() const { return records_.size(); }
  size_t node_count() const { return nodes_.size(); }

  // --- Names.
  // The node of `name` (lower-case wire form), or null: the name holds no records (it may
  // still be an empty non-terminal: has_descendant).
  const Node* find(std::span<const uint8_t> name) const;
  const Node* apex() const { return apex_; }
  std::span<const uint8_t> name(const Node& n) const {
    return {bytes_.data() + n.name, n.name_len};
  }
  dns::Name name_of(const Node& n) const;
  // The node with the greatest name not after `name` in canonical order, or null.
  const Node* prev(std::span<const uint8_t> name) const;
  // Whether some name below `name` holds records (`name` is then at least an empty
  // non-terminal).
  bool has_descendant(std::span<const uint8_t> name) const;
  std::span<const Node> nodes() const { return nodes_; }

  // --- RRsets.
  const RRset* rrset(const Node& n, uint16_t type) const;
  const RRset* sigs(const Node& n, uint16_t covered) const;
  std::span<const RRset> sets(const Node& n) const { return {sets_.data() + n.first_set, n.sets}; }
  std::span<const Record> records(const RRset& s) const {
    return {records_.data() + s.first, s.count};
  }
  std::span<const uint8_t> rdata(const Record& r) const {
    return {bytes_.data() + r.rdata, r.rdlen};
  }
  // The apex SOA set (null when the zone has none).
  const RRset* soa() const { return soa_; }

 private:
  friend class ZoneBuilder;
  dns::Name origin_;
  std::vector<uint8_t> bytes_;
  std::vector<Record> records_;
  std::vector<RRset> sets_;
  std::vector<Node> nodes_;                               // canonical order
  std::unordered_map<std::string_view, uint32_t> index_;  // name bytes -> node
  const Node* apex_ = nullptr;
  const RRset* soa_ = nullptr;
  SoaFields soa_fields_;
};

// Collects the records of a zone in any order, then builds its ZoneData.
class ZoneBuilder {
 public:
  explicit ZoneBuilder(const dns::Name& origin);

  // Adds one record (its RDATA uncompressed). Returns an error text, empty when taken: a
  // record outside the zone is skipped (counted in outside()); an NSEC3 zone is refused, as
  // CoreDNS refuses it; a second SOA replaces the first.
  std::string add(const RecordView& rr);
  size_t outside() const { return outside_; }

  // The zone, or null with `error` set (no SOA at the apex).
  std::unique_ptr<ZoneData> build(std::string& error);

 private:
  struct Pending {
    uint32_t owner;  // offset in names_
    uint8_t owner_len;
    uint16_t type, covered, klass;
    uint32_t ttl;
    uint32_t rdata;  // offset in rdata_
    uint16_t rdlen;
    uint32_t seq;  // order of arrival, kept inside an RRset
  };
  dns::Name origin_;
  std::vector<uint8_t> names_, rdata_;
  std::vector<Pending> pending_;
  size_t outside_ = 0;
};

}  // namespace cxxdns::pkg::zone
