// The plugins built in, by directive name, with their setup functions.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/plugin/plugin.h"

namespace cxxdns {

class SetupContext;

// Turns every occurrence of a directive in one server block into a plugin instance.
// Returns nullptr for directives that only configure the server (bind). Errors throw
// (SetupContext::error).
using SetupFunction = std::function<std::unique_ptr<Plugin>(SetupContext&)>;

class Registry {
 public:
  void add(std::string name, SetupFunction setup);
  const SetupFunction* find(std::string_view name) const;
  std::vector<std::string> names() const;

  // Every plugin built into this binary (registered by the generated builtin list).
  static const Registry& builtin();

 private:
  std::map<std::string, SetupFunction, std::less<>> setups_;
};

void register_builtin_plugins(Registry& r);

}  // namespace cxxdns
