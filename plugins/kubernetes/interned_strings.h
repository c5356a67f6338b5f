// InternedStrings: the strings of a service block being built (service_block.cpp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/kubernetes/index.h"

namespace cxxdns::plugins::k8s {

// Strings, each once, by id, in one text: the names of a service block being built (a
// name, a record's target and an external host are the same string when equal, so records
// compare ids, not text; and the text is the block's, copied whole).
//
// Why not std::unordered_map<std::string, ...>: a rebuild would allocate a node and a string
// per name; this table keeps its memory from one rebuild to the next.
class InternedStrings {
 public:
  void clear() {
    text_.clear();
    at_.clear();
    len_.clear();
    std::fill(slots_.begin(), slots_.end(), 0);
  }
  // The id of `s`, added when new (`added` says which).
  uint32_t id(std::string_view s, bool* added = nullptr) {
    if ((at_.size() + 1) * 2 > slots_.size()) grow();
    size_t mask = slots_.size() - 1;
    for (size_t i = hash_text(s) & mask;; i = (i + 1) & mask) {
      uint32_t slot = slots_[i];
      if (slot == 0) {
        auto id = static_cast<uint32_t>(at_.size());
        at_.push_back(static_cast<uint32_t>(text_.size()));
        len_.push_back(static_cast<uint32_t>(s.size()));
        text_ += s;
        slots_[i] = id + 1;
        if (added) *added = true;
        return id;
      }
      if (str(slot - 1) == s) {
        if (added) *added = false;
        return slot - 1;
      }
    }
  }
  std::string_view str(uint32_t id) const { return {text_.data() + at_[id], len_[id]}; }
  uint32_t offset(uint32_t id) const { return at_[id]; }
  size_t count() const { return at_.size(); }
  const std::string& text() const { return text_; }

 private:
  void grow() {
    slots_.assign(std::max<size_t>(64, slots_.size() * 2), 0);
    size_t mask = slots_.size() - 1;
    for (uint32_t id = 0; id < at_.size(); ++id) {
      size_t i = hash_text(str(id)) & mask;
      while (slots_[i] != 0) i = (i + 1) & mask;
      slots_[i] = id + 1;
    }
  }

  std::string text_;
  std::vector<uint32_t> at_, len_;
  std::vector<uint32_t> slots_;  // id + 1; 0 is empty
};

}  // namespace cxxdns::plugins::k8s
