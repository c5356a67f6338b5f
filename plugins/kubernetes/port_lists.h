// PortLists: one shared copy of each distinct port list the store keeps.
//
// Why: every service and every endpoint set has a port list, and most are the same one or
// two ports. A std::vector<Port> each (two strings a port) took about 200 bytes a service
// with its slice, 2 MB at 10,000 services; a shared list costs its owners a pointer. Equal
// lists are the same pointer, so comparing them is comparing pointers.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "plugins/kubernetes/cluster_state.h"

namespace cxxdns::plugins::k8s {

using PortList = std::shared_ptr<const std::vector<Port>>;

class PortLists {
 public:
  // The shared list equal to `ports` (never null).
  PortList get(const std::vector<Port>& ports);

 private:
  // By content; an entry whose list no owner holds any more is dropped at the next purge.
  std::unordered_map<std::string, std::weak_ptr<const std::vector<Port>>> lists_;
  size_t purge_at_ = 64;
};

}  // namespace cxxdns::plugins::k8s
