#include "plugins/pkg/zones.h"

#include <algorithm>

namespace cxxdns::pkg {

Zones::Zones(const std::vector<std::string>& zones) {
  std::vector<std::pair<dns::Name, std::string>> all;
  for (const std::string& z : zones) {
    dns::Name n;
    if (!dns::from_text(z, n)) continue;
    n.to_lower();
    all.emplace_back(n, z);
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const auto& a, const auto& b) { return a.first.len > b.first.len; });
  for (auto& [n, t] : all) {
    has_root_ = has_root_ || n.len == 1;
    names_.push_back(n);
    texts_.push_back(std::move(t));
  }
}

int Zones::match(const dns::Name& qname) const {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (dns::is_subdomain(qname, names_[i])) return static_cast<int>(i);
  }
  return -1;
}

int Zones::match(std::string_view qname) const {
  for (size_t i = 0; i < texts_.size(); ++i) {
    if (dns::is_subdomain(qname, texts_[i])) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace cxxdns::pkg
