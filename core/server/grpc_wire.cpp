#include "core/server/grpc_wire.h"

#include <cctype>
#include <cstdio>

namespace cxxdns::grpc {

namespace {

// A DNS message is at most 64 KiB; a DnsPacket or gRPC message much larger is refused.
constexpr size_t kMaxMessage = 65535 + 16;
constexpr uint8_t kMsgTag = 0x0a;  // field 1, wire type 2 (length-delimited)

void put_varint(std::vector<uint8_t>& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}

// Reads a varint at `pos`; false when it is truncated or longer than 10 bytes.
bool get_varint(std::span<const uint8_t> in, size_t& pos, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (pos >= in.size()) return false;
    const uint8_t b = in[pos++];
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

// Skips the value of a field of `wire_type` at `pos`; false when it cannot be.
bool skip_field(std::span<const uint8_t> in, size_t& pos, uint64_t wire_type) {
  uint64_t v = 0;
  switch (wire_type) {
    case 0:
      return get_varint(in, pos, v);
    case 1:
      if (in.size() - pos < 8) return false;
      pos += 8;
      return true;
    case 2:
      if (!get_varint(in, pos, v) || v > in.size() - pos) return false;
      pos += static_cast<size_t>(v);
      return true;
    case 5:
      if (in.size() - pos < 4) return false;
      pos += 4;
      return true;
    default:  // groups (3, 4) are not in proto3, 6 and 7 do not exist
      return false;
  }
}

Unframed fail(Status s, std::string text) {
  Unframed u;
  u.status = s;
  u.error = std::move(text);
  return u;
}

}  // namespace

std::vector<uint8_t> encode_packet(std::span<const uint8_t> msg) {
  std::vector<uint8_t> out;
  out.reserve(msg.size() + 4);
  if (msg.empty()) return out;  // proto3: a default (empty) bytes field is not written
  out.push_back(kMsgTag);
  put_varint(out, msg.size());
  out.insert(out.end(), msg.begin(), msg.end());
  return out;
}

std::optional<std::vector<uint8_t>> decode_packet(std::span<const uint8_t> in) {
  std::vector<uint8_t> msg;
  size_t pos = 0;
  while (pos < in.size()) {
    uint64_t key = 0;
    if (!get_varint(in, pos, key) || (key >> 3) == 0) return std::nullopt;
    if (key != kMsgTag) {
      if (!skip_field(in, pos, key & 7)) return std::nullopt;
      continue;
    }
    uint64_t len = 0;
    if (!get_varint(in, pos, len) || len > in.size() - pos) return std::nullopt;
    // A field seen twice: the last one wins, as protobuf's rule for scalars.
    msg.assign(in.begin() + static_cast<ptrdiff_t>(pos),
               in.begin() + static_cast<ptrdiff_t>(pos + len));
    pos += static_cast<size_t>(len);
  }
  return msg;
}

std::vector<uint8_t> frame(std::span<const uint8_t> payload) {
  std::vector<uint8_t> out;
  out.reserve(payload.size() + 5);
  const auto n = static_cast<uint32_t>(payload.size());
  out.push_back(0);
  out.push_back(static_cast<uint8_t>(n >> 24));
  out.push_back(static_cast<uint8_t>(n >> 16));
  out.push_back(static_cast<uint8_t>(n >> 8));
  out.push_back(static_cast<uint8_t>(n));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

Unframed unframe(std::span<const uint8_t> body) {
  if (body.size() < 5) {
    return fail(Status::unimplemented,
                body.empty() ? "grpc: no request message" : "grpc: truncated message header");
  }
  if (body[0] == 1) {
    return fail(Status::unimplemented, "grpc: compressed message, and no compressor is set");
  }
  if (body[0] != 0) {
    return fail(Status::internal, "grpc: received unexpected payload format " +
                                      std::to_string(static_cast<int>(body[0])));
  }
  const uint32_t len = (uint32_t{body[1]} << 24) | (uint32_t{body[2]} << 16) |
                       (uint32_t{body[3]} << 8) | uint32_t{body[4]};
  if (len > kMaxMessage) {
    return fail(Status::resource_exhausted, "grpc: received message larger than max (" +
                                                std::to_string(len) + " vs. " +
                                                std::to_string(kMaxMessage) + ")");
  }
  if (body.size() - 5 < len) return fail(Status::internal, "grpc: truncated message");
  // A unary call carries exactly one message.
  if (body.size() - 5 > len) return fail(Status::unimplemented, "grpc: more than one request");
  Unframed u;
  u.payload.assign(body.begin() + 5, body.begin() + 5 + static_cast<ptrdiff_t>(len));
  return u;
}

Unframed decode_request(std::span<const uint8_t> body) {
  Unframed u = unframe(body);
  if (u.status != Status::ok) return u;
  auto msg = decode_packet(u.payload);
  if (!msg) {
    return fail(Status::internal,
                "grpc: error unmarshalling request: proto: cannot parse "
                "invalid wire-format data");
  }
  u.payload = std::move(*msg);
  return u;
}

bool is_grpc_content_type(std::string_view ct) {
  constexpr std::string_view kBase = kContentType;
  if (ct.size() < kBase.size()) return false;
  for (size_t i = 0; i < kBase.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(ct[i])) != kBase[i]) return false;
  }
  return ct.size() == kBase.size() || ct[kBase.size()] == '+' || ct[kBase.size()] == ';';
}

std::string encode_message(std::string_view text) {
  std::string out;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c <= 0x7e && c != '%') {
      out += ch;
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string decode_message(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace cxxdns::grpc
