// dns64: synthesizes AAAA records from A records (RFC 6147) for AAAA queries the plugins after
// it answer without any AAAA, as CoreDNS's dns64: the A records are asked through the rest of
// the chain and embedded in the configured IPv6 prefix (RFC 6052).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/metrics/metrics.h"
#include "core/plugin/context.h"
#include "plugins/pkg/ip.h"
#include "plugins/pkg/server_label.h"

namespace cxxdns::plugins {

struct Dns64Config {
  pkg::IpPrefix prefix;        // an IPv6 prefix of length 32, 40, 48, 56, 64 or 96
  bool translate_all = false;  // synthesize even when the answer has AAAA records
  bool allow_ipv4 = false;     // synthesize for clients that asked over IPv4 too
  pkg::ServerLabels labels;
};

// The default prefix, the well-known 64:ff9b::/96 (RFC 6052 2.1).
pkg::IpPrefix dns64_well_known_prefix();

// `v4` embedded in `prefix` as RFC 6052 2.2 lays it out: the prefix's bytes, then the IPv4
// address's, skipping bits 64-71 (the "u" octet, always zero); zero after them.
std::array<uint8_t, 16> embed_ipv4(const pkg::IpPrefix& prefix, std::span<const uint8_t, 4> v4);

// Builds the synthesized answer to `q` into `out`: the answer section of `a_answer` (the
// answer to the A query) with each A record turned into an AAAA record (TTL capped by
// `soa_ttl`) and any other record as it is, its authority and additional sections unchanged
// (the OPT aside). False when `a_answer` does not read.
bool synthesize_aaaa(const dns::QueryView& q, std::span<const uint8_t> a_answer,
                     const pkg::IpPrefix& prefix, uint32_t soa_ttl, std::vector<uint8_t>& out);

class Dns64 final : public Plugin {
 public:
  explicit Dns64(Dns64Config cfg);
  std::string_view name() const override { return "dns64"; }
  Verdict serve(QueryContext& ctx) override;

  const Dns64Config& config() const { return cfg_; }

 private:
  struct Lookup;
  bool eligible(const QueryContext& ctx) const;
  void aaaa_answered(const std::shared_ptr<Lookup>& l, QueryContext& answered);
  void a_answered(const std::shared_ptr<Lookup>& l, QueryContext& answered);
  bool needs_synthesis(QueryContext& answered) const;

  Dns64Config cfg_;
  metrics::CounterFamily& translated_;
};

}  // namespace cxxdns::plugins
