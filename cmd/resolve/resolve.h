// `cxxdns resolve`: resolves a name as a glibc stub resolver does (search list, ndots) and
// shows every query it sends, so the path to a wrong answer can be seen.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cxxdns::resolve {

struct StubConfig {
  std::vector<std::string> search;  // domains, without trailing dots
  int ndots = 1;
  std::string server = "127.0.0.1";
  uint16_t port = 53;
};

// Reads resolv.conf syntax: nameserver (the first), search/domain, options ndots:N.
StubConfig parse_resolv_conf(const std::string& text);

// The names glibc's res_nsearch tries, in order: with fewer than ndots dots the search list
// first and the name as given last; otherwise the name first. A trailing dot: only the name.
std::vector<std::string> candidates(const std::string& name, const StubConfig& c);

struct Attempt {
  std::string name;
  std::string rcode;                 // "NOERROR", "NXDOMAIN", "TIMEOUT"
  std::vector<std::string> answers;  // presentation lines
  std::vector<std::string> steps;    // the explain TXT strings, with --trace
  double ms = 0;
};

struct Outcome {
  std::vector<Attempt> attempts;
  int chosen = -1;  // the attempt the application gets, as glibc picks it; -1: none
};

// Sends the queries (UDP, TCP when truncated) and applies glibc's rules: the first answer
// with records wins; NXDOMAIN goes on; NODATA goes on and is returned when nothing better comes.
Outcome run(const std::string& name, uint16_t qtype, const StubConfig& c, bool trace);

// The command line: returns the process exit code.
int main(int argc, char** argv);

}  // namespace cxxdns::resolve
