// UniqueRun: a run of a vector's elements without duplicates (a name's records in a
// service block, service_block.cpp).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <unordered_set>
#include <vector>

namespace cxxdns::plugins::k8s {

// A run of `v` (from where it stood at construction) without duplicates, in the order the
// values first came. A short run is searched; a long one (the name of a headless service
// with thousands of endpoints: millions of compares a rebuild) keeps a hash set.
template <typename T, typename Hash>
class UniqueRun {
 public:
  explicit UniqueRun(std::vector<T>& v) : v_(v), from_(v.size()) {}
  uint32_t at() const { return static_cast<uint32_t>(from_); }
  void add(const T& x) {
    if (v_.size() - from_ < kSearched) {
      auto from = v_.begin() + static_cast<std::ptrdiff_t>(from_);
      if (std::find(from, v_.end(), x) == v_.end()) v_.push_back(x);
      return;
    }
    if (seen_.empty()) seen_.insert(v_.begin() + static_cast<std::ptrdiff_t>(from_), v_.end());
    if (seen_.insert(x).second) v_.push_back(x);
  }
  // The run's length, cut to what NameData holds (65,535 records: a message could not carry
  // more).
  uint32_t length() {
    if (v_.size() - from_ > UINT16_MAX) v_.resize(from_ + UINT16_MAX);
    return static_cast<uint32_t>(v_.size() - from_);
  }

 private:
  static constexpr size_t kSearched = 32;
  std::vector<T>& v_;
  size_t from_;
  std::unordered_set<T, Hash> seen_;
};

}  // namespace cxxdns::plugins::k8s
