// dnstap: the frames it encodes read back as dnstap.proto says, and its Corefile syntax.
#include <catch2/catch.hpp>

#include "core/plugin/setup.h"
#include "core/plugin/testing.h"
#include "dnstap.pb-c.h"
#include "plugins/dnstap/dnstap.h"
#include "plugins/dnstap/encode.h"

namespace tap = cxxdns::plugins::dnstap;
using cxxdns::testing::ChainTest;

namespace {

// Decodes a frame with protobuf-c's reader (the generated code, not ours).
struct Decoded {
  Dnstap__Dnstap* d = nullptr;
  explicit Decoded(const tap::Frame& f, size_t size)
      : d(dnstap__dnstap__unpack(nullptr, size, f.get())) {}
  ~Decoded() {
    if (d) dnstap__dnstap__free_unpacked(d, nullptr);
  }
  Decoded(const Decoded&) = delete;
  Decoded& operator=(const Decoded&) = delete;
};

std::string text(const ProtobufCBinaryData& b) {
  return {reinterpret_cast<const char*>(b.data), b.len};
}

}  // namespace

TEST_CASE("dnstap: a client query frame reads back with its fields", "[dnstap]") {
  const uint8_t addr[4] = {127, 0, 0, 9};
  const uint8_t wire[5] = {1, 2, 3, 4, 5};
  tap::Event e;
  e.type = tap::MessageType::client_query;
  e.protocol = tap::Protocol::tcp;
  e.client_address = addr;
  e.client_port = 5353;
  e.query_ns = 1700000000123456789ull;
  e.message = wire;
  size_t size = 0;
  tap::Frame f = tap::encode({"host-a", "cxxdns-test", "extra!"}, e, size);
  REQUIRE(f);
  Decoded got(f, size);
  REQUIRE(got.d);
  CHECK(got.d->type == DNSTAP__DNSTAP__TYPE__MESSAGE);
  CHECK(text(got.d->identity) == "host-a");
  CHECK(text(got.d->version) == "cxxdns-test");
  CHECK(text(got.d->extra) == "extra!");
  const Dnstap__Message& m = *got.d->message;
  CHECK(m.type == DNSTAP__MESSAGE__TYPE__CLIENT_QUERY);
  CHECK(m.socket_family == DNSTAP__SOCKET_FAMILY__INET);
  CHECK(m.socket_protocol == DNSTAP__SOCKET_PROTOCOL__TCP);
  CHECK(m.query_address.len == 4);
  CHECK(m.query_address.data[3] == 9);
  CHECK(m.query_port == 5353);
  CHECK(m.query_time_sec == 1700000000u);
  CHECK(m.query_time_nsec == 123456789u);
  CHECK(m.has_query_message);
  CHECK(m.query_message.len == 5);
  CHECK_FALSE(m.has_response_message);
  CHECK_FALSE(m.has_response_time_sec);
}

TEST_CASE("dnstap: an answer frame has both times, no extra when none", "[dnstap]") {
  const uint8_t addr[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  tap::Event e;
  e.type = tap::MessageType::client_response;
  e.client_address = addr;
  e.query_ns = 5'000000001ull;
  e.response_ns = 6'000000002ull;
  size_t size = 0;
  tap::Frame f = tap::encode({"h", "v", ""}, e, size);
  Decoded got(f, size);
  REQUIRE(got.d);
  CHECK_FALSE(got.d->has_extra);
  const Dnstap__Message& m = *got.d->message;
  CHECK(m.type == DNSTAP__MESSAGE__TYPE__CLIENT_RESPONSE);
  CHECK(m.socket_family == DNSTAP__SOCKET_FAMILY__INET6);
  CHECK(m.socket_protocol == DNSTAP__SOCKET_PROTOCOL__UDP);
  CHECK((m.query_time_sec == 5 && m.query_time_nsec == 1));
  CHECK((m.response_time_sec == 6 && m.response_time_nsec == 2));
  CHECK_FALSE(m.has_response_message);  // no wire message given (no `full`)
}

TEST_CASE("dnstap: setup reads endpoints, full and the block", "[dnstap]") {
  ChainTest t(
      ". {\n  dnstap unix:///run/a.sock full {\n    identity id-1\n    version v-1\n"
      "    extra x-1\n    message_types CLIENT_QUERY NOT_A_TYPE\n  }\n"
      "  dnstap tcp://127.0.0.1:6000\n  whoami\n}\n");
  auto& p = dynamic_cast<tap::Dnstap&>(*t.plugin("dnstap"));
  REQUIRE(p.taps().size() == 2);
  const tap::Tap& a = p.taps()[0];
  CHECK(a.endpoint.text() == "unix:///run/a.sock");
  CHECK(a.full);
  CHECK(a.identity.identity == "id-1");
  CHECK(a.identity.version == "v-1");
  CHECK(a.identity.extra == "x-1");
  CHECK(a.wants(tap::MessageType::client_query));
  CHECK_FALSE(a.wants(tap::MessageType::client_response));
  const tap::Tap& b = p.taps()[1];
  CHECK(b.endpoint.text() == "tcp://127.0.0.1:6000");
  CHECK_FALSE(b.full);
  CHECK(b.identity.version == "cxxdns-" CXXDNS_VERSION);
  CHECK(b.wants(tap::MessageType::client_response));
}

TEST_CASE("dnstap: setup errors name the line", "[dnstap]") {
  auto err = [](const std::string& line) {
    return cxxdns::testing::setup_error(". {\n  " + line + "\n  whoami\n}\n");
  };
  CHECK_THAT(err("dnstap"), Catch::Contains("Corefile:2"));
  CHECK_THAT(err("dnstap tls://127.0.0.1:6000"), Catch::Contains("tls:// endpoints"));
  CHECK_THAT(err("dnstap tcp://tap.example:6000"), Catch::Contains("IP:PORT"));
  CHECK_THAT(err("dnstap tcp://127.0.0.1"), Catch::Contains("IP:PORT"));
  CHECK_THAT(err("dnstap /x.sock {\n identity\n }"), Catch::Contains("Corefile:3"));
  CHECK_THAT(err("dnstap /x.sock {\n colour blue\n }"),
             Catch::Contains("unknown property 'colour'"));
  CHECK(err("dnstap /x.sock full 4 2") == "no error");
}
