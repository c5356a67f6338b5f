#include "plugins/kubernetes/service_block.h"

#include <arpa/inet.h>

#include <algorithm>

#include "plugins/kubernetes/interned_strings.h"
#include "plugins/kubernetes/unique_run.h"

namespace cxxdns::plugins::k8s {
namespace {

void lower_into(std::string& out, std::string_view s) {
  for (char c : s) out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
}

constexpr uint32_t kNone = UINT32_MAX;

// One answer a name can give: an address and port reached under `target`, as CoreDNS's
// msg.Service; a name's records are made from all of its.
struct Rec {
  uint32_t name;
  IpKey ip;
  int32_t port;
  uint32_t target;
};

// A name's records, as ranges of the block's arrays (indices until the block is allocated).
struct NameOut {
  uint32_t name, cname = kNone;
  uint32_t a4_at = 0, a4_len = 0, a6_at = 0, a6_len = 0, srv_at = 0, srv_len = 0, extra_at = 0,
           extra_len = 0;
};
struct SrvOut {
  uint16_t weight, port;
  uint32_t target;
  bool operator==(const SrvOut&) const = default;
};
struct ExtraOut {
  uint32_t owner;
  bool v6;
  Addr6 addr;
  bool operator==(const ExtraOut&) const = default;
};
struct PtrOut {
  IpKey ip;
  uint32_t name;
  uint64_t order;
  bool service;
};
struct ExtHostOut {
  IpKey ip;
  bool is_ip;
  uint32_t hostname;
};
struct ExtPortOut {
  uint32_t name, protocol;
  int32_t port;
};

// What a rebuild works in. Kept per thread (the store's writer, the state file's loader):
// a rebuild then allocates only its block. It holds as much as the biggest service needs.
struct Scratch {
  InternedStrings strings;
  std::string tmp;
  std::vector<Rec> recs;
  std::vector<uint32_t> rec_order;   // recs grouped by name, each group in the order it came
  std::vector<uint32_t> name_of_id;  // per string id: its index in `names`, or kNone
  std::vector<uint32_t> name_ids;    // the names with records, in name order
  std::vector<uint32_t> rec_start;   // where each name's recs start in rec_order, and the end
  std::vector<uint32_t> rec_next;    // group_recs' cursor per name
  std::vector<NameOut> names;
  std::vector<Addr4> a4;
  std::vector<Addr6> a6;
  std::vector<SrvOut> srv;
  std::vector<ExtraOut> extra;
  std::vector<PtrOut> ptrs, ext_ptrs;
  std::vector<ExtHostOut> ext_hosts;
  std::vector<ExtPortOut> ext_ports;
  bool has_ext = false, ext_headless = false;
  uint32_t ext_name = kNone;
  uint32_t fixed_name = kNone, fixed_cname = kNone;  // an ExternalName service's CNAME

