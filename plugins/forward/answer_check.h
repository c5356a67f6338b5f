// What forward checks in an upstream's answer, beyond its ID and question (Exchange::matches):
// that a client can read it. An answer that does not walk, has an OPT outside the additional
// section or a second one, an OPT whose owner is not the root, or another opcode than the
// query's would be passed on to clients whose parsers reject it; forward takes it as a failed
// try instead (CoreDNS's exchange fails when miekg/dns cannot unpack the answer).
#pragma once

#include <cstdint>
#include <span>

#include "core/dns/shape.h"

namespace cxxdns::plugins::forward {

// Null when `answer` is fit to pass on (its shape is then in `shape`), else why not.
// `query_flags`: the flags word of the query it answers.
const char* answer_fault(std::span<const uint8_t> answer, uint16_t query_flags,
                         dns::AnswerShape& shape);

}  // namespace cxxdns::plugins::forward
