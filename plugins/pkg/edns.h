// EDNS0 options (RFC 6891 6.1.2): reading one from a query's OPT record, and setting one in
// an answer's (nsid; CoreDNS's plugins do both through miekg/dns's OPT type).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/dns/shape.h"
#include "core/plugin/context.h"

namespace cxxdns::pkg {

// The data of the first option `code` in the query's OPT record; nullopt when the query
// has no OPT or no such option.
std::optional<std::span<const uint8_t>> query_option(const QueryContext& ctx, uint16_t code);

// Sets option `code` to `data` in the OPT record of `msg` (whose shape is `shape`): the
// first option with that code gets the data, or the option is added after the others. A
// message without OPT gets one with `udp_size` and `do_bit`. Records after the OPT (a TSIG)
// are written again with their names whole, so nothing they point at moves under them.
// False when `msg` does not walk or would grow past 65535 bytes; it is then unchanged.
bool set_answer_option(std::vector<uint8_t>& msg, const dns::AnswerShape& shape, uint16_t code,
                       std::span<const uint8_t> data, uint16_t udp_size, bool do_bit);

}  // namespace cxxdns::pkg