  void clear() {
    strings.clear();
    recs.clear();
    names.clear();
    a4.clear(), a6.clear(), srv.clear(), extra.clear();
    ptrs.clear(), ext_ptrs.clear(), ext_hosts.clear(), ext_ports.clear();
    has_ext = ext_headless = false;
    ext_name = fixed_name = fixed_cname = kNone;
  }
  // The id of the string in `tmp`.
  uint32_t tmp_id(bool* added = nullptr) { return strings.id(tmp, added); }
};

// "web.default.svc", lower case, into s.tmp.
void base_name(Scratch& s, const BlockInput& in) {
  s.tmp.clear();
  lower_into(s.tmp, in.name);
  s.tmp += '.';
  lower_into(s.tmp, in.ns);
  s.tmp += ".svc";
}

// "_http._tcp.web.default.svc": the SRV name of a named port.
uint32_t srv_name(Scratch& s, const Port& p, uint32_t base) {
  s.tmp.clear();
  s.tmp += '_';
  lower_into(s.tmp, p.name);
  s.tmp += "._";
  lower_into(s.tmp, p.protocol);
  s.tmp += '.';
  s.tmp += s.strings.str(base);
  return s.tmp_id();
}

// The endpoint's name: its hostname, else (endpoint_pod_names) its pod's name, else its
// address with dashes; then the service's name.
uint32_t endpoint_name(Scratch& s, const EndpointGroup& g, const EndpointAddr& a, uint32_t base,
                       bool* added) {
  s.tmp.clear();
  if (a.label_len) {
    s.tmp += g.label(a);
  } else {
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(a.ip.v6 ? AF_INET6 : AF_INET, a.ip.b.data(), buf, sizeof buf);
    s.tmp += buf;
    std::replace(s.tmp.begin(), s.tmp.end(), a.ip.v6 ? ':' : '.', '-');
  }
  s.tmp += '.';
  s.tmp += s.strings.str(base);
  return s.tmp_id(added);
}

// A service with external addresses, or a headless one, has an external view (k8s_external).
void collect_external(const BlockInput& in, Scratch& s) {
  const ServiceObj& svc = *in.svc;
  if (svc.external.empty() && !svc.headless) return;
  s.has_ext = true;
  s.ext_headless = svc.headless;
  s.tmp.clear();
  lower_into(s.tmp, in.name);
  s.tmp += '.';
  lower_into(s.tmp, in.ns);
  s.ext_name = s.tmp_id();
  for (const std::string& h : svc.external) {
    ExtHostOut host{};
    host.is_ip = parse_ip(h, host.ip);
    host.hostname = kNone;
    if (!host.is_ip) {
      s.tmp.assign(h);
      if (h.back() != '.') s.tmp += '.';
      host.hostname = s.tmp_id();
    }
    s.ext_hosts.push_back(host);
  }
  for (const Port& p : *svc.ports) {
    s.tmp.clear();
    lower_into(s.tmp, p.name);
    uint32_t name = s.tmp_id();
    s.tmp.clear();
    lower_into(s.tmp, p.protocol);
    s.ext_ports.push_back({name, s.tmp_id(), p.port});
  }
}

void collect_cluster_ips(const ServiceObj& svc, uint32_t base, Scratch& s, uint64_t order) {
  for (auto& p : *svc.ports) {
    uint32_t named = p.name.empty() ? kNone : srv_name(s, p, base);
    for (auto& ip : svc.cluster_ips) {
      s.recs.push_back({base, ip, p.port, base});
      if (named != kNone) s.recs.push_back({named, ip, p.port, base});
    }
  }
  for (auto& ip : svc.cluster_ips) s.ptrs.push_back({ip, base, order, true});
}

void collect_endpoints(const BlockInput& in, uint32_t base, Scratch& s, uint64_t order) {
  static const std::vector<Port> no_port{Port{}};
  for (auto* set : in.endpoints) {
    const auto& ports = set->ports->empty() ? no_port : *set->ports;
    for (auto& a : set->addrs) {
      if (!a.ready) continue;
      bool fresh = false;
      uint32_t ep = endpoint_name(s, *set, a, base, &fresh);
      for (auto& p : ports) {
        s.recs.push_back({ep, a.ip, p.port, ep});
        if (!in.svc->headless) continue;
        s.recs.push_back({base, a.ip, p.port, ep});
        if (!p.name.empty()) s.recs.push_back({srv_name(s, p, base), a.ip, p.port, ep});
      }
      // A new name cannot have been paired with the address yet.
      bool seen = !fresh && std::any_of(s.ptrs.begin(), s.ptrs.end(), [&](const PtrOut& x) {
        return !x.service && x.name == ep && x.ip == a.ip;
      });
      if (!seen) s.ptrs.push_back({a.ip, ep, ++order, false});
    }
  }
}

bool empty_service(const BlockInput& in) {
  uint32_t ready = 0;
  for (auto* s : in.endpoints) ready += s->ready_any;
  return ready == 0;
}

// Hashes of what a name's runs hold, for UniqueRun.
struct RunHash {
  static size_t bytes(const uint8_t* p, size_t n) {
    return hash_text(std::string_view(reinterpret_cast<const char*>(p), n));
  }
  size_t operator()(const Addr4& a) const { return bytes(a.data(), a.size()); }
  size_t operator()(const Addr6& a) const { return bytes(a.data(), a.size()); }
  size_t operator()(const SrvOut& x) const {
    return (uint64_t{x.target} << 32 | uint64_t{x.port} << 16 | x.weight) * 0x9e3779b97f4a7c15ULL;
  }
  size_t operator()(const ExtraOut& x) const {
    return bytes(x.addr.data(), x.addr.size()) ^ (uint64_t{x.owner} << 1 | x.v6);
  }
};

// Groups the recs by name (s.name_ids, in name order), keeping their order: count, then
// place. s.rec_start gets where each name's recs start in s.rec_order (and one past the last).
void group_recs(Scratch& s) {
  const std::vector<uint32_t>& ids = s.name_ids;
  std::vector<uint32_t>& start = s.rec_start;
  start.assign(ids.size() + 1, 0);
  for (size_t i = 0; i < ids.size(); ++i) s.name_of_id[ids[i]] = static_cast<uint32_t>(i);
  for (auto& r : s.recs) ++start[s.name_of_id[r.name] + 1];
  for (size_t i = 1; i < start.size(); ++i) start[i] += start[i - 1];
  s.rec_order.resize(s.recs.size());
  s.rec_next.assign(start.begin(), start.end() - 1);
  for (uint32_t i = 0; i < s.recs.size(); ++i)
    s.rec_order[s.rec_next[s.name_of_id[s.recs[i].name]]++] = i;
}

// One name's records, from its recs (s.rec_order[from, to)) as CoreDNS makes them: SRV
// weights split over every rec, then duplicates removed.
void finish_name(Scratch& s, uint32_t name, uint32_t from, uint32_t to) {
  NameOut out;
  out.name = name;
  if (name == s.fixed_name) out.cname = s.fixed_cname;
  UniqueRun<Addr4, RunHash> a4(s.a4);
  UniqueRun<Addr6, RunHash> a6(s.a6);
  UniqueRun<SrvOut, RunHash> srv(s.srv);
  UniqueRun<ExtraOut, RunHash> extra(s.extra);
  auto weight = static_cast<uint16_t>(to > from ? 100 / (to - from) : 0);
  for (uint32_t k = from; k < to; ++k) {
    const Rec& r = s.recs[s.rec_order[k]];
    if (!r.ip.v6)
      a4.add(Addr4{r.ip.b[0], r.ip.b[1], r.ip.b[2], r.ip.b[3]});
    else
      a6.add(r.ip.b);
    if (r.port < 0) continue;  // an endpoint set without ports has no SRV data
    srv.add(SrvOut{weight, static_cast<uint16_t>(r.port), r.target});
    extra.add(ExtraOut{r.target, r.ip.v6, r.ip.b});
  }
  out.a4_at = a4.at(), out.a4_len = a4.length();
  out.a6_at = a6.at(), out.a6_len = a6.length();
  out.srv_at = srv.at(), out.srv_len = srv.length();
  out.extra_at = extra.at(), out.extra_len = extra.length();
  s.names.push_back(out);
}

// The names that have records, in name order, each with its records.
void finish_names(Scratch& s) {
  s.name_of_id.assign(s.strings.count(), kNone);
  std::vector<uint32_t>& ids = s.name_ids;
  ids.clear();
  auto add = [&](uint32_t name) {
    if (s.name_of_id[name] != kNone) return;
    s.name_of_id[name] = 0;
    ids.push_back(name);
  };
  if (s.fixed_name != kNone) add(s.fixed_name);
  for (auto& r : s.recs) add(r.name);
  std::sort(ids.begin(), ids.end(),
            [&](uint32_t x, uint32_t y) { return s.strings.str(x) < s.strings.str(y); });
  group_recs(s);
  for (size_t n = 0; n < ids.size(); ++n)
    finish_name(s, ids[n], s.rec_start[n], s.rec_start[n + 1]);
}

// The external addresses' reverse names the service ("svc.ns"), the first time each comes.
void external_ptrs(Scratch& s, uint64_t order) {
  for (auto& h : s.ext_hosts) {
    if (!h.is_ip) continue;
    bool seen = std::any_of(s.ext_ptrs.begin(), s.ext_ptrs.end(),
                            [&](const PtrOut& p) { return p.ip == h.ip; });
    if (!seen) s.ext_ptrs.push_back({h.ip, s.ext_name, order, true});
  }
}

// Copies what the scratch holds into one block.
class Packer {
 public:
  Packer(const Scratch& s, ServiceBlock& b) : s_(s), b_(b) {}

