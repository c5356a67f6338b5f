#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/corefile/corefile.h"

using namespace cxxdns::corefile;

namespace {

Token key(const std::string& text, int line = 7) {
  return Token{.text = text, .file = "Corefile", .line = line};
}

ServerKey one(const std::string& text) {
  auto keys = normalize_key(key(text));
  REQUIRE(keys.size() == 1);
  return keys[0];
}

std::vector<std::string> zones(const std::string& text) {
  std::vector<std::string> out;
  for (const ServerKey& k : normalize_key(key(text))) out.push_back(k.zone);
  return out;
}

std::string key_error(const std::string& text) {
  try {
    normalize_key(key(text));
  } catch (const ParseError& e) {
    return e.what();
  }
  return "<no error>";
}

}  // namespace

TEST_CASE("keys: plain zones become lower-case FQDNs", "[corefile][keys]") {
  CHECK(one(".").zone == ".");
  CHECK(one("example.org").zone == "example.org.");
  CHECK(one("example.org.").zone == "example.org.");
  CHECK(one("Example.ORG").zone == "example.org.");
  CHECK(one("*.example.org").zone == "*.example.org.");
  auto k = one("example.org");
  CHECK(k.transport == "dns");
  CHECK_FALSE(k.port.has_value());
  CHECK(k.token.text == "example.org");
  CHECK(k.token.line == 7);
}

TEST_CASE("keys: ports", "[corefile][keys]") {
  auto k = one("example.org:1053");
  CHECK(k.zone == "example.org.");
  CHECK(k.port == uint16_t{1053});
  CHECK(one(".:53").zone == ".");
  CHECK(one(".:53").port == uint16_t{53});
  // No zone but a port: the root.
  CHECK(one(":53").zone == ".");
  CHECK(one(":53").port == uint16_t{53});
  CHECK(one("example.org:65535").port == uint16_t{65535});
  CHECK(one("example.org:0").port == uint16_t{0});
}

TEST_CASE("keys: schemes", "[corefile][keys]") {
  auto k = one("dns://example.org:53");
  CHECK(k.transport == "dns");
  CHECK(k.zone == "example.org.");
  CHECK(k.port == uint16_t{53});
  CHECK(one("dns://.").zone == ".");
  CHECK_FALSE(one("dns://.").port.has_value());
  CHECK(one("tls://example.org").transport == "tls");
  CHECK_FALSE(one("tls://example.org").port.has_value());
  CHECK(one("grpc://.:8053").transport == "grpc");
  CHECK(one("https://.").transport == "https");
  CHECK(one("quic://.").transport == "quic");
  CHECK(one("https3://.").transport == "https3");
  CHECK(one("TLS://Example.org").transport == "tls");
  CHECK(one("dns://:1053").zone == ".");
}

TEST_CASE("keys: octet-aligned IPv4 CIDRs give one reverse zone", "[corefile][keys]") {
  CHECK(zones("10.0.0.0/8") == std::vector<std::string>{"10.in-addr.arpa."});
  CHECK(zones("192.168.1.0/24") == std::vector<std::string>{"1.168.192.in-addr.arpa."});
  CHECK(zones("172.16.0.0/16") == std::vector<std::string>{"16.172.in-addr.arpa."});
  CHECK(zones("192.168.1.7/32") == std::vector<std::string>{"7.1.168.192.in-addr.arpa."});
  CHECK(zones("0.0.0.0/0") == std::vector<std::string>{"in-addr.arpa."});
  // Host bits are masked off, as net.ParseCIDR does.
  CHECK(zones("10.1.2.3/8") == std::vector<std::string>{"10.in-addr.arpa."});
}

TEST_CASE("keys: other IPv4 prefixes expand to the covering zones", "[corefile][keys]") {
  CHECK(zones("10.0.0.0/15") ==
        std::vector<std::string>{"0.10.in-addr.arpa.", "1.10.in-addr.arpa."});
  CHECK(zones("192.168.0.0/22") ==
        std::vector<std::string>{"0.168.192.in-addr.arpa.", "1.168.192.in-addr.arpa.",
                                 "2.168.192.in-addr.arpa.", "3.168.192.in-addr.arpa."});
  CHECK(zones("10.0.0.0/9").size() == 128);
  CHECK(zones("10.0.0.0/9").back() == "127.10.in-addr.arpa.");
  CHECK(zones("192.168.1.128/25") == [] {
    std::vector<std::string> v;
    for (int i = 128; i < 256; ++i) v.push_back(std::to_string(i) + ".1.168.192.in-addr.arpa.");
    return v;
  }());
}

