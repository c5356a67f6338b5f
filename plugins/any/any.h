// any: answers ANY queries with a short HINFO record (RFC 8482), as CoreDNS's any.
#pragma once

#include "core/plugin/context.h"

namespace cxxdns::plugins {

class Any final : public Plugin {
 public:
  std::string_view name() const override { return "any"; }
  Verdict serve(QueryContext& ctx) override;
};

}  // namespace cxxdns::plugins
