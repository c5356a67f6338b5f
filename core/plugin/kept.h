// State that outlives a reload. A reload builds the new configuration while the old one
// still runs, so asking here by the same key during setup returns the object the running
// configuration holds (a fakeip pool keeps its mapping, say) instead of a fresh one. Once no
// configuration holds it, the next request makes a new one.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace cxxdns {

namespace detail {
std::mutex& kept_mutex();
std::map<std::string, std::weak_ptr<void>>& kept_objects();
}  // namespace detail

template <typename T, typename Make>
std::shared_ptr<T> kept_across_reloads(const std::string& key, Make make) {
  std::lock_guard lock(detail::kept_mutex());
  auto& objects = detail::kept_objects();
  if (auto it = objects.find(key); it != objects.end()) {
    if (auto alive = it->second.lock()) return std::static_pointer_cast<T>(alive);
  }
  std::shared_ptr<T> made = make();
  objects[key] = made;
  return made;
}

}  // namespace cxxdns
