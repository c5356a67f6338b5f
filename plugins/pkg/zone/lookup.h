// The answer to a query from one zone, as CoreDNS's file plugin gives it (plugin/file's
// Lookup): the exact name, a CNAME chain followed inside the zone, a wildcard, a DNAME, a
// delegation with its glue, NXDOMAIN or NODATA with the SOA, and with DO the RRSIGs, NSECs
// and DSes the zone holds, served as they are stored.
//
// lookup() only decides: it returns a Plan, a short list of the RRsets to write in each
// section (no record is copied and nothing allocated); write_*() then copy the stored wire
// records into the answer, compressing names.
#pragma once

#include <cstdint>

#include "core/dns/message.h"
#include "core/dns/writer.h"
#include "plugins/pkg/zone/zone.h"

namespace cxxdns::pkg::zone {

// One RRset to write; owned by the query name when it is a wildcard's.
struct Piece {
  const Node* node = nullptr;
  const RRset* set = nullptr;
  bool as_qname = false;
  bool synth = false;  // the CNAME a DNAME makes (Plan::synth_*), not a stored set
};

struct Plan {
  enum Result : uint8_t { success, nodata, nxdomain, delegation, servfail };
  Result result = success;

  static constexpr int kMaxAnswer = 32, kMaxAuthority = 8;
  Piece answer[kMaxAnswer];
  int answers = 0;
  Piece authority[kMaxAuthority];
  int authorities = 0;

  // The additional section: the addresses of the in-zone names an RRset points at (glue for
  // NS, targets of MX and SRV).
  const Node* extra_node = nullptr;
  const RRset* extra_set = nullptr;
  bool extra_glue = false;  // NS glue: only names below the NS owner (in bailiwick)

  // A DNAME's CNAME: owner the query name, pointing at `synth_target`.
  dns::Name synth_target;
  uint32_t synth_ttl = 0;

  // The CNAME chain left the zone (or points at a name it does not hold): the records of
  // `external_target` come from a lookup through the server (CoreDNS's upstream), written
  // after the answer pieces.
  bool external = false;
  dns::Name external_target;

  uint8_t rcode() const { return result == nxdomain ? 3 : result == servfail ? 2 : 0; }
  bool authoritative() const { return result != delegation; }
};

// `qname` lower-case; `do_bit`: the query's DO.
Plan lookup(const ZoneData& z, const dns::Name& qname, uint16_t qtype, bool do_bit);

// The answer section of `plan` (q.qname, as the client wrote it, owns the query name's
// records).
void write_answer(dns::MessageWriter& w, const ZoneData& z, const Plan& plan,
                  const dns::QueryView& q);
// The authority and additional sections.
void write_rest(dns::MessageWriter& w, const ZoneData& z, const Plan& plan, const dns::QueryView& q,
                bool do_bit);

}  // namespace cxxdns::pkg::zone
