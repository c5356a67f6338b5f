#include "plugins/pkg/resolv_conf.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/dns/name.h"

namespace cxxdns::pkg {

bool read_search_list(const std::string& path, std::vector<std::string>& search,
                      std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "open " + path + ": " + std::strerror(errno);
    return false;
  }
  search.clear();
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key;
    if (!(words >> key) || key[0] == '#' || key[0] == ';') continue;
    if (key != "search" && key != "domain") continue;
    std::vector<std::string> list;
    for (std::string d; words >> d;) {
      if (d[0] == '#' || d[0] == ';') break;
      list.push_back(dns::canonical(d));
      if (key == "domain") break;
    }
    if (!list.empty()) search = std::move(list);
  }
  return true;
}

}  // namespace cxxdns::pkg
