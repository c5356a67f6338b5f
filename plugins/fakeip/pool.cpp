#include "plugins/fakeip/pool.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace cxxdns::plugins {

std::string Cidr::parse(std::string_view text, Cidr& out) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return "not a CIDR (ADDRESS/PREFIX)";
  std::string addr(text.substr(0, slash));
  std::string_view len = text.substr(slash + 1);
  Cidr c;
  if (inet_pton(AF_INET, addr.c_str(), c.net) == 1) {
    c.family = 4;
  } else if (inet_pton(AF_INET6, addr.c_str(), c.net) == 1) {
    c.family = 6;
  } else {
    return "not a CIDR: bad address '" + addr + "'";
  }
  int p = -1;
  auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), p);
  if (ec != std::errc() || end != len.data() + len.size() || len.empty() || p < 0 ||
      p > c.bytes() * 8) {
    return "not a CIDR: bad prefix length '" + std::string(len) + "'";
  }
  c.prefix = p;
  for (int bit = p; bit < c.bytes() * 8; ++bit) c.net[bit / 8] &= uint8_t(~(0x80 >> (bit % 8)));
  out = c;
  return {};
}

std::string Cidr::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(family == 4 ? AF_INET : AF_INET6, net, buf, sizeof buf);
  return std::string(buf) + "/" + std::to_string(prefix);
}

FakePool::FakePool(const Cidr& range, uint64_t size) : range_(range) {
  int h = range_.host_bits();
  uint64_t usable = h >= 64 ? ~uint64_t(0) : (uint64_t(1) << h);
  usable = usable < 2 ? 0 : usable - 2;
  size = std::min(size, kMaxSize);
  capacity_ = usable < size ? usable : size;
}

void FakePool::address_at(uint64_t off, uint8_t* addr) const {
  int n = range_.bytes();
  std::memcpy(addr, range_.net, n);
  unsigned carry = 0;
  for (int i = n - 1; i >= 0; --i) {
    unsigned v = unsigned(addr[i]) + unsigned(off & 0xff) + carry;
    addr[i] = uint8_t(v);
    carry = v >> 8;
    off >>= 8;
    if (off == 0 && carry == 0) break;
  }
}

std::string FakePool::address_text(uint64_t off) const {
  uint8_t a[16];
  char buf[INET6_ADDRSTRLEN];
  address_at(off, a);
  inet_ntop(range_.family == 4 ? AF_INET : AF_INET6, a, buf, sizeof buf);
  return buf;
}

namespace {

// Offset of `addr` from the range's network address; false when outside the range.
// `fits` is false when the offset does not fit 64 bits (IPv6 ranges larger than /64).
bool offset_in(const Cidr& r, const uint8_t* addr, uint64_t& off, bool& fits) {
  int n = r.bytes();
  uint8_t host[16];
  for (int i = 0; i < n; ++i) {
    uint8_t mask = 0;  // the prefix bits of byte i
    for (int b = 0; b < 8; ++b) {
      if (i * 8 + b < r.prefix) mask |= uint8_t(0x80 >> b);
    }
    if ((addr[i] & mask) != (r.net[i] & mask)) return false;
    host[i] = addr[i] & uint8_t(~mask);
  }
  fits = true;
  for (int i = 0; i < n - 8; ++i) {
    if (host[i] != 0) fits = false;
  }
  off = 0;
  for (int i = n > 8 ? n - 8 : 0; i < n; ++i) off = (off << 8) | host[i];
  return true;
}

}  // namespace

void FakePool::link_front(uint32_t s) {
  Slot& x = slot(s);
  x.prev = kNone;
  x.next = head_;
  if (head_ != kNone) slot(head_).prev = s;
  head_ = s;
  if (tail_ == kNone) tail_ = s;
}

void FakePool::unlink(uint32_t s) {
  Slot& x = slot(s);
  (x.prev != kNone ? slot(x.prev).next : head_) = x.next;
  (x.next != kNone ? slot(x.next).prev : tail_) = x.prev;
  x.prev = x.next = kNone;
}

void FakePool::release_slot(uint32_t s) {
  free_.push_back(s);
  std::push_heap(free_.begin(), free_.end(), std::greater<>());
}

void FakePool::unmap(uint32_t s) {
  Slot& x = slot(s);
  by_name_.erase(std::string_view(x.name));
  unlink(s);
  std::string().swap(x.name);
  release_slot(s);
}

void FakePool::map(uint32_t s, std::string_view name, uint64_t now_s) {
  Slot& x = slot(s);
  x.name.assign(name);
  x.last_used = now_s;
  by_name_.emplace(std::string_view(x.name), s);
  link_front(s);
  ++version_;
  for (Journal& j : journals_) {
    if (j.overflow) continue;
    if (j.slots.size() >= kJournalMax) {
      j.overflow = true;
      std::vector<uint32_t>().swap(j.slots);
    } else {
      j.slots.push_back(s);
    }
  }
}

