#include "core/plugin/kept.h"

namespace cxxdns::detail {

std::mutex& kept_mutex() {
  static std::mutex mu;
  return mu;
}

std::map<std::string, std::weak_ptr<void>>& kept_objects() {
  static std::map<std::string, std::weak_ptr<void>> objects;
  return objects;
}

}  // namespace cxxdns::detail
