#include "plugins/pkg/zone/lookup.h"

#include <cstring>

namespace cxxdns::pkg::zone {
namespace {

constexpr int kMaxChase = 8;  // CNAMEs followed inside the zone after the first, as CoreDNS

bool same(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0;
}

// One query's walk through the zone.
class Walk {
 public:
  Walk(const ZoneData& z, const dns::Name& qname, uint16_t qtype, bool do_bit, Plan& p)
      : z_(z), qname_(qname.wire()), qtype_(qtype), do_(do_bit), p_(p) {}

  void run();

 private:
  void answer(const Node& n, const RRset* s, bool as_qname = false) {
    if (s && p_.answers < Plan::kMaxAnswer) p_.answer[p_.answers++] = {&n, s, as_qname, false};
  }
  void authority(const Node& n, const RRset* s) {
    if (s && p_.authorities < Plan::kMaxAuthority) p_.authority[p_.authorities++] = {&n, s};
  }
  // The RRset of `type` at `n` and, with DO, its RRSIGs.
  void answer_signed(const Node& n, uint16_t type, bool as_qname = false) {
    const RRset* s = z_.rrset(n, type);
    answer(n, s, as_qname);
    if (s && do_) answer(n, z_.sigs(n, type), as_qname);
  }
  void authority_signed(const Node& n, uint16_t type) {
    const RRset* s = z_.rrset(n, type);
    authority(n, s);
    if (s && do_) authority(n, z_.sigs(n, type));
  }
  void apex_ns() { authority_signed(*z_.apex(), dns::type::NS); }
  void soa() { authority_signed(*z_.apex(), dns::type::SOA); }

  bool at_apex();
  bool descend();
  void delegation(const Node& n);
  bool dname(const Node& n, size_t suffix_at);
  void exact(const Node& n);
  void chase(dns::Name target);
  void not_found();
  void wildcard(const Node& w);
  void nxdomain();

