// The name of a server block's view (CoreDNS's Config.ViewName): the view plugin has it; the
// metrics of the block's queries carry it in their `view` label. An interface here, so that
// prometheus finds it without including the view plugin.
#pragma once

#include <string>

namespace cxxdns {
struct BlockConfig;
}

namespace cxxdns::pkg {

class NamedView {
 public:
  virtual const std::string& view_name() const = 0;

 protected:
  ~NamedView() = default;
};

// The view name of `block`: its view plugin's, "" when it has none. For start() on, when the
// block's plugins are all made.
std::string view_name_of(const BlockConfig& block);

}  // namespace cxxdns::pkg
