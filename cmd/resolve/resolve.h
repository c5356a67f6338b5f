// `cxxdns resolve`: resolves a name as stub resolvers do (search list, ndots; A and AAAA as
// getaddrinfo asks) and shows every query glibc sends, what the application gets, and what
// musl and Go would return when they differ (stubs.h), so the path to a wrong answer can be
// seen.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cmd/resolve/stubs.h"

namespace cxxdns::resolve {

// Reads resolv.conf syntax: nameserver (the first), search/domain, options ndots:N.
StubConfig parse_resolv_conf(const std::string& text);

// The names glibc's res_nsearch tries when each gets NXDOMAIN, in order: with fewer than
// ndots dots the search list first and the name as given last; otherwise the name first.
// A trailing dot: only the name.
std::vector<std::string> candidates(const std::string& name, const StubConfig& c);

// One name glibc asked, with its answers merged as glibc reads them.
struct Attempt {
  std::string name;
  std::string rcode;                 // A's, or AAAA's when A's is NOERROR; "NOERROR" with records
  std::vector<std::string> answers;  // presentation lines, A's then AAAA's
  std::vector<std::string> steps;    // the explain TXT strings, with --trace
  std::vector<Reply> replies;        // each type's own
  double ms = 0;
};

struct Outcome {
  std::vector<Attempt> attempts;  // glibc's, in its order
  int chosen = -1;                // the attempt the application gets; -1: an error
  std::vector<StubResult> stubs;  // glibc, musl, Go
};

// Asks as glibc (and musl and Go) would, through the server of `c`. `qtype` 0: an address
// lookup (A and AAAA); else that type alone.
Outcome run(const std::string& name, uint16_t qtype, const StubConfig& c, bool trace);

// The command line: returns the process exit code.
int main(int argc, char** argv);

}  // namespace cxxdns::resolve
