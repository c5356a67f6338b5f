// The cluster zone for the transfer plugin (CoreDNS's kubernetes Transfer): the zone's SOA,
// its NS, then every name the zone answers for with its records (services' A/AAAA, SRV and
// ExternalName CNAMEs, headless endpoints' addresses), in name order, then the SOA again.
// One version of the index is read throughout, so the transfer is consistent.
#include <algorithm>

#include "plugins/kubernetes/kubernetes.h"

namespace cxxdns::plugins::k8s {
namespace {

using pkg::zone::RecordView;

bool is_reverse(std::string_view zone) {
  return dns::is_subdomain(zone, "in-addr.arpa.") || dns::is_subdomain(zone, "ip6.arpa.");
}

// `rel` (relative to the zone, or absolute when it ends in a dot) + "." + `zone`.
bool absolute(std::string_view rel, std::string_view zone, dns::Name& out) {
  if (!rel.empty() && rel.back() == '.') return dns::from_text(rel, out);
  std::string text(rel);
  if (!text.empty() && zone != ".") text += '.';
  if (!text.empty() || zone != ".") text += zone;
  if (text.empty()) text = ".";
  return dns::from_text(text, out);
}

void put_name(std::vector<uint8_t>& rdata, const dns::Name& n) {
  rdata.insert(rdata.end(), n.data, n.data + n.len);
}
void put16(std::vector<uint8_t>& rdata, uint16_t v) {
  rdata.push_back(static_cast<uint8_t>(v >> 8));
  rdata.push_back(static_cast<uint8_t>(v));
}
void put32(std::vector<uint8_t>& rdata, uint32_t v) {
  put16(rdata, static_cast<uint16_t>(v >> 16));
  put16(rdata, static_cast<uint16_t>(v));
}

// Emits records of one owner, one RDATA at a time.
class Emitter {
 public:
  Emitter(const pkg::XfrEmit& emit, std::string_view zone, uint32_t ttl)
      : emit_(emit), zone_(zone), ttl_(ttl) {}

  void owner(std::string_view rel) { ok_ = absolute(rel, zone_, v_.owner); }
  void record(uint16_t type, uint32_t ttl, const std::vector<uint8_t>& rdata) {
    if (!ok_) return;
    v_.type = type;
    v_.klass = dns::cls::IN;
    v_.ttl = ttl;
    v_.rdata = rdata;
    emit_(v_);
  }

  void soa(int64_t serial) {
    owner("");
    dns::Name ns, mbox;
    absolute("ns.dns", zone_, ns);
    absolute("hostmaster", zone_, mbox);
    rdata_.clear();
    put_name(rdata_, ns);
    put_name(rdata_, mbox);
    for (uint32_t v : {static_cast<uint32_t>(serial), 7200u, 1800u, 86400u, ttl_}) put32(rdata_, v);
    record(dns::type::SOA, std::min<uint32_t>(ttl_, 300), rdata_);  // as the plugin answers it
  }

  void ns() {
    owner("");
    dns::Name ns;
    absolute("ns.dns", zone_, ns);
    rdata_.clear();
    put_name(rdata_, ns);
    record(dns::type::NS, ttl_, rdata_);
  }

  void name(const NameRecord& r) {
    owner(r.name());
    const NameData& d = r.data;
    for (const Addr4& a : d.a()) record(dns::type::A, ttl_, {a.begin(), a.end()});
    for (const Addr6& a : d.aaaa()) record(dns::type::AAAA, ttl_, {a.begin(), a.end()});
    dns::Name target;
    if (!d.cname().empty() && absolute(d.cname(), ".", target)) {
      rdata_.clear();
      put_name(rdata_, target);
      record(dns::type::CNAME, ttl_, rdata_);
    }
    for (const SrvData& s : d.srv()) {
      if (!absolute(d.target(s), zone_, target)) continue;
      rdata_.clear();
      put16(rdata_, 0);
      put16(rdata_, s.weight);
      put16(rdata_, s.port);
      put_name(rdata_, target);
      record(dns::type::SRV, ttl_, rdata_);
    }
  }

 private:
  const pkg::XfrEmit& emit_;
  std::string_view zone_;
  uint32_t ttl_;
  RecordView v_;
  bool ok_ = false;
  std::vector<uint8_t> rdata_;
};

}  // namespace

pkg::Transferer::Result Kubernetes::transfer(std::string_view zone, uint32_t serial,
                                             const pkg::XfrEmit& emit) {
  const auto& names = zones_.texts();
  if (is_reverse(zone) || std::find(names.begin(), names.end(), zone) == names.end()) {
    return Result::not_authoritative;
  }
  auto reading = index_.read(0);  // any free reader slot: this one version throughout
  const ClusterIndex* x = reading.get();
  if (!x) return Result::failed;
  Emitter e(emit, zone, opts_.ttl);
  e.soa(x->serial);
  // IXFR from a client with this serial: the SOA alone (CoreDNS's IXFR fallback).
  if (serial != 0 && serial == static_cast<uint32_t>(x->serial)) return Result::done;
  e.ns();
  std::vector<const NameRecord*> records;
  PMap<NameTraits>::walk(x->names, [&](const NameRecord* r) { records.push_back(r); });
  std::sort(records.begin(), records.end(),
            [](const NameRecord* a, const NameRecord* b) { return a->name() < b->name(); });
  for (const NameRecord* r : records) e.name(*r);
  e.soa(x->serial);
  return Result::done;
}

}  // namespace cxxdns::plugins::k8s
