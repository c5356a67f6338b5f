// Copies records from one message into another that is being written, their names read
// whole: the copy does not depend on where the source message compressed its names against,
// so a plugin can build an answer from parts of another one (autopath answers one name with
// the records of another; a question of another length moves every compression target).
#pragma once

#include <span>

#include "core/dns/message.h"
#include "core/dns/writer.h"

namespace cxxdns::dns {

// Appends record `r` of `msg` to the writer's current section. The names in its data are
// read through their pointers for the types whose names rdata_layout() knows (RFC 1035's,
// RFC 3597's, DNAME, KX), and written compressed only for RFC 1035's; any other data is
// copied as it is. `owner` replaces the record's owner when given. False when a name does not read
// (the writer then holds part of a record: give up on the message).
bool copy_record(std::span<const uint8_t> msg, const RecordRef& r, MessageWriter& w,
                 const Name* owner = nullptr);

}  // namespace cxxdns::dns