  void fill() {
    const std::string& text = s_.strings.text();
    std::copy(text.begin(), text.end(), const_cast<char*>(b_.arrays.text));
    std::copy(s_.a4.begin(), s_.a4.end(), ServiceBlock::at(b_.a4()));
    std::copy(s_.a6.begin(), s_.a6.end(), ServiceBlock::at(b_.a6()));
    SrvData* srv = ServiceBlock::at(b_.srv());
    for (auto& x : s_.srv) {
      *srv++ = {x.weight, x.port, s_.strings.offset(x.target), text_length(x.target)};
    }
    ExtraData* extra = ServiceBlock::at(b_.extra());
    for (auto& x : s_.extra) {
      *extra++ = {s_.strings.offset(x.owner), text_length(x.owner), x.v6, x.addr};
    }
    NameRecord* names = ServiceBlock::at(b_.names());
    for (auto& n : s_.names) *names++ = record(n);
    ServiceBlock::Ptr* ptr = ServiceBlock::at(b_.ptrs());
    for (auto& p : s_.ptrs) *ptr++ = slot(p);
    ptr = ServiceBlock::at(b_.ext_ptrs());
    for (auto& p : s_.ext_ptrs) *ptr++ = slot(p);
    if (s_.has_ext) fill_external();
  }

