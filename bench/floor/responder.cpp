// floor responder: answers every well-formed IN A query with `NAME 300 IN A 10.0.0.1` (what
// the bench upstream answers), anything else with FORMERR or not at all. One thread blocks in
// recvmmsg (MSG_WAITFORONE, so no poll or epoll call either) and answers each batch with one
// sendmmsg: the cheapest way through the socket API, and the same answer bytes as a cache
// hit of the other servers. Usage: cxxdns_floor_responder PORT
#include "bench/floor/floor.h"

namespace {

using namespace floor_ref;

constexpr size_t kHeader = 12;
constexpr uint8_t kAnswer[] = {0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
                               0x01, 0x2c, 0x00, 0x04, 10,   0,    0,    1};

// The end of the question (offset after QCLASS), or 0 when the query is malformed.
size_t question_end(const uint8_t* m, size_t len) {
  size_t off = kHeader;
  while (off < len && m[off] != 0) {
    if (m[off] > 63) return 0;  // no compression in a question we answer
    off += 1 + m[off];
  }
  if (off + 5 > len) return 0;
  return off + 5;
}

// Turns the query in `m` into its answer in place; returns its length (0: drop it).
size_t answer(uint8_t* m, size_t len) {
  if (len < kHeader || (m[2] & 0x80)) return 0;  // too short, or a response
  const uint8_t rd = m[2] & 0x01;
  size_t end = get16(m + 4) == 1 ? question_end(m, len) : 0;
  m[2] = static_cast<uint8_t>(0x80 | rd);  // QR, opcode QUERY, RD as asked
  m[3] = 0x80;                             // RA, NOERROR
  put16(m + 6, 0);
  put16(m + 8, 0);
  put16(m + 10, 0);
  if (end == 0) {
    m[3] |= 1;  // FORMERR, header only
    put16(m + 4, 0);
    return kHeader;
  }
  if (get16(m + end - 4) != 1 || get16(m + end - 2) != 1 || end + sizeof kAnswer > kMaxDatagram)
    return end;  // not IN A: NOERROR, no data
  std::memcpy(m + end, kAnswer, sizeof kAnswer);
  put16(m + 6, 1);
  return end + sizeof kAnswer;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s PORT\n", argv[0]);
    return 2;
  }
  int fd = udp_socket(static_cast<uint16_t>(std::atoi(argv[1])));
  static Batch b;
  for (;;) {
    b.arm();
    int n = recvmmsg(fd, b.msgs, kBatch, MSG_WAITFORONE, nullptr);
    if (n <= 0) continue;
    int out = 0;
    for (int i = 0; i < n; ++i) {
      size_t len =
          (b.msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ? 0 : answer(b.bufs[i], b.msgs[i].msg_len);
      if (len == 0) continue;
      b.iov[i].iov_len = len;
      b.msgs[out] = b.msgs[i];  // keeps its iovec and address
      ++out;
    }
    if (out > 0) sendmmsg(fd, b.msgs, out, 0);
  }
}