uint32_t FakePool::take_slot(uint64_t now_s, uint64_t protect_s, bool* recycled) {
  // The lowest free address first. free_ may name slots mapped again since (loading):
  // those are skipped here.
  while (!free_.empty()) {
    std::pop_heap(free_.begin(), free_.end(), std::greater<>());
    uint32_t s = free_.back();
    free_.pop_back();
    if (slot(s).name.empty()) return s;
  }
  if (slots_.size() < capacity_) {
    slots_.emplace_back();
    return static_cast<uint32_t>(slots_.size());
  }
  // Full: the least recently used mapping gives up its address, unless a client may still
  // be using it (handed out or looked up within the window).
  if (tail_ == kNone || slot(tail_).last_used + protect_s > now_s) return kNone;
  uint32_t s = tail_;
  by_name_.erase(std::string_view(slot(s).name));
  unlink(s);
  *recycled = true;
  return s;
}

FakePool::Result FakePool::lookup_or_assign(std::string_view name, uint8_t* addr, uint64_t now_s,
                                            uint64_t protect_s,
                                            const std::function<bool()>& admit) {
  Result r;
  uint32_t s;
  {
    std::lock_guard lock(mu_);
    if (auto it = by_name_.find(name); it != by_name_.end()) {
      s = it->second;
      slot(s).last_used = std::max(slot(s).last_used, now_s);
      unlink(s);
      link_front(s);
    } else {
      if (admit && !admit()) {
        r.refused = true;
        return r;
      }
      s = take_slot(now_s, protect_s, &r.recycled);
      if (s == kNone) {
        r.exhausted = true;
        return r;
      }
      r.allocated = true;
      map(s, name, now_s);
    }
  }
  address_at(s, addr);
  return r;
}

FakePool::Reverse FakePool::reverse(const uint8_t* addr, std::string& name, uint64_t now_s) {
  uint64_t off;
  bool fits;
  if (!offset_in(range_, addr, off, fits)) return Reverse::outside;
  std::lock_guard lock(mu_);
  if (!fits || off < 1 || off > slots_.size()) return Reverse::unmapped;
  uint32_t s = static_cast<uint32_t>(off);
  Slot& x = slot(s);
  if (x.name.empty()) return Reverse::unmapped;
  name = x.name;
  // Looked up (the gateway routing a connection to it): in use, so protected from recycling.
  x.last_used = std::max(x.last_used, now_s);
  unlink(s);
  link_front(s);
  return Reverse::mapped;
}

uint64_t FakePool::used() const {
  std::lock_guard lock(mu_);
  return by_name_.size();
}

uint64_t FakePool::version() const {
  std::lock_guard lock(mu_);
  return version_;
}

std::vector<std::pair<std::string, std::string>> FakePool::entries() const {
  std::vector<std::pair<uint64_t, std::string>> raw;
  {
    std::lock_guard lock(mu_);
    raw.reserve(by_name_.size());
    for (uint32_t s = tail_; s != kNone; s = slots_[s - 1].prev) {
      raw.emplace_back(s, slots_[s - 1].name);
    }
  }
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(raw.size());
  for (auto& [off, name] : raw) out.emplace_back(address_text(off), std::move(name));
  return out;
}

bool FakePool::offset_of(std::string_view text, uint64_t& off) const {
  uint8_t a[16];
  std::string s(text);
  if (inet_pton(range_.family == 4 ? AF_INET : AF_INET6, s.c_str(), a) != 1) return false;
  bool fits;
  if (!offset_in(range_, a, off, fits) || !fits) return false;
  return off >= 1 && off <= capacity_;
}

void FakePool::insert(std::string_view name, uint64_t off, uint64_t now_s) {
  std::lock_guard lock(mu_);
  if (auto it = by_name_.find(name); it != by_name_.end()) unmap(it->second);
  // Slots up to `off` exist from now on; those made on the way are free.
  while (slots_.size() < off) {
    slots_.emplace_back();
    release_slot(static_cast<uint32_t>(slots_.size()));
  }
  uint32_t s = static_cast<uint32_t>(off);
  if (!slot(s).name.empty()) unmap(s);  // its entry in free_ is skipped once mapped again
  map(s, name, now_s);
}

void FakePool::clear() {
  std::lock_guard lock(mu_);
  slots_.clear();
  free_.clear();
  by_name_.clear();
  head_ = tail_ = kNone;
  ++version_;
  for (Journal& j : journals_) j.overflow = true, j.slots.clear();
}

int FakePool::open_journal() {
  std::lock_guard lock(mu_);
  journals_.push_back(Journal{next_journal_, {}, false});
  return next_journal_++;
}

void FakePool::close_journal(int id) {
  std::lock_guard lock(mu_);
  std::erase_if(journals_, [id](const Journal& j) { return j.id == id; });
}

bool FakePool::take_journal(int id, std::vector<std::pair<std::string, std::string>>& out) {
  std::vector<std::pair<uint32_t, std::string>> raw;
  {
    std::lock_guard lock(mu_);
    auto j = std::find_if(journals_.begin(), journals_.end(),
                          [id](const Journal& x) { return x.id == id; });
    if (j == journals_.end()) return false;
    if (j->overflow) {
      j->overflow = false;
      return false;
    }
    raw.reserve(j->slots.size());
    for (uint32_t s : j->slots) {
      if (!slot(s).name.empty()) raw.emplace_back(s, slot(s).name);
    }
    j->slots.clear();
  }
  for (auto& [s, name] : raw) out.emplace_back(address_text(s), std::move(name));
  return true;
}

}  // namespace cxxdns::plugins