TEST_CASE("keys: IPv6 CIDRs give nibble zones", "[corefile][keys]") {
  CHECK(zones("fd00::/64") ==
        std::vector<std::string>{"0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa."});
  CHECK(zones("2001:db8::/32") == std::vector<std::string>{"8.b.d.0.1.0.0.2.ip6.arpa."});
  CHECK(zones("fd00::/7") == std::vector<std::string>{"c.f.ip6.arpa.", "d.f.ip6.arpa."});
  CHECK(zones("2001:db8::/30") ==
        std::vector<std::string>{"8.b.d.0.1.0.0.2.ip6.arpa.", "9.b.d.0.1.0.0.2.ip6.arpa.",
                                 "a.b.d.0.1.0.0.2.ip6.arpa.", "b.b.d.0.1.0.0.2.ip6.arpa."});
  auto k = normalize_key(key("dns://fd00::/64:1053"));
  REQUIRE(k.size() == 1);
  CHECK(k[0].port == uint16_t{1053});
  CHECK(k[0].zone == "0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.");
}

TEST_CASE("keys: CIDR expansion keeps transport, port and token", "[corefile][keys]") {
  auto keys = normalize_key(key("tls://10.0.0.0/15:853"));
  REQUIRE(keys.size() == 2);
  for (const ServerKey& k : keys) {
    CHECK(k.transport == "tls");
    CHECK(k.port == uint16_t{853});
    CHECK(k.token.text == "tls://10.0.0.0/15:853");
  }
}

TEST_CASE("keys: a slash that is not a CIDR is part of the name", "[corefile][keys]") {
  // RFC 2317 classless delegation zones.
  CHECK(zones("0/26.2.0.192.in-addr.arpa") ==
        std::vector<std::string>{"0/26.2.0.192.in-addr.arpa."});
}

TEST_CASE("keys: errors name the key's file and line", "[corefile][keys]") {
  const std::string at = "Corefile:7 - Error during parsing: ";
  CHECK(key_error("") == at + "empty server block key");
  CHECK(key_error("example.org:abc") == at + "invalid port \"abc\" in \"example.org:abc\"");
  CHECK(key_error("example.org:65536") == at + "invalid port \"65536\" in \"example.org:65536\"");
  CHECK(key_error("example.org:1234567") ==
        at + "invalid port \"1234567\" in \"example.org:1234567\"");
  CHECK(key_error("example.org:") == at + "expecting data after last colon: \"example.org:\"");
  CHECK(key_error("foo://example.org") == at + "unknown scheme \"foo\" in \"foo://example.org\"");
  CHECK(key_error("dns://") == at + "missing zone in \"dns://\"");
  CHECK(key_error("10.0.0.0/33") == at + "invalid CIDR 10.0.0.0/33");
  CHECK(key_error("fd00::/129") == at + "invalid CIDR fd00::/129");
  CHECK(key_error("10.0.0.0/x") == at + "invalid CIDR 10.0.0.0/x");
  CHECK(key_error("[::1]") == at + "zone is not a valid domain name: [::1]");
  CHECK(key_error("[::1]:53") == at + "zone is not a valid domain name: [::1]:53");
  CHECK(key_error("fd00::1") == at + "zone is not a valid domain name: fd00::1");
  CHECK(key_error("dns://::1:53") == at + "zone is not a valid domain name: ::1:53");
  CHECK(key_error("a.org,b.org") == at + "zone is not a valid domain name: a.org,b.org");
  CHECK(key_error("example.org{") == at + "zone is not a valid domain name: example.org{");
  CHECK(key_error("a..b") == at + "zone is not a valid domain name: a..b");
  CHECK(key_error("..") == at + "zone is not a valid domain name: ..");
  CHECK(key_error(std::string(64, 'a') + ".org") ==
        at + "zone is not a valid domain name: " + std::string(64, 'a') + ".org");
  std::string longname;
  for (int i = 0; i < 32; ++i) longname += "abcdefg.";
  CHECK(key_error(longname) == at + "specified zone is too long: 256 > 255");
}