 private:
  uint16_t text_length(uint32_t id) const {
    return static_cast<uint16_t>(s_.strings.str(id).size());
  }
  std::string_view view(uint32_t id) const {
    if (id == kNone) return {};
    return {b_.arrays.text + s_.strings.offset(id), s_.strings.str(id).size()};
  }
  PtrSlot slot(const PtrOut& p) const {
    std::string_view v = view(p.name);
    return {PtrEntry{.ip = p.ip, .in_block = true, .count = 1},
            PtrName{v.data(), static_cast<uint32_t>(v.size()), p.service, p.order}};
  }
  NameRecord record(const NameOut& n) const {
    NameRecord r;
    NameData& d = r.data;
    d.block = &b_.arrays;
    d.a_at = n.a4_at, d.a_len = static_cast<uint16_t>(n.a4_len);
    d.aaaa_at = n.a6_at, d.aaaa_len = static_cast<uint16_t>(n.a6_len);
    d.srv_at = n.srv_at, d.srv_len = static_cast<uint16_t>(n.srv_len);
    d.extra_at = n.extra_at, d.extra_len = static_cast<uint16_t>(n.extra_len);
    if (n.cname != kNone) {
      d.cname_at = s_.strings.offset(n.cname);
      d.cname_len = text_length(n.cname);
    }
    r.name_at = s_.strings.offset(n.name);
    r.name_len = text_length(n.name);
    return r;
  }
  void fill_external() {
    ExternalHost* host = ServiceBlock::at(b_.ext_hosts());
    for (auto& h : s_.ext_hosts) {
      ExternalHost out;
      out.ip = h.ip;
      out.is_ip = h.is_ip;
      out.hostname = view(h.hostname);
      *host++ = out;
    }
    ExternalPort* port = ServiceBlock::at(b_.ext_ports());
    for (auto& p : s_.ext_ports) *port++ = {view(p.name), view(p.protocol), p.port};
    *ServiceBlock::at(b_.ext()) = {view(s_.ext_name), s_.ext_headless, b_.ext_hosts(),
                                   b_.ext_ports()};
  }

