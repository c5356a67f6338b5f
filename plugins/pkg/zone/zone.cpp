#include "plugins/pkg/zone/zone.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <unordered_set>

namespace cxxdns::pkg::zone {

namespace {
std::string_view as_view(std::span<const uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
}  // namespace

const Node* ZoneData::find(std::span<const uint8_t> name) const {
  auto it = index_.find(as_view(name));
  return it == index_.end() ? nullptr : &nodes_[it->second];
}

dns::Name ZoneData::name_of(const Node& n) const {
  dns::Name out;
  std::memcpy(out.data, bytes_.data() + n.name, n.name_len);
  out.len = n.name_len;
  return out;
}

const Node* ZoneData::prev(std::span<const uint8_t> name) const {
  // The first node after `name`, then one back.
  auto it = std::upper_bound(nodes_.begin(), nodes_.end(), name,
                             [this](std::span<const uint8_t> n, const Node& node) {
                               return compare_canonical(n, this->name(node)) < 0;
                             });
  if (it == nodes_.begin()) return nullptr;
  return &*(it - 1);
}

bool ZoneData::has_descendant(std::span<const uint8_t> name) const {
  // Names below `name` follow it at once in canonical order.
  auto it = std::upper_bound(nodes_.begin(), nodes_.end(), name,
                             [this](std::span<const uint8_t> n, const Node& node) {
                               return compare_canonical(n, this->name(node)) < 0;
                             });
  return it != nodes_.end() && under(this->name(*it), name);
}

const RRset* ZoneData::rrset(const Node& n, uint16_t t) const {
  for (const RRset& s : sets(n)) {
    if (s.type == t) return &s;
  }
  return nullptr;
}

const RRset* ZoneData::sigs(const Node& n, uint16_t covered) const {
  for (const RRset& s : sets(n)) {
    if (s.type == type::RRSIG && s.covered == covered) return &s;
  }
  return nullptr;
}

ZoneBuilder::ZoneBuilder(const dns::Name& origin) : origin_(origin) {
  origin_.to_lower();
}

std::string ZoneBuilder::add(const RecordView& rr) {
  dns::Name owner = rr.owner;
  owner.to_lower();
  if (!under(owner.wire(), origin_.wire())) {
    ++outside_;
    return {};
  }
  if (rr.type == type::NSEC3 || rr.type == type::NSEC3PARAM) {
    return "NSEC3 zone is not supported, dropping RR: " + dns::to_text(owner) +
           " for zone: " + dns::to_text(origin_);
  }
  if (rr.rdata.size() > 65535) return "record data too long";
  Pending p{};
  p.owner = static_cast<uint32_t>(names_.size());
  p.owner_len = owner.len;
  names_.insert(names_.end(), owner.data, owner.data + owner.len);
  p.type = rr.type;
  p.klass = rr.klass;
  p.ttl = rr.ttl;
  if (rr.type == type::RRSIG && rr.rdata.size() >= 2) p.covered = dns::get16(rr.rdata.data());
  p.rdata = static_cast<uint32_t>(rdata_.size());
  p.rdlen = static_cast<uint16_t>(rr.rdata.size());
  rdata_.insert(rdata_.end(), rr.rdata.begin(), rr.rdata.end());
  lower_rdata_names(rr.type, std::span(rdata_).subspan(p.rdata, p.rdlen));
  p.seq = static_cast<uint32_t>(pending_.size());
  pending_.push_back(p);
  return {};
}

namespace {

// Puts the records of one RRset (pending[from, to)) into `z`: duplicates once, and for the
// SOA only the last one given (a zone has one SOA).
void add_set(std::vector<uint8_t>& bytes, std::vector<Record>& records, std::vector<RRset>& sets,
             const std::vector<uint8_t>& rdata, std::span<const uint32_t> members,
             const auto& pending) {
  const auto& head = pending[members[0]];
  RRset s;
  s.type = head.type;
  s.covered = head.covered;
  s.first = static_cast<uint32_t>(records.size());
  if (head.type == dns::type::SOA) members = members.last(1);
  std::unordered_set<std::string_view> seen;
  for (uint32_t m : members) {
    const auto& p = pending[m];
    std::string_view data(reinterpret_cast<const char*>(rdata.data()) + p.rdata, p.rdlen);
    if (!seen.insert(data).second) continue;
    Record r;
    r.ttl = p.ttl;
    r.klass = p.klass;
    r.rdlen = p.rdlen;
    r.rdata = static_cast<uint32_t>(bytes.size());
    bytes.insert(bytes.end(), data.begin(), data.end());
    records.push_back(r);
  }
  s.count = static_cast<uint32_t>(records.size()) - s.first;
  sets.push_back(s);
}

}  // namespace

std::unique_ptr<ZoneData> ZoneBuilder::build(std::string& error) {
  auto owner = [this](const Pending& p) {
    return std::span<const uint8_t>(names_.data() + p.owner, p.owner_len);
  };
  std::vector<uint32_t> order(pending_.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    const Pending &x = pending_[a], &y = pending_[b];
    if (int c = compare_canonical(owner(x), owner(y))) return c < 0;
    if (x.type != y.type) return x.type < y.type;
    if (x.covered != y.covered) return x.covered < y.covered;
    return x.seq < y.seq;
  });

  auto z = std::make_unique<ZoneData>();
  z->origin_ = origin_;
  z->bytes_.reserve(names_.size() / 2 + rdata_.size());
  for (size_t i = 0; i < order.size();) {
    const Pending& first = pending_[order[i]];
    Node n;
    n.name = static_cast<uint32_t>(z->bytes_.size());
    n.name_len = first.owner_len;
    auto name = owner(first);
    z->bytes_.insert(z->bytes_.end(), name.begin(), name.end());
    n.first_set = static_cast<uint32_t>(z->sets_.size());
    size_t j = i;
    while (j < order.size() && compare_canonical(owner(pending_[order[j]]), name) == 0) {
      size_t k = j;
      const Pending& head = pending_[order[j]];
      while (k < order.size() && compare_canonical(owner(pending_[order[k]]), name) == 0 &&
             pending_[order[k]].type == head.type && pending_[order[k]].covered == head.covered) {
        ++k;
      }
      add_set(z->bytes_, z->records_, z->sets_, rdata_,
              std::span<const uint32_t>(order.data() + j, k - j), pending_);
      j = k;
    }
    n.sets = static_cast<uint32_t>(z->sets_.size()) - n.first_set;
    z->nodes_.push_back(n);
    i = j;
  }
  for (uint32_t i = 0; i < z->nodes_.size(); ++i) {
    z->index_.emplace(as_view(z->name(z->nodes_[i])), i);
  }
  z->apex_ = z->find(origin_.wire());
  if (z->apex_) z->soa_ = z->rrset(*z->apex_, dns::type::SOA);
  if (!z->soa_ || z->soa_->count == 0 ||
      !read_soa(z->rdata(z->records(*z->soa_)[0]), z->soa_fields_)) {
    z->soa_ = nullptr;
    error = "has no SOA record for origin " + dns::to_text(origin_);
    return nullptr;
  }
  return z;
}

}  // namespace cxxdns::pkg::zone
