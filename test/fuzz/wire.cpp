// (a) The wire view on arbitrary bytes: parse_query, walk_records, and what the server
// does to every answer (finalize_response, truncate_to, write_rcode_reply).
//
// Input: [len:2][query bytes: len][response bytes: rest]. The query part is also used
// alone, so plain packets from the corpus exercise parse_query directly.
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "common.h"
#include "core/dns/message.h"
#include "core/dns/response.h"

using namespace cxxdns::dns;

namespace {

// A finalized answer must walk, carry the query's ID and fit the client.
void check_final(const std::vector<uint8_t>& msg, const QueryView& q, bool udp) {
  if (msg.size() < kHeaderSize) std::abort();
  if (get16(msg.data()) != q.hdr.id) std::abort();
  if (!walk_records(msg, [](const RecordRef&) { return true; })) {
    for (uint8_t b : msg) std::fprintf(stderr, "%02x", b);
    std::fprintf(stderr, " <- finalized answer does not walk\n");
    std::abort();
  }
  if (udp && msg.size() > q.udp_size()) {
    // Truncation keeps the header, the question(s) and the OPT; only an answer whose
    // question section alone is too large may stay over the limit, with TC and no records.
    Header h = Header::read(msg.data());
    if (!(h.flags & flag::TC) && h.ancount + h.nscount + h.arcount > 0) std::abort();
    if (h.ancount || h.nscount || h.arcount > 1) std::abort();
  }
}

void exercise(std::span<const uint8_t> query, std::span<const uint8_t> resp) {
  QueryView q;
  QueryCheck c = parse_query(query, q);
  (void)response_rcode(query);
  (void)walk_records(query, [](const RecordRef&) { return true; });
  if (c != QueryCheck::ok) return;
  for (bool udp : {true, false}) {
    std::vector<uint8_t> r(resp.begin(), resp.end());
    finalize_response(r, q, udp);
    check_final(r, q, udp);
    std::vector<uint8_t> self(query.begin(), query.end());
    finalize_response(self, q, udp);
    check_final(self, q, udp);
  }
  std::vector<uint8_t> out;
  write_rcode_reply(out, q, rcode::SERVFAIL);
  check_final(out, q, false);
  // A message that walks must still walk after truncation (one that fits is left alone,
  // walkable or not).
  const bool walks = walk_records(resp, [](const RecordRef&) { return true; });
  for (size_t limit : {size_t(0), size_t(12), size_t(512), resp.size() / 2}) {
    std::vector<uint8_t> r(resp.begin(), resp.end());
    bool ok = truncate_to(r, limit);
    if (walks && (!ok || !walk_records(r, [](const RecordRef&) { return true; }))) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet_stdout();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> all(data, size);
  exercise(all, all);
  if (size >= 2) {
    size_t len = std::min<size_t>(get16(data), size - 2);
    exercise(all.subspan(2, len), all.subspan(2 + len));
  }
  return 0;
}
