#include "plugins/forward/answer_check.h"

#include "core/dns/message.h"

namespace cxxdns::plugins::forward {

const char* answer_fault(std::span<const uint8_t> answer, uint16_t query_flags,
                         dns::AnswerShape& shape) {
  if (!dns::read_shape(answer, shape)) return "malformed answer";
  if (shape.bad_opt) return "malformed answer: an OPT outside the additional section or two";
  if (shape.has_opt && answer[shape.opt_begin] != 0) {
    return "malformed answer: an OPT not owned by the root";
  }
  if (((shape.hdr.flags ^ query_flags) & dns::flag::OPCODE_MASK) != 0) {
    return "malformed answer: another opcode than the query's";
  }
  return nullptr;
}

}  // namespace cxxdns::plugins::forward
