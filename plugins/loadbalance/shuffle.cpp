#include "plugins/loadbalance/shuffle.h"

#include <ldns/ldns.h>

#include <cstring>

#include "core/dns/message.h"
#include "core/dns/name.h"

namespace cxxdns::plugins {

namespace {

constexpr uint16_t kA = 1, kMX = 15, kAAAA = 28, kIXFR = 251, kAXFR = 252;

struct Item {
  uint8_t section;
  uint16_t type;
  uint32_t ttl_off;
  uint32_t rdata_off;
  dns::Name owner;  // lower-case
  bool done;
};

// TTL and RDATA of one A/AAAA record, to move between records.
struct Payload {
  uint8_t bytes[4 + 16];
};

void shuffle_group(std::vector<uint8_t>& msg, std::vector<Item*>& group, size_t rdlen, Rng& rng) {
  thread_local std::vector<Payload> payloads;
  payloads.resize(group.size());
  for (size_t i = 0; i < group.size(); ++i) {
    std::memcpy(payloads[i].bytes, &msg[group[i]->ttl_off], 4);
    std::memcpy(payloads[i].bytes + 4, &msg[group[i]->rdata_off], rdlen);
  }
  for (size_t i = payloads.size() - 1; i > 0; --i) {
    std::swap(payloads[i], payloads[rng.below(static_cast<uint32_t>(i + 1))]);
  }
  for (size_t i = 0; i < group.size(); ++i) {
    std::memcpy(&msg[group[i]->ttl_off], payloads[i].bytes, 4);
    std::memcpy(&msg[group[i]->rdata_off], payloads[i].bytes + 4, rdlen);
  }
}

void shuffle_rr_list(ldns_rr_list* list, Rng& rng) {
  if (!list) return;
  std::vector<size_t> at;
  for (size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) {
    if (ldns_rr_get_type(ldns_rr_list_rr(list, i)) == LDNS_RR_TYPE_MX) at.push_back(i);
  }
  for (size_t i = at.size(); i > 1; --i) {
    size_t j = rng.below(static_cast<uint32_t>(i));
    if (j == i - 1) continue;
    ldns_rr* a = ldns_rr_list_rr(list, at[i - 1]);
    ldns_rr* b = ldns_rr_list_rr(list, at[j]);
    ldns_rr_list_set_rr(list, b, at[i - 1]);
    ldns_rr_list_set_rr(list, a, at[j]);
  }
}

bool shuffle_mx(std::vector<uint8_t>& msg, Rng& rng) {
  ldns_pkt* pkt = nullptr;
  if (ldns_wire2pkt(&pkt, msg.data(), msg.size()) != LDNS_STATUS_OK) return false;
  shuffle_rr_list(ldns_pkt_answer(pkt), rng);
  shuffle_rr_list(ldns_pkt_authority(pkt), rng);
  shuffle_rr_list(ldns_pkt_additional(pkt), rng);
  uint8_t* wire = nullptr;
  size_t size = 0;
  bool ok = ldns_pkt2wire(&wire, pkt, &size) == LDNS_STATUS_OK;
  if (ok) msg.assign(wire, wire + size);
  free(wire);
  ldns_pkt_free(pkt);
  return ok;
}

// What to do with an answer: only NOERROR answers to a query other than AXFR/IXFR are
// shuffled, as in CoreDNS.
enum class Eligibility { shuffle, leave, unreadable };

Eligibility eligibility(const std::vector<uint8_t>& msg) {
  if (msg.size() < dns::kHeaderSize) return Eligibility::unreadable;
  if ((msg[3] & 0x0f) != 0) return Eligibility::leave;
  dns::Header h = dns::Header::read(msg.data());
  if (h.qdcount != 1) return Eligibility::shuffle;
  size_t off = dns::kHeaderSize;
  if (!dns::skip_name(std::span<const uint8_t>(msg), off) || off + 4 > msg.size()) {
    return Eligibility::unreadable;
  }
  uint16_t qtype = dns::get16(&msg[off]);
  return qtype == kAXFR || qtype == kIXFR ? Eligibility::leave : Eligibility::shuffle;
}

// The A and AAAA records of the message into `items`, and how many MX records each section
// holds into `mx_count`. False when the message cannot be read.
bool collect_records(std::span<const uint8_t> view, std::vector<Item>& items, int (&mx_count)[3]) {
  return dns::walk_records(view, [&](const dns::RecordRef& r) {
    int s = static_cast<int>(r.section);
    if (r.type == kMX && s < 3) ++mx_count[s];
    bool addr = (r.type == kA && r.rdata_len == 4) || (r.type == kAAAA && r.rdata_len == 16);
    if (!addr) return true;
    Item it;
    it.section = static_cast<uint8_t>(r.section);
    it.type = r.type;
    it.ttl_off = r.type_offset + 4;
    it.rdata_off = r.rdata_offset;
    it.done = false;
    size_t off = r.offset;
    if (!dns::read_name(view, off, it.owner)) return false;
    it.owner.to_lower();
    items.push_back(it);
    return true;
  });
}

bool same_rrset(const Item& a, const Item& b) {
  return a.section == b.section && a.type == b.type && a.owner == b.owner;
}

// Shuffles each RRset of `items` (the A or AAAA records of one owner in one section).
void shuffle_rrsets(std::vector<uint8_t>& msg, std::vector<Item>& items, Rng& rng) {
  thread_local std::vector<Item*> group;
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].done) continue;
    group.clear();
    for (size_t j = i; j < items.size(); ++j) {
      if (items[j].done || !same_rrset(items[j], items[i])) continue;
      items[j].done = true;
      group.push_back(&items[j]);
    }
    if (group.size() > 1) shuffle_group(msg, group, items[i].type == kA ? 4 : 16, rng);
  }
}

}  // namespace

bool shuffle_answer(std::vector<uint8_t>& msg, Rng& rng) {
  switch (eligibility(msg)) {
    case Eligibility::unreadable:
      return false;
    case Eligibility::leave:
      return true;
    case Eligibility::shuffle:
      break;
  }
  thread_local std::vector<Item> items;
  items.clear();
  int mx_count[3] = {0, 0, 0};
  if (!collect_records(std::span<const uint8_t>(msg), items, mx_count)) return false;
  shuffle_rrsets(msg, items, rng);
  if (mx_count[0] > 1 || mx_count[1] > 1 || mx_count[2] > 1) return shuffle_mx(msg, rng);
  return true;
}

}  // namespace cxxdns::plugins