  const Scratch& s_;
  ServiceBlock& b_;
};

std::unique_ptr<ServiceBlock> pack(Scratch& s, uint64_t seq) {
  finish_names(s);
  external_ptrs(s, seq);
  ServiceBlock::Sizes n;
  n.names = s.names.size(), n.a4 = s.a4.size(), n.a6 = s.a6.size(), n.srv = s.srv.size();
  n.extra = s.extra.size(), n.ptrs = s.ptrs.size(), n.ext = s.has_ext ? 1 : 0;
  n.ext_hosts = s.ext_hosts.size(), n.ext_ports = s.ext_ports.size();
  n.ext_ptrs = s.ext_ptrs.size(), n.text = s.strings.text().size();
  auto b = ServiceBlock::make(n);
  Packer(s, *b).fill();
  return b;
}

Scratch& scratch() {
  thread_local Scratch s;
  s.clear();
  return s;
}

}  // namespace

bool parse_ip(const std::string& text, IpKey& out) {
  out = IpKey{};
  if (inet_pton(AF_INET, text.c_str(), out.b.data()) == 1) return true;
  out.b = {};
  if (inet_pton(AF_INET6, text.c_str(), out.b.data()) != 1) return false;
  out.v6 = true;
  return true;
}

namespace {

// The bytes of a block's arrays: those of 8-byte alignment first, then those of 4, then the
// byte arrays, so that each starts aligned.
size_t array_bytes(const ServiceBlock::Sizes& n) {
  static_assert(sizeof(ServiceBlock) % 8 == 0 && sizeof(NameRecord) % 8 == 0 &&
                sizeof(ServiceBlock::Ptr) % 8 == 0 && sizeof(ExternalRecord) % 8 == 0 &&
                sizeof(ExternalHost) % 8 == 0 && sizeof(ExternalPort) % 8 == 0);
  static_assert(alignof(SrvData) == 4 && sizeof(SrvData) % 4 == 0 && alignof(ExtraData) <= 4 &&
                sizeof(ExtraData) % 4 == 0);
  return sizeof(NameRecord) * n.names + sizeof(ServiceBlock::Ptr) * (n.ptrs + n.ext_ptrs) +
         sizeof(ExternalRecord) * n.ext + sizeof(ExternalHost) * n.ext_hosts +
         sizeof(ExternalPort) * n.ext_ports + sizeof(SrvData) * n.srv +
         sizeof(ExtraData) * n.extra + sizeof(Addr4) * n.a4 + sizeof(Addr6) * n.a6 + n.text;
}

}  // namespace

std::unique_ptr<ServiceBlock> ServiceBlock::make(const Sizes& n) {
  void* mem = ::operator new(sizeof(ServiceBlock) + array_bytes(n));
  return std::unique_ptr<ServiceBlock>(new (mem) ServiceBlock(n));
}

ServiceBlock::ServiceBlock(const Sizes& n) {
  const size_t counts[] = {n.names, n.ptrs,  n.ext_ptrs, n.ext, n.ext_hosts, n.ext_ports,
                           n.srv,   n.extra, n.a4,       n.a6,  n.text};
  for (size_t i = 0; i < std::size(counts); ++i) count_[i] = static_cast<uint32_t>(counts[i]);
  // The 4-byte and byte arrays follow the 8-byte ones (names() to ext_ports()).
  const auto* srv = static_cast<const SrvData*>(end_of(ext_ports()));
  const auto* extra = reinterpret_cast<const ExtraData*>(srv + n.srv);
  const auto* a4 = reinterpret_cast<const Addr4*>(extra + n.extra);
  const auto* a6 = reinterpret_cast<const Addr6*>(a4 + n.a4);
  arrays = {a4, a6, srv, extra, reinterpret_cast<const char*>(a6 + n.a6)};
}

std::unique_ptr<ServiceBlock> build_block(const BlockInput& in) {
  const ServiceObj& svc = *in.svc;
  const IndexOptions& o = *in.options;
  if (!svc.selected) return nullptr;
  Scratch& s = scratch();
  base_name(s, in);
  uint32_t base = s.tmp_id();
  if (!svc.external_name.empty()) {
    // An address in externalName is not a name to point at: CoreDNS leaves it out.
    IpKey ip;
    if (parse_ip(svc.external_name, ip)) return nullptr;
    s.tmp.clear();
    lower_into(s.tmp, svc.external_name);
    if (s.tmp.back() != '.') s.tmp += '.';
    uint32_t cname = s.tmp_id();
    collect_external(in, s);
    s.fixed_name = base;  // the one name, with its CNAME alone
    s.fixed_cname = cname;
    return pack(s, svc.seq);
  }
  collect_external(in, s);
  if (o.ignore_empty_service && !svc.headless && empty_service(in)) {
    // No cluster names; k8s_external still answers for its external addresses (CoreDNS's
    // External() does not look at ignore empty_service).
    return s.has_ext ? pack(s, svc.seq) : nullptr;
  }
  // PTR order: services by the order they came; endpoints after them, in theirs.
  uint64_t order = svc.seq << 20;
  if (!svc.headless) collect_cluster_ips(svc, base, s, order);
  collect_endpoints(in, base, s, order);
  return pack(s, svc.seq);
}

}  // namespace cxxdns::plugins::k8s
