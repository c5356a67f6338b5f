// FakePool: one address range (IPv4 or IPv6) handing out one address per name. Shared by all
// workers. When the pool is full, the mapping used least recently gives up its address, but
// only if it was not handed out or looked up (A, AAAA or PTR) within the caller's protection
// window (the answer TTL plus a grace period): an address a client may still use is never
// given to another name. With nothing safe to recycle, a new name gets no address.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
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
  // Mappings a pool keeps by default (`size`): the default IPv4 range's usable addresses.
  static constexpr uint64_t kDefaultSize = 131072;
  // More than this is never allowed (offsets are 32-bit).
  static constexpr uint64_t kMaxSize = uint64_t(1) << 24;

  // `size`: at most this many mappings, however large the range.
  explicit FakePool(const Cidr& range, uint64_t size = kDefaultSize);

  struct Result {
    bool allocated = false;  // a new mapping was made
    bool recycled = false;   // ... by taking the least recently used one's address
    bool exhausted = false;  // no address: every mapping was used within the window
    bool refused = false;    // no address: `admit` said no
  };
  // The address of `name` (lower-case FQDN) into `addr` (4 or 16 bytes), mapping it first
  // when needed; a hit makes the mapping the most recently used. `now_s`: seconds of a
  // monotonic clock; a mapping used less than `protect_s` ago is never recycled. `admit`,
  // when set, is asked (under the pool's lock) before a new mapping is made.
  Result lookup_or_assign(std::string_view name, uint8_t* addr, uint64_t now_s, uint64_t protect_s,
                          const std::function<bool()>& admit = {});
  // No protection, no admission (tests, fuzzing): recycles the least recently used.
  Result lookup_or_assign(std::string_view name, uint8_t* addr) {
    return lookup_or_assign(name, addr, 0, 0);
  }

  enum class Reverse { outside, unmapped, mapped };
  // The name mapped to `addr` (4 or 16 bytes, of this pool's family). A mapped address
  // counts as used at `now_s`: it is the most recently used, and protected.
  Reverse reverse(const uint8_t* addr, std::string& name, uint64_t now_s = 0);

  // Addresses it may hand out: the range without its first (network) and last (broadcast)
  // address, at most `size`.
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
  // Maps `name` to `off` as the most recently used (loading a persist file, where later
  // lines win): a mapping the name or the address had goes. Used at `now_s`.
  void insert(std::string_view name, uint64_t off, uint64_t now_s = 0);
  void clear();

  // Journals: each persisting plugin opens one and is handed the mappings made since it
  // last took them, so that it can append them to its file instead of rewriting it.
  int open_journal();
  void close_journal(int id);
  // The new mappings since the last take, as (address text, name); false when more were
  // made than a journal keeps (the caller must write every mapping again).
  bool take_journal(int id, std::vector<std::pair<std::string, std::string>>& out);

  void address_at(uint64_t off, uint8_t* addr) const;
  std::string address_text(uint64_t off) const;

 private:
  static constexpr uint32_t kNone = 0;
  static constexpr size_t kJournalMax = 65536;
  // One a usable address; slot i is offset i + 1. A deque: slots never move, so the
  // index's string_views into their names stay valid.
  struct Slot {
    std::string name;  // empty: free
    uint64_t last_used = 0;
    uint32_t prev = kNone, next = kNone;  // slot numbers + 1: recency, most recent first
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Journal {
    int id;
    std::vector<uint32_t> slots;  // slots that got a new name
    bool overflow = false;
  };

  void link_front(uint32_t s);
  void unlink(uint32_t s);
  void release_slot(uint32_t s);  // onto the free heap
  void unmap(uint32_t s);         // the slot's name loses its address; the slot is free
  void map(uint32_t s, std::string_view name, uint64_t now_s);
  // A slot for a new name: a free one, a fresh one, or the least recently used one when it
  // was not used within `protect_s`; kNone otherwise. Sets *recycled.
  uint32_t take_slot(uint64_t now_s, uint64_t protect_s, bool* recycled);
  Slot& slot(uint32_t s) { return slots_[s - 1]; }

  Cidr range_;
  uint64_t capacity_ = 0;
  mutable std::mutex mu_;
  std::deque<Slot> slots_;      // made as addresses are first handed out
  std::vector<uint32_t> free_;  // a min-heap: the lowest free address goes first
  std::unordered_map<std::string_view, uint32_t, Hash, std::equal_to<>> by_name_;
  uint32_t head_ = kNone, tail_ = kNone;  // most and least recently used
  uint64_t version_ = 0;
  std::vector<Journal> journals_;
  int next_journal_ = 1;
};

}  // namespace cxxdns::plugins
