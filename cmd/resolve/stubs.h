// How three stub resolvers walk the search list over the same answers: glibc (what most
// containers and hosts run), musl (Alpine) and Go's own resolver. Each model is the decision
// logic of that library's source (glibc 2.36 resolv/res_query.c __res_context_search,
// musl 1.2 src/network/lookup_name.c, Go 1.20 net/dnsclient_unix.go), applied to answers
// an Asker gets once per name, so the three can be compared without asking three times.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cxxdns::resolve {

// One query's answer as a stub sees it.
struct Reply {
  uint16_t qtype = 0;
  std::string rcode;                 // "NOERROR", "NXDOMAIN", "SERVFAIL", "REFUSED", "TIMEOUT"
  std::vector<std::string> answers;  // the answer section, presentation lines
  int ancount = 0;                   // records in the answer section
  int addresses = 0;                 // records of the asked type among them
  bool truncated = false;            // the UDP answer had TC: it was asked again over TCP
  int udp_addresses = 0;             // addresses in the UDP answer (no TCP fallback: musl)
  std::vector<std::string> steps;    // the explain plugin's path, with --trace
  double ms = 0;
};

// The answers to one name: A then AAAA as getaddrinfo asks, or the one type asked.
struct Lookup {
  std::string name;
  std::vector<Reply> replies;
};

class Asker {
 public:
  virtual ~Asker() = default;
  // The answers for `fqdn` (asked once, then remembered).
  virtual const Lookup& ask(const std::string& fqdn) = 0;
};

struct StubConfig {
  std::vector<std::string> search;  // domains, without trailing dots
  int ndots = 1;
  std::string server = "127.0.0.1";
  uint16_t port = 53;
};

// What an application using that stub gets.
struct StubResult {
  std::string stub;                // "glibc", "musl", "Go"
  std::vector<std::string> asked;  // names, in the order the stub asks them
  int chosen = -1;                 // index into `asked` of the answer returned; -1: an error
  bool found = false;              // addresses (or, for one type, records) came back
  std::string error;               // else what the application gets instead
};

// `addresses`: an address lookup (getaddrinfo: A and AAAA); else one type (res_search).
StubResult glibc_lookup(const std::string& name, const StubConfig& c, Asker& asker, bool addresses);
StubResult musl_lookup(const std::string& name, const StubConfig& c, Asker& asker, bool addresses);
StubResult go_lookup(const std::string& name, const StubConfig& c, Asker& asker, bool addresses);

// Dots in a name, and whether it ends with one.
int dots_in(const std::string& name);

}  // namespace cxxdns::resolve
