#include "plugins/fakeip/filter.h"

#include "core/dns/name.h"

namespace cxxdns::plugins {

std::string Filter::add(std::string_view p) {
  std::set<std::string, std::less<>>* set = &exact_;
  std::string_view base = p;
  if (p.starts_with("*.")) {
    set = &one_, base = p.substr(2);
  } else if (p.starts_with("+.")) {
    set = &self_below_, base = p.substr(2);
  } else if (p.starts_with(".")) {
    set = &below_, base = p.substr(1);
  }
  if (base.empty() || base == "." || base.starts_with(".")) {
    return "bad filter pattern '" + std::string(p) + "': no domain name";
  }
  if (base.find_first_of("*+") != std::string_view::npos) {
    return "bad filter pattern '" + std::string(p) +
           "': '*' and '+' are only allowed as a leading '*.' or '+.'";
  }
  dns::Name n;
  if (!dns::from_text(base, n)) {
    return "bad filter pattern '" + std::string(p) + "': not a domain name";
  }
  set->insert(dns::canonical(base));
  return {};
}

bool Filter::match(std::string_view name) const {
  if (exact_.contains(name) || self_below_.contains(name)) return true;
  // Each proper suffix at a label boundary: "b.c.", then "c.", then ".".
  int depth = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '\\') {
      ++i;  // an escaped character never ends a label
      continue;
    }
    if (name[i] != '.') continue;
    ++depth;
    std::string_view suffix = name.substr(i + 1);
    if (suffix.empty()) suffix = ".";
    if (self_below_.contains(suffix) || below_.contains(suffix)) return true;
    if (depth == 1 && one_.contains(suffix)) return true;
  }
  return false;
}

}  // namespace cxxdns::plugins
