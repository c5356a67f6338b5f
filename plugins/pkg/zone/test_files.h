// For the tests of the zone plugins (file, secondary, transfer): a temporary folder that
// goes away with the test, and the zone most of them serve.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace cxxdns::pkg::zone::testing {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/cxxdns-zone-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `text` to `name` in the folder (replacing it); returns the full path.
  std::string write(const std::string& name, const std::string& text) const {
    const auto p = path / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::trunc) << text;
    return p.string();
  }
};

// A zone with a name of every kind a lookup tells apart. The RRSIGs and NSECs carry made-up
// signatures: the zone is served as stored, nothing checks them.
inline std::string example_zone(unsigned serial = 2024010101) {
  return "$ORIGIN example.org.\n"
         "$TTL 3600\n"
         "@        IN SOA ns1 hostmaster ( " +
         std::to_string(serial) +
         " 7200 3600 1209600 300 )\n"
         "         IN NS  ns1\n"
         "         IN NS  ns2.example.net.\n"
         "         IN MX  10 mail\n"
         "ns1      IN A   192.0.2.1\n"
         "mail     IN A   192.0.2.25\n"
         "mail     IN AAAA 2001:db8::25\n"
         "www  300 IN A   192.0.2.80\n"
         "www      IN AAAA 2001:db8::80\n"
         "www      IN TXT \"v=spf1 -all\" \"second string\"\n"
         "alias    IN CNAME www\n"
         "chain    IN CNAME alias\n"
         "loop1    IN CNAME loop2\n"
         "loop2    IN CNAME loop1\n"
         "ext      IN CNAME www.example.net.\n"
         "*.wild   IN TXT \"wildcard\"\n"
         "*.wild   IN A   192.0.2.99\n"
         "*.wc     IN CNAME www\n"
         "a.b.ent  IN A   192.0.2.9\n"
         "sub      IN NS  ns.sub\n"
         "sub      IN NS  ns.other.net.\n"
         "sub      IN DS  12345 13 2 "
         "8A9E3C5D2B1F0E9D8C7B6A5F4E3D2C1B0A9F8E7D6C5B4A3F2E1D0C9B8A7F6E5D\n"
         "ns.sub   IN A   192.0.2.53\n"
         "_sip._tcp IN SRV 10 60 5060 mail\n"
         "d        IN DNAME target.example.org.\n"
         "x.target IN A   192.0.2.77\n"
         "caa      IN CAA 0 issue \"letsencrypt.org\"\n"
         "sshfp    IN SSHFP 1 1 123456789abcdef67890123456789abcdef67890\n"
         "ptr      IN PTR www\n";
}

}  // namespace cxxdns::pkg::zone::testing
