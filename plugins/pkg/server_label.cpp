#include "plugins/pkg/server_label.h"

#include <algorithm>

#include "core/plugin/setup.h"

namespace cxxdns::pkg {

namespace {

// "[::1]" for an IPv6 bind address, as a URL writes it; "" when the block binds all.
std::string bind_host(SetupContext& sc) {
  std::string host = sc.bind_addresses().empty() ? "" : sc.bind_addresses().front();
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return host;
}

}  // namespace

std::string first_server_label(SetupContext& sc) {
  const auto& keys = sc.block().keys;
  if (keys.empty()) return "dns://" + bind_host(sc) + ":53";
  return keys.front().transport + "://" + bind_host(sc) + ":" +
         std::to_string(keys.front().port.value_or(53));
}

ServerLabels::ServerLabels(SetupContext& sc) {
  const std::string host = bind_host(sc);
  for (const auto& k : sc.block().keys) {
    Key key;
    if (!dns::from_text(k.zone, key.zone)) continue;
    key.zone.to_lower();
    key.label = k.transport + "://" + host + ":" + std::to_string(k.port.value_or(53));
    keys_.push_back(std::move(key));
  }
  std::stable_sort(keys_.begin(), keys_.end(),
                   [](const Key& a, const Key& b) { return a.zone.len > b.zone.len; });
  if (!keys_.empty()) fallback_ = keys_.back().label;
}

size_t ServerLabels::index(const dns::Name& qname) const {
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (dns::is_subdomain(qname, keys_[i].zone)) return i;
  }
  return keys_.size();
}

}  // namespace cxxdns::pkg
