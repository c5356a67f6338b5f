#include "plugins/fakeip/pool.h"

#include <arpa/inet.h>

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

FakePool::FakePool(const Cidr& range) : range_(range) {
  int h = range_.host_bits();
  uint64_t usable = h >= 64 ? ~uint64_t(0) : (uint64_t(1) << h);
  usable = usable < 2 ? 0 : usable - 2;
  capacity_ = usable < kMaxEntries ? usable : kMaxEntries;
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

FakePool::Result FakePool::lookup_or_assign(std::string_view name, uint8_t* addr) {
  Result r;
  uint64_t off;
  {
    std::lock_guard lock(mu_);
    if (auto it = by_name_.find(name); it != by_name_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      off = it->second->off;
    } else {
      r.allocated = true;
      ++version_;
      if (next_off_ <= capacity_) {
        off = next_off_++;
        lru_.push_front(Entry{std::string(name), off});
      } else {
        // Full: the least recently used mapping gives up its address.
        r.recycled = true;
        auto last = std::prev(lru_.end());
        by_name_.erase(last->name);
        last->name.assign(name);
        off = last->off;
        lru_.splice(lru_.begin(), lru_, last);
      }
      by_name_.emplace(lru_.front().name, lru_.begin());
      by_off_[off] = lru_.begin();
    }
  }
  address_at(off, addr);
  return r;
}

FakePool::Reverse FakePool::reverse(const uint8_t* addr, std::string& name) const {
  uint64_t off;
  bool fits;
  if (!offset_in(range_, addr, off, fits)) return Reverse::outside;
  if (!fits) return Reverse::unmapped;
  std::lock_guard lock(mu_);
  auto it = by_off_.find(off);
  if (it == by_off_.end()) return Reverse::unmapped;
  name = it->second->name;
  return Reverse::mapped;
}

uint64_t FakePool::used() const {
  std::lock_guard lock(mu_);
  return lru_.size();
}

uint64_t FakePool::version() const {
  std::lock_guard lock(mu_);
  return version_;
}

std::vector<std::pair<std::string, std::string>> FakePool::entries() const {
  std::vector<std::pair<uint64_t, std::string>> raw;
  {
    std::lock_guard lock(mu_);
    raw.reserve(lru_.size());
    for (auto it = lru_.rbegin(); it != lru_.rend(); ++it) raw.emplace_back(it->off, it->name);
  }
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(raw.size());
  for (auto& [off, name] : raw) {
    uint8_t a[16];
    char buf[INET6_ADDRSTRLEN];
    address_at(off, a);
    inet_ntop(range_.family == 4 ? AF_INET : AF_INET6, a, buf, sizeof buf);
    out.emplace_back(buf, std::move(name));
  }
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

bool FakePool::insert(std::string_view name, uint64_t off) {
  std::lock_guard lock(mu_);
  if (by_name_.find(name) != by_name_.end() || by_off_.count(off)) return false;
  lru_.push_front(Entry{std::string(name), off});
  by_name_.emplace(lru_.front().name, lru_.begin());
  by_off_[off] = lru_.begin();
  // Fresh allocations continue after the highest loaded offset; lower free offsets are
  // reached again through recycling.
  if (off >= next_off_) next_off_ = off + 1;
  ++version_;
  return true;
}

void FakePool::clear() {
  std::lock_guard lock(mu_);
  lru_.clear();
  by_name_.clear();
  by_off_.clear();
  next_off_ = 1;
  ++version_;
}

}  // namespace cxxdns::plugins
