#include "core/plugin/registry.h"

#include <algorithm>
#include <atomic>

namespace cxxdns {

namespace {
std::atomic<const Registry*> g_default{nullptr};
}

void Registry::add(std::string name, SetupFunction setup) {
  add_after({}, std::move(name), std::move(setup));
}

void Registry::add_after(std::string_view anchor, std::string name, SetupFunction setup) {
  auto same = [&](const Entry& e) { return e.name == name; };
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(), same), entries_.end());
  auto at = std::find_if(entries_.begin(), entries_.end(),
                         [&](const Entry& e) { return e.name == anchor; });
  if (at != entries_.end()) ++at;
  entries_.insert(at, Entry{std::move(name), std::move(setup)});
}

const SetupFunction* Registry::find(std::string_view name) const {
  for (const Entry& e : entries_) {
    if (e.name == name) return &e.setup;
  }
  return nullptr;
}

int Registry::rank(std::string_view name) const {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

bool Registry::any_class(std::string_view name) const {
  return std::find(any_class_.begin(), any_class_.end(), name) != any_class_.end();
}

std::vector<std::string> Registry::names() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const Entry& e : entries_) out.push_back(e.name);
  return out;
}

void Registry::set_default(const Registry* r) {
  g_default.store(r, std::memory_order_release);
}

const Registry* Registry::default_registry() {
  return g_default.load(std::memory_order_acquire);
}

}  // namespace cxxdns
