// whoami: answers every query with the client's address and port, as CoreDNS's whoami.
#pragma once

#include "core/plugin/context.h"

namespace cxxdns::plugins {

class Whoami final : public Plugin {
 public:
  std::string_view name() const override { return "whoami"; }
  Verdict serve(QueryContext& ctx) override;
};

}  // namespace cxxdns::plugins
