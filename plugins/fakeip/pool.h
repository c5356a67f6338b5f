// FakePool: one address range (IPv4 or IPv6) handing out one address per name, with the
// least recently used mapping recycled when the range is full. Shared by all workers.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace cxxdns::plugins {

// An address range as a CIDR: family, network bytes, prefix length.
struct Cidr {
  int family = 0;  // 4 or 6
  uint8_t net[16] = {};
  int prefix = 0;

  int bytes() const { return family == 4 ? 4 : 16; }
  int host_bits() const { return bytes() * 8 - prefix; }
  // Parses "198.18.0.0/15" or "fc00::/18"; the host bits are cleared. Empty on success,
  // else the reason.
  static std::string parse(std::string_view text, Cidr& out);
  std::string to_string() const;
};

class FakePool {
 public:
  // More mappings than this are never kept, however large the range (IPv6).
  static constexpr uint64_t kMaxEntries = uint64_t(1) << 24;

  explicit FakePool(const Cidr& range);

  struct Result {
    bool allocated = false;  // a new mapping was made
    bool recycled = false;   // ... by taking the least recently used one's address
  };
  // The address of `name` (lower-case FQDN) into `addr` (4 or 16 bytes), mapping it first
  // when needed; a hit makes the mapping the most recently used.
  Result lookup_or_assign(std::string_view name, uint8_t* addr);

  enum class Reverse { outside, unmapped, mapped };
  // The name mapped to `addr` (4 or 16 bytes, of this pool's family).
  Reverse reverse(const uint8_t* addr, std::string& name) const;

  // Usable addresses: the range without its first (network) and last (broadcast) address.
  uint64_t capacity() const { return capacity_; }
  uint64_t used() const;
  const Cidr& range() const { return range_; }
  // Bumped on every change, for the persist timer.
  uint64_t version() const;

  // Persistence: mappings as (address text, name), least recently used first.
  std::vector<std::pair<std::string, std::string>> entries() const;
  // Offset of `addr` text in this pool; false when it does not parse or is not a usable
  // address of the range.
  bool offset_of(std::string_view addr, uint64_t& off) const;
  // Adds a mapping as the most recently used (loading); false when name or offset is taken.
  bool insert(std::string_view name, uint64_t off);
  void clear();

  void address_at(uint64_t off, uint8_t* addr) const;

 private:
  struct Entry {
    std::string name;
    uint64_t off;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using List = std::list<Entry>;

  Cidr range_;
  uint64_t capacity_ = 0;
  mutable std::mutex mu_;
  List lru_;  // front: most recently used
  std::unordered_map<std::string, List::iterator, Hash, std::equal_to<>> by_name_;
  std::unordered_map<uint64_t, List::iterator> by_off_;
  uint64_t next_off_ = 1;  // offsets 1..capacity_ are usable; 0 is the network address
  uint64_t version_ = 0;
};

}  // namespace cxxdns::plugins
