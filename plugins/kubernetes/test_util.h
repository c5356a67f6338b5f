// Helpers shared by the kubernetes unit tests: a private copy of the fixture with a known
// modification time (the SOA serial), and RR-set comparison.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace k8stest {

constexpr long kSerial = 1700000000;

inline std::string read_file(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A temp directory for one test, removed at the end.
struct TempState {
  std::string dir, path;
  explicit TempState(const std::string& text = read_file(std::string(CXXDNS_TEST_DATA) +
                                                         "/k8s/cluster.json")) {
    char tmpl[] = "/tmp/cxxdns-k8s-XXXXXX";
    dir = mkdtemp(tmpl);
    path = dir + "/cluster.json";
    write(text, kSerial);
  }
  ~TempState() {
    ::unlink(path.c_str());
    ::rmdir(dir.c_str());
  }
  // Writes `text` with modification time `mtime` (seconds).
  void write(const std::string& text, long mtime) const {
    std::string tmp = path + ".tmp";
    { std::ofstream(tmp) << text; }
    timespec ts[2] = {{mtime, 0}, {mtime, 0}};
    utimensat(AT_FDCWD, tmp.c_str(), ts, 0);
    ::rename(tmp.c_str(), path.c_str());
  }
};

inline std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

inline std::string soa(const std::string& zone = "cluster.local.", int ttl = 5, int minttl = 5) {
  return zone + "\t" + std::to_string(ttl) + "\tIN\tSOA\tns.dns." + zone + " hostmaster." + zone +
         " " + std::to_string(kSerial) + " 7200 1800 86400 " + std::to_string(minttl);
}

}  // namespace k8stest
