// tls: the certificate of tls:// and https:// blocks, as CoreDNS's tls plugin takes it.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <string>

#include "core/plugin/config.h"
#include "core/plugin/testing.h"

using cxxdns::ListenerTransport;
using cxxdns::testing::ChainTest;
using cxxdns::testing::setup_error;

namespace {

// A self-signed certificate and its key, written to a directory of their own.
struct Certificate {
  std::filesystem::path dir;
  std::string cert, key;

  Certificate() {
    dir =
        std::filesystem::temp_directory_path() / ("cxxdns-tls-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    cert = (dir / "cert.pem").string();
    key = (dir / "key.pem").string();
    EVP_PKEY* pkey = EVP_EC_gen("P-256");
    X509* x = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, pkey);
    X509_NAME* n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("dns.example"), -1, -1, 0);
    X509_set_issuer_name(x, n);
    X509_sign(x, pkey, EVP_sha256());
    FILE* f = std::fopen(cert.c_str(), "w");
    PEM_write_X509(f, x);
    std::fclose(f);
    f = std::fopen(key.c_str(), "w");
    PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    X509_free(x);
    EVP_PKEY_free(pkey);
  }
  ~Certificate() { std::filesystem::remove_all(dir); }
};

const Certificate& certificate() {
  static Certificate c;
  return c;
}

std::string tls_line(const std::string& rest = "") {
  return "tls " + certificate().cert + " " + certificate().key + rest;
}

}  // namespace

TEST_CASE("tls: a tls:// block gets a TLS context with ALPN dot", "[tls]") {
  ChainTest t("tls://.:8853 {\n  " + tls_line() + "\n  whoami\n}\n");
  REQUIRE(t.config().listeners.size() == 1);
  const auto& l = t.config().listeners[0];
  CHECK(l.transport == ListenerTransport::tls);
  CHECK(l.port == 8853);
  REQUIRE(l.security);
  SSL_CTX* ctx = l.security->server_context(ListenerTransport::tls);
  REQUIRE(ctx);
  CHECK(SSL_CTX_get_min_proto_version(ctx) == TLS1_2_VERSION);
  CHECK(SSL_CTX_get_verify_mode(ctx) == SSL_VERIFY_NONE);
  CHECK(l.security->server_context(ListenerTransport::https) != ctx);
}

TEST_CASE("tls: client_auth sets what a client must show", "[tls]") {
  auto mode = [](const std::string& auth) {
    ChainTest t("tls://.:8853 {\n  " + tls_line(" {\n    client_auth " + auth + "\n  }") +
                "\n  whoami\n}\n");
    return SSL_CTX_get_verify_mode(
        t.config().listeners[0].security->server_context(ListenerTransport::tls));
  };
  CHECK(mode("nocert") == SSL_VERIFY_NONE);
  CHECK(mode("request") == SSL_VERIFY_PEER);
  CHECK(mode("require") == (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT));
  CHECK(mode("verify_if_given") == SSL_VERIFY_PEER);
  CHECK(mode("require_and_verify") == (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT));
}

TEST_CASE("tls: default ports and plain listeners", "[tls]") {
  ChainTest t("tls://. https://. {\n  whoami\n}\n. {\n  " + tls_line() + "\n  whoami\n}\n");
  REQUIRE(t.config().listeners.size() == 3);
  for (const auto& l : t.config().listeners) {
    if (l.transport == ListenerTransport::tls) CHECK(l.port == 853);
    if (l.transport == ListenerTransport::https) CHECK(l.port == 443);
    if (l.transport == ListenerTransport::dns) CHECK(l.port == 53);
    // tls:// and https:// without the plugin are served in the clear, as CoreDNS does; a
    // dns:// block has no use for TLS.
    CHECK_FALSE(l.security);
  }
}

TEST_CASE("tls: errors name the line", "[tls]") {
  auto err = [](const std::string& line) {
    return setup_error("tls://.:8853 {\n  " + line + "\n  whoami\n}\n");
  };
  CHECK_THAT(err("tls /nonexistent/cert.pem /nonexistent/key.pem"),
             Catch::Contains("Corefile:2") && Catch::Contains("could not load TLS cert") &&
                 Catch::Contains("/nonexistent/cert.pem"));
  CHECK_THAT(err("tls " + certificate().cert + " /nonexistent/key.pem"),
             Catch::Contains("Corefile:2") && Catch::Contains("could not load TLS key"));
  CHECK_THAT(err(tls_line(" /nonexistent/ca.pem")),
             Catch::Contains("Corefile:2") && Catch::Contains("could not read root certs"));
  CHECK_THAT(err("tls cert.pem"), Catch::Contains("Wrong argument count"));
  CHECK_THAT(err(tls_line(" {\n client_auth maybe\n }")),
             Catch::Contains("Corefile:3") && Catch::Contains("unknown authentication type"));
  CHECK_THAT(err(tls_line(" {\n client_auth\n }")), Catch::Contains("Wrong argument count"));
  CHECK_THAT(err(tls_line(" {\n ciphers x\n }")), Catch::Contains("unknown option 'ciphers'"));
  CHECK_THAT(err(tls_line(" {\n keylog\n }")), Catch::Contains("Wrong argument count"));
  CHECK_THAT(err(tls_line(" {\n keylog /nonexistent/dir/keys\n }")),
             Catch::Contains("could not open the keylog file '/nonexistent/dir/keys'"));
}

TEST_CASE("tls: one port speaks one transport", "[tls]") {
  CHECK_THROWS_WITH(ChainTest(".:8853 {\n  whoami\n}\ntls://example.org:8853 {\n  whoami\n}\n"),
                    Catch::Contains("Corefile:4") && Catch::Contains("already dns://"));
}
