// What k8s_external answers a name with, as CoreDNS's k8s_external builds its records from
// the services kubernetes gives (msg_to_dns.go): planned first, as a list of steps, so that the
// records a host name needs (its CNAME target's addresses, through the whole chain, as CoreDNS's
// upstream lookups) are asked before the answer is written in CoreDNS's order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/dns/message.h"
#include "core/dns/name.h"
#include "core/dns/writer.h"
#include "core/plugin/pending.h"
#include "plugins/pkg/external.h"

namespace cxxdns::plugins {

struct Step {
  enum Kind : uint8_t { a, aaaa, cname, srv, ptr, lookup } kind = a;
  dns::Section section = dns::Section::answer;
  uint32_t ttl = 0;
  dns::Name owner;                // records of the additional section; the query name otherwise
  dns::Name target;               // cname, srv, ptr; the name a lookup asks
  pkg::IpAddress ip;              // a, aaaa
  uint16_t weight = 0, port = 0;  // srv
  uint16_t qtype = 0;             // lookup
  std::vector<uint8_t> response;  // lookup: the answer it got
};

struct Plan {
  std::vector<Step> steps;  // answer section first, then additional
  bool has_lookups = false;
  // Filled when the plan runs.
  PendingQuery pending;
  size_t pos = 0;
  int zone = 0;
  std::vector<uint8_t> wire;
};

// CoreDNS's a() / aaaa(): an address record a service (once each), a host name's CNAME then
// its addresses looked up. `ttl` is k8s_external's; CNAMEs get the service's own.
void plan_addresses(const std::vector<pkg::ExternalService>& svcs, bool v6, uint32_t ttl,
                    Plan& plan);
// CoreDNS's srv(): one SRV record a service with a port (once per target and port), weights
// shared out per priority, the targets' addresses in the additional section. `zone` is the
// external zone the services' targets are named in.
void plan_srv(const std::vector<pkg::ExternalService>& svcs, const std::string& zone, uint32_t ttl,
              Plan& plan);
// CoreDNS's ptr(): one PTR record a service, to SERVICE.NAMESPACE.`first_zone`.
void plan_ptr(const std::vector<std::string>& services, const std::string& first_zone, uint32_t ttl,
              Plan& plan);

// The records of `plan` after the question `q` (already written into `w`). Sets TC when an
// address lookup was truncated. False when a looked-up answer does not walk.
bool write_plan(const Plan& plan, const dns::QueryView& q, dns::MessageWriter& w);

}  // namespace cxxdns::plugins
