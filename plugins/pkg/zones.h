// A plugin's zones in one form: lower-case wire names, matched against the query's name in
// place (no text), the longest zone first (CoreDNS's plugin.Zones.Matches).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/dns/name.h"

namespace cxxdns::pkg {

class Zones {
 public:
  Zones() = default;
  // Canonical zone names ("example.org.", "10.in-addr.arpa.", "."); bad names are skipped
  // (setup has checked them).
  explicit Zones(const std::vector<std::string>& zones);

  // The index of the longest zone holding `qname` (lower-case), or -1.
  int match(const dns::Name& qname) const;
  // Whether a zone holds `qname`: at once when one of them is the root (most blocks are).
  bool contains(const dns::Name& qname) const { return has_root_ || match(qname) >= 0; }
  // The same for a lower-case name in text ("www.example.org."), for names not from a query.
  int match(std::string_view qname) const;

  size_t size() const { return names_.size(); }
  bool empty() const { return names_.empty(); }
  const dns::Name& name(int i) const { return names_[static_cast<size_t>(i)]; }
  const std::string& text(int i) const { return texts_[static_cast<size_t>(i)]; }
  const std::vector<std::string>& texts() const { return texts_; }

 private:
  std::vector<dns::Name> names_;  // longest first
  std::vector<std::string> texts_;
  bool has_root_ = false;
};

}  // namespace cxxdns::pkg
