// The answers of one query from a Store, as CoreDNS's plugin/backend_lookup.go builds them
// for etcd: A/AAAA (following CNAMEs inside the zone), TXT, CNAME, PTR, MX, SRV, NS and SOA
// at the apex, NXDOMAIN when the name has no key at all, NODATA (with the SOA) otherwise.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/etcd/store.h"
#include "plugins/pkg/ip.h"

namespace cxxdns::plugins::etcd {

// One record of an answer, in the form it is written from.
struct Rr {
  std::string owner;
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::string target;  // CNAME, PTR, NS, MX and SRV targets; SOA's primary server
  pkg::IpAddress ip;   // A, AAAA
  std::string text;    // TXT; SOA's mailbox
  uint16_t priority = 0, weight = 0, port = 0;  // SRV; priority is MX's preference
  uint32_t serial = 0;                          // SOA
};

struct Answer {
  uint8_t rcode = 0;
  std::vector<Rr> answer, authority, extra;
  std::string error;  // for SERVFAIL: why
};

class Lookup {
 public:
  // `zone`: the plugin zone holding the query name ("example.org."); `serial`: the SOA's
  // (CoreDNS: the time of the answer).
  Lookup(const Store& store, std::string prefix, std::string zone, uint32_t serial);

  // The answer to `qname` (lower case) `qtype`; `owner` is the name as the client wrote it.
  Answer answer(const std::string& qname, const std::string& owner, uint16_t qtype);
  // The SOA of the zone.
  Rr soa() const;

 private:
  enum class Status : uint8_t { ok, name_error, failure };

  Status services(const std::string& name, bool exact, uint16_t qtype, std::vector<Service>& out);
  Status apex_or_services(const std::string& name, uint16_t qtype, std::vector<Service>& out);
  Status address(const std::string& name, const std::string& owner, uint16_t qtype, bool v6,
                 std::vector<Rr>& previous, std::vector<Rr>& out);
  bool follow_cname(const Service& s, const std::string& name, const std::string& owner,
                    uint16_t qtype, bool v6, std::vector<Rr>& previous, std::vector<Rr>& out);
  Status txt(const std::string& name, const std::string& owner, std::vector<Rr>& previous,
             std::vector<Rr>& out);
  Status srv(const std::string& name, const std::string& owner, Answer& a);
  Status mx(const std::string& name, const std::string& owner, Answer& a);
  Status cname(const std::string& name, const std::string& owner, uint16_t qtype, Answer& a);
  Status ns(const std::string& owner, Answer& a);
  // The A records of an in-zone target, for the additional section.
  void glue(const std::string& target, std::vector<Rr>& extra);
  Answer finish(Status st, Answer a);

  const Store& store_;
  std::string prefix_;
  std::string zone_;
  uint32_t serial_;
  std::string error_;
};

}  // namespace cxxdns::plugins::etcd
