#include "core/plugin/registry.h"

namespace cxxdns {

void Registry::add(std::string name, SetupFunction setup) {
  setups_[std::move(name)] = std::move(setup);
}

const SetupFunction* Registry::find(std::string_view name) const {
  auto it = setups_.find(name);
  return it == setups_.end() ? nullptr : &it->second;
}

std::vector<std::string> Registry::names() const {
  std::vector<std::string> out;
  for (auto& [n, _] : setups_) out.push_back(n);
  return out;
}

const Registry& Registry::builtin() {
  static const Registry r = [] {
    Registry reg;
    register_builtin_plugins(reg);
    return reg;
  }();
  return r;
}

}  // namespace cxxdns
