// chaos: answers TXT queries in the CH class for the server's version, authors and host
// name (version.bind, authors.bind, hostname.bind, id.server...), as CoreDNS's chaos.
#pragma once

#include <string>
#include <vector>

#include "core/plugin/context.h"

namespace cxxdns::plugins {

class Chaos final : public Plugin {
 public:
  Chaos(std::string version, std::vector<std::string> authors, std::string hostname)
      : version_(std::move(version)),
        authors_(std::move(authors)),
        hostname_(std::move(hostname)) {}
  std::string_view name() const override { return "chaos"; }
  Verdict serve(QueryContext& ctx) override;

  const std::string& version() const { return version_; }
  const std::vector<std::string>& authors() const { return authors_; }

 private:
  Verdict answer(QueryContext& ctx, const std::vector<const std::string*>& texts) const;

  std::string version_;
  std::vector<std::string> authors_;
  std::string hostname_;  // read once at setup: the host's name, or "localhost"
};

// What TXT strings hold: at most 255 bytes (CoreDNS trims longer ones there too).
std::string trim255(std::string s);

}  // namespace cxxdns::plugins
