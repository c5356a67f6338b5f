// DNS over gRPC's wire: the DnsPacket protobuf and gRPC's length-prefixed message, strictly.
#include <catch2/catch.hpp>

#include <string>

#include "core/server/grpc_wire.h"

using namespace cxxdns;

namespace {

std::vector<uint8_t> bytes(std::initializer_list<int> b) {
  std::vector<uint8_t> out;
  for (int x : b) out.push_back(static_cast<uint8_t>(x));
  return out;
}

}  // namespace

TEST_CASE("grpc: a DnsPacket is field 1, length-delimited", "[grpc]") {
  CHECK(grpc::encode_packet(bytes({1, 2, 3})) == bytes({0x0a, 3, 1, 2, 3}));
  CHECK(grpc::encode_packet({}).empty());  // proto3 leaves a default field out
  std::vector<uint8_t> big(300, 7);
  auto enc = grpc::encode_packet(big);
  REQUIRE(enc.size() == 303);
  CHECK(enc[0] == 0x0a);
  CHECK(enc[1] == 0xac);  // 300 as a varint: 0xac 0x02
  CHECK(enc[2] == 0x02);
  CHECK(grpc::decode_packet(enc) == big);
}

TEST_CASE("grpc: decoding a DnsPacket checks every bound", "[grpc]") {
  CHECK(grpc::decode_packet({}) == std::vector<uint8_t>{});     // the field absent: empty
  CHECK_FALSE(grpc::decode_packet(bytes({0x0a})));              // no length
  CHECK_FALSE(grpc::decode_packet(bytes({0x0a, 4, 1, 2, 3})));  // shorter than its length
  CHECK_FALSE(grpc::decode_packet(bytes({0x0a, 0x80})));        // truncated varint
  CHECK_FALSE(grpc::decode_packet(
      bytes({0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})));
  CHECK_FALSE(grpc::decode_packet(bytes({0x00, 0x00})));  // field number 0
  CHECK_FALSE(grpc::decode_packet(bytes({0x0b})));        // a group: not proto3
  // Unknown fields are skipped; the last msg wins.
  CHECK(grpc::decode_packet(bytes({0x10, 0x96, 0x01, 0x0a, 1, 9, 0x1d, 1, 2, 3, 4})) == bytes({9}));
  CHECK(grpc::decode_packet(bytes({0x0a, 1, 8, 0x0a, 2, 5, 6})) == bytes({5, 6}));
  CHECK_FALSE(grpc::decode_packet(bytes({0x1d, 1, 2})));  // fixed32 cut short
}

TEST_CASE("grpc: one length-prefixed message per call", "[grpc]") {
  auto f = grpc::frame(bytes({0x0a, 1, 42}));
  CHECK(f == bytes({0, 0, 0, 0, 3, 0x0a, 1, 42}));
  auto u = grpc::decode_request(f);
  CHECK(u.status == grpc::Status::ok);
  CHECK(u.payload == bytes({42}));

  CHECK(grpc::unframe({}).status == grpc::Status::unimplemented);
  CHECK(grpc::unframe(bytes({0, 0, 0})).status == grpc::Status::unimplemented);
  // Compressed, though no grpc-encoding was agreed; a flag that is neither 0 nor 1.
  CHECK(grpc::unframe(bytes({1, 0, 0, 0, 0})).status == grpc::Status::unimplemented);
  CHECK(grpc::unframe(bytes({2, 0, 0, 0, 0})).status == grpc::Status::internal);
  // Shorter than its length; two messages in a unary call.
  CHECK(grpc::unframe(bytes({0, 0, 0, 0, 4, 1, 2})).status == grpc::Status::internal);
  CHECK(grpc::unframe(bytes({0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0})).status ==
        grpc::Status::unimplemented);
  // A length no DNS message has.
  auto huge = grpc::unframe(bytes({0, 0x7f, 0xff, 0xff, 0xff}));
  CHECK(huge.status == grpc::Status::resource_exhausted);
  CHECK(huge.error.find("larger than max") != std::string::npos);
  // A good frame around a bad protobuf.
  auto bad = grpc::decode_request(bytes({0, 0, 0, 0, 2, 0x0a, 5}));
  CHECK(bad.status == grpc::Status::internal);
  CHECK(bad.error.find("unmarshal") != std::string::npos);
}

TEST_CASE("grpc: content types and status messages", "[grpc]") {
  CHECK(grpc::is_grpc_content_type("application/grpc"));
  CHECK(grpc::is_grpc_content_type("application/grpc+proto"));
  CHECK(grpc::is_grpc_content_type("Application/GRPC;charset=utf-8"));
  CHECK_FALSE(grpc::is_grpc_content_type("application/grpcx"));
  CHECK_FALSE(grpc::is_grpc_content_type("application/dns-message"));
  CHECK_FALSE(grpc::is_grpc_content_type(""));
  CHECK(grpc::encode_message("no 100% \xc3\xa9") == "no 100%25 %C3%A9");
  CHECK(grpc::decode_message("no 100%25 %C3%A9") == "no 100% \xc3\xa9");
  CHECK(grpc::decode_message("bad %zz %4") == "bad %zz %4");
}
