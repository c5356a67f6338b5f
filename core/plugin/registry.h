// The plugins a binary knows, by directive name, in chain order, with their setup functions.
// The core names no plugin: the builtin list is generated from plugin.cfg into the plugins
// library, which main() installs as the default.
#pragma once

#include <functional>
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
  // Adds `name` after every plugin added so far: its place in every chain.
  void add(std::string name, SetupFunction setup);
  // Adds `name` right after `anchor` in the order (a test's stand-in behind the plugin under
  // test); at the end when there is no `anchor`.
  void add_after(std::string_view anchor, std::string name, SetupFunction setup);

  const SetupFunction* find(std::string_view name) const;
  // Position in the chain order, or -1 for a name this registry does not have.
  int rank(std::string_view name) const;
  // Every name, in chain order.
  std::vector<std::string> names() const;

  // Plugins that answer classes other than IN (CoreDNS's dnsserver.EnableChaos): a listener
  // with none of them answers REFUSED to such queries before any plugin runs.
  void serves_any_class(std::string name) { any_class_.push_back(std::move(name)); }
  bool any_class(std::string_view name) const;

  // What BuildOptions without a registry use: set by main() (and by test mains) to the
  // plugins built in; none until then.
  static void set_default(const Registry* r);
  static const Registry* default_registry();

 private:
  struct Entry {
    std::string name;
    SetupFunction setup;
  };
  std::vector<Entry> entries_;
  std::vector<std::string> any_class_;
};

}  // namespace cxxdns
