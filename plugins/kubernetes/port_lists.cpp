#include "plugins/kubernetes/port_lists.h"

namespace cxxdns::plugins::k8s {

PortList PortLists::get(const std::vector<Port>& ports) {
  std::string key;
  for (const Port& p : ports) {
    key += p.name;
    key += '\0';
    key += p.protocol;
    key += '\0';
    key += std::to_string(p.port);
    key += '\n';
  }
  auto& slot = lists_[key];
  if (PortList held = slot.lock()) return held;
  PortList made = std::make_shared<const std::vector<Port>>(ports);
  slot = made;
  if (lists_.size() >= purge_at_) {
    std::erase_if(lists_, [](const auto& e) { return e.second.expired(); });
    purge_at_ = std::max<size_t>(64, lists_.size() * 2);
  }
  return made;
}

}  // namespace cxxdns::plugins::k8s
