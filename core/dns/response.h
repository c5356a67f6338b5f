// What the server does to every answer before it leaves: EDNS matched to the query, and
// truncation to what the client can take.
#pragma once

#include <cstdint>
#include <vector>

#include "core/dns/message.h"
#include "core/dns/shape.h"

namespace cxxdns::dns {

// Returns the rcode of a response (with the extended bits of an OPT, when present).
uint16_t response_rcode(std::span<const uint8_t> msg);

// Truncates `msg` at a record boundary so it fits `max_size`, keeping any OPT record, and
// sets TC when any other record had to go (as miekg/dns's Msg.Truncate, which CoreDNS uses).
// Returns false when the message cannot be walked.
bool truncate_to(std::vector<uint8_t>& msg, size_t max_size);

// Makes `msg` a proper answer to `q`, by its `shape` (read from `msg`): the query's ID, QR set, an
// OPT mirroring the client's size and DO bit when the query had one (and none when it had none),
// then truncation to the client's UDP size (or 65535 on TCP). A message that cannot be walked is
// replaced by a SERVFAIL built from the query. Returns true when records moved (the shape no longer
// describes `msg`).
bool finalize_response(std::vector<uint8_t>& msg, AnswerShape& shape, const QueryView& q, bool udp);
// The same for a message whose shape is not known yet.
inline void finalize_response(std::vector<uint8_t>& msg, const QueryView& q, bool udp) {
  AnswerShape shape;
  read_shape(msg, shape);
  finalize_response(msg, shape, q, udp);
}

// Writes a bare answer to `q` with `rcode` (question copied, OPT when the query had one).
void write_rcode_reply(std::vector<uint8_t>& out, const QueryView& q, uint8_t rcode);

}  // namespace cxxdns::dns