  const ZoneData& z_;
  std::span<const uint8_t> qname_;
  uint16_t qtype_;
  bool do_;
  Plan& p_;
};

void Walk::run() {
  if (!z_.has_soa() || !z_.apex()) {
    p_.result = Plan::servfail;
    return;
  }
  if (at_apex() || descend()) return;
  if (const Node* n = z_.find(qname_)) {
    exact(*n);
  } else {
    not_found();
  }
}

// SOA and NS at the apex (CoreDNS keeps them apart from the other names).
bool Walk::at_apex() {
  if (!same(qname_, z_.origin_wire())) return false;
  const Node& apex = *z_.apex();
  if (qtype_ == dns::type::SOA) {
    answer_signed(apex, dns::type::SOA, true);
    apex_ns();
    return true;
  }
  if (qtype_ == dns::type::NS) {
    answer_signed(apex, dns::type::NS, true);
    p_.extra_node = &apex;
    p_.extra_set = z_.rrset(apex, dns::type::NS);
    p_.extra_glue = true;
    return true;
  }
  return false;
}

// From the apex down to the query name: a DNAME above it, or a delegation (NS below the
// apex) on the way, answers.
bool Walk::descend() {
  size_t at[128];
  int n = 0;
  for (size_t p = 0; p < qname_.size() && qname_[p] != 0 && n < 128; p += 1 + qname_[p]) {
    at[n++] = p;
  }
  const int below = n - labels(z_.origin_wire());  // labels under the apex
  for (int i = below; i >= 0; --i) {
    const size_t off = i < n ? at[i] : qname_.size() - 1;
    const Node* node = z_.find(qname_.subspan(off));
    if (!node) continue;
    if (i > 0 && dname(*node, off)) return true;
    if (node == z_.apex() || !z_.rrset(*node, dns::type::NS)) continue;
    if (qtype_ == type::DS && i == 0) continue;  // the DS lives in this zone, above the cut
    delegation(*node);
    return true;
  }
  return false;
}

void Walk::delegation(const Node& n) {
  p_.result = Plan::delegation;
  authority(n, z_.rrset(n, dns::type::NS));
  if (do_) authority_signed(n, type::DS);
  p_.extra_node = &n;
  p_.extra_set = z_.rrset(n, dns::type::NS);
  p_.extra_glue = true;
}

// A DNAME at `n` (the query name's suffix from `suffix_at`): the DNAME, the CNAME it makes
// for the query name (RFC 6672), and that CNAME's target.
bool Walk::dname(const Node& n, size_t suffix_at) {
  const RRset* d = z_.rrset(n, type::DNAME);
  if (!d || d->count == 0) return false;
  const Record& r = z_.records(*d)[0];
  dns::Name target;
  size_t off = 0;
  if (!dns::read_name(z_.rdata(r), off, target)) return false;
  if (suffix_at + target.len > dns::kMaxNameWire) return false;  // too long: as if none
  dns::Name synth;
  std::memcpy(synth.data, qname_.data(), suffix_at);
  std::memcpy(synth.data + suffix_at, target.data, target.len);
  synth.len = static_cast<uint8_t>(suffix_at + target.len);
  synth.to_lower();
  answer(n, d);
  if (do_) answer(n, z_.sigs(n, type::DNAME));
  if (p_.answers < Plan::kMaxAnswer) p_.answer[p_.answers++] = {&n, d, true, true};
  p_.synth_target = synth;
  p_.synth_ttl = r.ttl;
  chase(synth);
  apex_ns();
  return true;
}

void Walk::exact(const Node& n) {
  const RRset* cname = z_.rrset(n, dns::type::CNAME);
  if (cname && qtype_ != dns::type::CNAME) {
    answer_signed(n, dns::type::CNAME, true);
    dns::Name target;
    if (cname->count > 0 && rdata_target(dns::type::CNAME, z_.rdata(z_.records(*cname)[0]), target))
      chase(target);
    apex_ns();
    return;
  }
  if (qtype_ == type::RRSIG) {
    for (const RRset& s : z_.sets(n)) {
      if (s.type == type::RRSIG) answer(n, &s, true);
    }
  } else {
    answer_signed(n, qtype_, true);
  }
  if (p_.answers == 0) {  // NODATA: the SOA, and with DO the name's NSEC
    p_.result = Plan::nodata;
    soa();
    if (do_) authority_signed(n, type::NSEC);
    return;
  }
  apex_ns();
  if (qtype_ == dns::type::MX || qtype_ == dns::type::SRV) {
    p_.extra_node = &n;
    p_.extra_set = z_.rrset(n, qtype_);
  }
}

// Follows `target` through the zone's CNAMEs to the records of the query type; a name the
// zone does not hold is left to a lookup through the server.
void Walk::chase(dns::Name target) {
  for (int i = 0; i <= kMaxChase; ++i) {
    const Node* n = z_.find(target.wire());
    if (!n) {
      p_.external = true;
      p_.external_target = target;
      return;
    }
    const RRset* cname = z_.rrset(*n, dns::type::CNAME);
    if (!cname) {
      answer_signed(*n, qtype_);
      return;
    }
    answer_signed(*n, dns::type::CNAME);
    if (cname->count == 0 ||
        !rdata_target(dns::type::CNAME, z_.rdata(z_.records(*cname)[0]), target)) {
      return;
    }
  }
}

// The query name holds nothing: a wildcard at its closest encloser (RFC 4592), else
// NODATA for an empty non-terminal, else NXDOMAIN.
void Walk::not_found() {
  if (z_.has_descendant(qname_)) {  // an empty non-terminal exists: no wildcard applies
    nxdomain();
    return;
  }
  std::span<const uint8_t> ce = parent(qname_);
  while (ce.size() > z_.origin_wire().size() && !z_.find(ce) && !z_.has_descendant(ce)) {
    ce = parent(ce);
  }
  if (ce.size() + 2 <= dns::kMaxNameWire) {
    uint8_t star[dns::kMaxNameWire];
    star[0] = 1;
    star[1] = '*';
    std::memcpy(star + 2, ce.data(), ce.size());
    if (const Node* w = z_.find({star, ce.size() + 2})) {
      wildcard(*w);
      return;
    }
  }
  nxdomain();
}

void Walk::wildcard(const Node& w) {
  if (z_.rrset(w, dns::type::CNAME) && qtype_ != dns::type::CNAME) {
    answer_signed(w, dns::type::CNAME, true);
    dns::Name target;
    const RRset* cname = z_.rrset(w, dns::type::CNAME);
    if (cname->count > 0 && rdata_target(dns::type::CNAME, z_.rdata(z_.records(*cname)[0]), target))
      chase(target);
    apex_ns();
    return;
  }
  answer_signed(w, qtype_, true);
  if (p_.answers == 0) {
    p_.result = Plan::nodata;
    soa();
    if (do_) authority_signed(w, type::NSEC);
    return;
  }
  apex_ns();
  // With DO, the NSEC that shows no closer name exists than the one the wildcard made.
  if (const Node* deny = do_ ? z_.prev(qname_) : nullptr) authority_signed(*deny, type::NSEC);
}

void Walk::nxdomain() {
  // An empty non-terminal exists: NODATA, with the same authority.
  p_.result = z_.has_descendant(qname_) ? Plan::nodata : Plan::nxdomain;
  soa();
  if (!do_) return;
  const Node* deny = z_.prev(qname_);
  if (!deny) return;
  authority_signed(*deny, type::NSEC);
  if (p_.result != Plan::nxdomain) return;
  // The NSEC that denies the wildcard at the closest encloser (a name that has records).
  std::span<const uint8_t> ce = parent(qname_);
  while (ce.size() > z_.origin_wire().size() && !z_.find(ce)) ce = parent(ce);
  if (ce.size() + 2 > dns::kMaxNameWire) return;
  uint8_t star[dns::kMaxNameWire];
  star[0] = 1;
  star[1] = '*';
  std::memcpy(star + 2, ce.data(), ce.size());
  const Node* ss = z_.prev({star, ce.size() + 2});
  if (ss && ss != deny) authority_signed(*ss, type::NSEC);
}

// --- Writing.

void write_piece(dns::MessageWriter& w, const ZoneData& z, const Plan& plan, const Piece& p,
                 const dns::QueryView& q) {
  if (p.synth) {
    w.begin_rr(q.qname, dns::type::CNAME, dns::cls::IN, plan.synth_ttl);
    w.rd_name(plan.synth_target);
    w.end_rr();
    return;
  }
  const bool own = p.as_qname || same(z.name(*p.node), q.qname_lower.wire());
  const dns::Name owner = own ? q.qname : z.name_of(*p.node);
  for (const Record& r : z.records(*p.set)) {
    write_record(w, owner, p.set->type, r.klass, r.ttl, z.rdata(r));
  }
}

// The A and AAAA records (with DO, and their RRSIGs) of `name`, when the zone has it.
void write_addresses(dns::MessageWriter& w, const ZoneData& z, const dns::Name& name, bool do_bit) {
  const Node* n = z.find(name.wire());
  if (!n) return;
  for (uint16_t t : {dns::type::A, dns::type::AAAA}) {
    const RRset* s = z.rrset(*n, t);
    if (!s) continue;
    for (const Record& r : z.records(*s)) write_record(w, name, t, r.klass, r.ttl, z.rdata(r));
    const RRset* sig = do_bit ? z.sigs(*n, t) : nullptr;
    if (!sig) continue;
    for (const Record& r : z.records(*sig)) {
      write_record(w, name, type::RRSIG, r.klass, r.ttl, z.rdata(r));
    }
  }
}

}  // namespace

Plan lookup(const ZoneData& z, const dns::Name& qname, uint16_t qtype, bool do_bit) {
  Plan p;
  Walk(z, qname, qtype, do_bit, p).run();
  return p;
}

void write_answer(dns::MessageWriter& w, const ZoneData& z, const Plan& plan,
                  const dns::QueryView& q) {
  w.section(dns::Section::answer);
  for (int i = 0; i < plan.answers; ++i) write_piece(w, z, plan, plan.answer[i], q);
}

void write_rest(dns::MessageWriter& w, const ZoneData& z, const Plan& plan, const dns::QueryView& q,
                bool do_bit) {
  w.section(dns::Section::authority);
  for (int i = 0; i < plan.authorities; ++i) write_piece(w, z, plan, plan.authority[i], q);
  if (!plan.extra_set) return;
  w.section(dns::Section::additional);
  const std::span<const uint8_t> owner = z.name(*plan.extra_node);
  for (const Record& r : z.records(*plan.extra_set)) {
    dns::Name target;
    if (!rdata_target(plan.extra_set->type, z.rdata(r), target)) continue;
    // Glue: only names under the delegation (or the apex); targets: only names of the zone.
    if (!under(target.wire(), plan.extra_glue ? owner : z.origin_wire())) continue;
    write_addresses(w, z, target, do_bit);
  }
}

}  // namespace cxxdns::pkg::zone
