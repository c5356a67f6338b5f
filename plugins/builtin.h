// The plugins built into this binary, in plugin.cfg's order (the definition is generated).
#pragma once

#include "core/plugin/registry.h"

namespace cxxdns::plugins {

const Registry& builtin();

}  // namespace cxxdns::plugins
