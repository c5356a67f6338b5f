// DNS over gRPC as CoreDNS speaks it (pb/dns.proto: service coredns.dns.DnsService, method
// Query(DnsPacket) returns (DnsPacket), message DnsPacket { bytes msg = 1; }): the gRPC
// length-prefixed message and the one-field protobuf inside it, both ways. No I/O: the
// HTTP/2 stream is the caller's (the server's listener, the grpc plugin's client).
//
// Why by hand and not libprotobuf or protobuf-c: DnsPacket is a single bytes field, so its
// encoding is a tag byte, a varint and the bytes; a generated message and a library in the
// core for that would be more code to trust than these few bounds-checked lines.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cxxdns::grpc {

inline constexpr std::string_view kQueryPath = "/coredns.dns.DnsService/Query";
inline constexpr std::string_view kContentType = "application/grpc";

// gRPC status codes (grpc/codes) this code uses.
enum class Status : uint8_t {
  ok = 0,
  unknown = 2,
  invalid_argument = 3,
  resource_exhausted = 8,
  unimplemented = 12,
  internal = 13,
};

// A DnsPacket's protobuf encoding of `msg`.
std::vector<uint8_t> encode_packet(std::span<const uint8_t> msg);
// The msg of a DnsPacket (empty when the field is absent, as protobuf's default); nullopt when
// `in` is not a valid encoding (truncated, a bad varint, a wire type that cannot be skipped).
// Other fields are skipped, as a protobuf parser does with unknown fields.
std::optional<std::vector<uint8_t>> decode_packet(std::span<const uint8_t> in);

// One gRPC length-prefixed message (uncompressed): flag 0, 4-byte big-endian length, `payload`.
std::vector<uint8_t> frame(std::span<const uint8_t> payload);

// The single message of a unary call's body, or why there is none (grpc-go's texts).
struct Unframed {
  Status status = Status::ok;
  std::string error;
  std::vector<uint8_t> payload;
};
Unframed unframe(std::span<const uint8_t> body);

// The DNS message a unary Query request body carries: unframe then decode_packet.
Unframed decode_request(std::span<const uint8_t> body);

// True when a content-type names gRPC ("application/grpc", "application/grpc+proto",
// "application/grpc;..."), as grpc-go's check.
bool is_grpc_content_type(std::string_view content_type);

// The value of a grpc-message trailer: percent-encoded as the gRPC HTTP/2 spec asks.
std::string encode_message(std::string_view text);
// The other way, for a client reading a trailer.
std::string decode_message(std::string_view text);

}  // namespace cxxdns::grpc
