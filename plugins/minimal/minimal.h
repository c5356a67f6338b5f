// minimal: drops the authority and additional sections of positive answers, as CoreDNS's
// minimal (BIND's minimal-responses).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/dns/shape.h"
#include "core/plugin/context.h"

namespace cxxdns::plugins {

class Minimal final : public Plugin, public ReplyHook {
 public:
  std::string_view name() const override { return "minimal"; }
  Verdict serve(QueryContext& ctx) override;
  void on_reply(QueryContext& ctx, uint64_t cookie) override;
};

// Whether an answer is one CoreDNS's minimal reduces: NOERROR that is neither NODATA (SOA in
// the authority section) nor a delegation (NS there), and, for a query with DO, with no
// RRSIG out of its validity period at `now` (unix seconds).
bool minimizable(std::span<const uint8_t> msg, const dns::AnswerShape& shape, uint16_t qtype,
                 int64_t now);

// Keeps the header, the question, the answer section and the OPT record of `msg`; drops
// the rest of the authority and additional sections. False when `msg` does not walk.
bool strip_to_answer(std::vector<uint8_t>& msg, const dns::AnswerShape& shape);

}  // namespace cxxdns::plugins
