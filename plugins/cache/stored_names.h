// The names of an answer the cache stores. A hit writes the asker's spelling of the name over
// the stored question (0x20-randomizing resolvers check it), so every name that reads the
// question's bytes through a compression pointer would take the asker's case as well. Only
// the question and owner names equal to it may: an answer's other names keep the case they
// were stored with, as CoreDNS's cache keeps them. An answer whose names read the question
// otherwise is stored rewritten, so that a hit stays a copy and one memcpy.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/dns/message.h"
#include "core/dns/shape.h"

namespace cxxdns::plugins::cache {

// Whether `msg` (an answer whose one question is q's, `shape` its shape) must be rewritten
// before it is stored: a name other than an owner equal to the question reads the question's
// name through a pointer, or an owner equal to the question is spelled out.
bool names_need_rewrite(std::span<const uint8_t> msg, const dns::AnswerShape& shape,
                        const dns::QueryView& q);

// Writes `msg` into `out` with its question as it was, owner names equal to the question as
// pointers to it, and every other name written out or compressed against names after the
// question. False (out unspecified) when a record does not read.
bool rewrite_names(std::span<const uint8_t> msg, const dns::AnswerShape& shape,
                   const dns::QueryView& q, std::vector<uint8_t>& out);

}  // namespace cxxdns::plugins::cache
