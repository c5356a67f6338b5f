// The optional ADDRESS argument of the plugins that serve HTTP (health, ready, prometheus):
// host:port as Go writes it, checked at setup so a bad one is a Corefile error.
#pragma once

#include <string>

#include "core/corefile/corefile.h"
#include "core/plugin/setup.h"

namespace cxxdns::http {

// The directive's single argument, or `fallback` without one; more arguments, or an address
// without a usable port, are errors at the token.
std::string address_arg(const SetupContext& sc, const corefile::Directive& d,
                        const std::string& fallback);

}  // namespace cxxdns::http
