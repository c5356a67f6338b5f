// The `server` label of CoreDNS's per-plugin metrics (metrics.WithServer): "dns://ADDR:PORT"
// of the server a query came in on ("tls://", "https://" for those), "dns://:53" when the
// block binds every address.
#pragma once

#include <string>
#include <vector>

#include "core/dns/name.h"

namespace cxxdns {
class SetupContext;
}

namespace cxxdns::pkg {

// The label of the block's first key ("tls://127.0.0.1:853"), for plugins that label all of a
// block's metrics alike (cache, autopath).
std::string first_server_label(SetupContext& sc);

class ServerLabels {
 public:
  ServerLabels() = default;
  // From the block's keys (their ports) and its first bind address, as the prometheus
  // plugin labels the block's requests; bind's setup has run by then (it comes first).
  explicit ServerLabels(SetupContext& sc);

  // The label of the key whose zone holds `qname` (lower-case), longest first.
  const std::string& of(const dns::Name& qname) const { return label(index(qname)); }
  // The same as a small number (for per-label caches), and its label.
  size_t index(const dns::Name& qname) const;
  const std::string& label(size_t i) const { return i < keys_.size() ? keys_[i].label : fallback_; }

 private:
  struct Key {
    dns::Name zone;
    std::string label;
  };
  std::vector<Key> keys_;  // longest zone first
  std::string fallback_ = "dns://:53";
};

}  // namespace cxxdns::pkg
