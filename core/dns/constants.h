// DNS numbers used across the core and the plugins (RFC 1035, 2671, 6891, 3596, 2782).
#pragma once

#include <cstdint>

namespace cxxdns::dns {

namespace type {
constexpr uint16_t A = 1, NS = 2, CNAME = 5, SOA = 6, PTR = 12, MX = 15, TXT = 16, AAAA = 28,
                   SRV = 33, OPT = 41, ANY = 255, HINFO = 13;
}
namespace opcode {  // the header's OPCODE (RFC 1035, 1996)
constexpr uint8_t QUERY = 0, NOTIFY = 4;
}
namespace cls {
constexpr uint16_t IN = 1, CH = 3, ANY = 255;
}
namespace rcode {
constexpr uint8_t NOERROR = 0, FORMERR = 1, SERVFAIL = 2, NXDOMAIN = 3, NOTIMP = 4, REFUSED = 5;
}
namespace flag {  // bits of the 16-bit header flags word
constexpr uint16_t QR = 0x8000, AA = 0x0400, TC = 0x0200, RD = 0x0100, RA = 0x0080, Z = 0x0040,
                   AD = 0x0020, CD = 0x0010;
constexpr uint16_t OPCODE_MASK = 0x7800, RCODE_MASK = 0x000f;
}  // namespace flag

constexpr int kHeaderSize = 12;
constexpr int kMaxNameWire = 255;
constexpr uint16_t kMinUdpSize = 512;
// The largest UDP payload IPv4 can carry (65,535 less the IP and UDP headers). A client may
// announce up to 65,535 in EDNS; an answer between the two could not be sent at all, so
// answers are truncated to this whatever the client announced.
constexpr uint16_t kMaxUdpPayload = 65507;
// What we advertise in our own OPT records: the DNS flag day 2020 size.
constexpr uint16_t kDefaultEdnsSize = 1232;
constexpr uint16_t kEdnsDoBit = 0x8000;

}  // namespace cxxdns::dns
