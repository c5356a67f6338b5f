#include "core/dns/name.h"

#include <cctype>
#include <cstring>

namespace cxxdns::dns {

int Name::label_count() const {
  int n = 0;
  for (size_t i = 0; i < len && data[i] != 0; i += data[i] + 1) ++n;
  return n;
}

namespace {
// ASCII upper case to lower in 8 bytes at once: a byte gets 0x20 when it is in 'A'..'Z'
// (its low 7 bits are >= 'A' and <= 'Z' and its top bit is clear).
uint64_t lower8(uint64_t x) {
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  const uint64_t low7 = x & ~kHigh;
  const uint64_t ge_a = low7 + 0x3f3f3f3f3f3f3f3full;  // top bit set from 'A' (0x41) up
  const uint64_t gt_z = low7 + 0x2525252525252525ull;  // top bit set above 'Z' (0x5a)
  const uint64_t upper = (ge_a & ~gt_z) & ~x & kHigh;
  return x | (upper >> 2);
}
}  // namespace

void Name::to_lower() {
  // Every byte of the wire form may be lowered: label lengths (at most 63) are below 'A',
  // so they are left as they are.
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t x;
    std::memcpy(&x, data + i, 8);
    x = lower8(x);
    std::memcpy(data + i, &x, 8);
  }
  for (; i < len; ++i) {
    const uint8_t c = data[i];
    if (c >= 'A' && c <= 'Z') data[i] = static_cast<uint8_t>(c + 32);
  }
}

namespace {
// Follows the compression pointer at `pos`: false for one that does not go backwards to
// after the header, or for the 65th hop. A pointer names what came before it: after a jump
// the name must end before the pointer, else it would read (and change with) the bytes
// that follow, so `limit` becomes the pointer's position.
inline bool jump(std::span<const uint8_t> msg, size_t& pos, size_t& limit, int& hops) {
  if (pos + 2 > limit) return false;
  const size_t target = ((msg[pos] & 0x3f) << 8) | msg[pos + 1];
  // Pointers must go backwards; together with the hop limit this stops every loop.
  // The header holds no name: a name read through it would change when the counts do.
  if (target >= pos || target < size_t(kHeaderSize) || ++hops > 64) return false;
  limit = pos;
  pos = target;
  return true;
}

bool walk_name(std::span<const uint8_t> msg, size_t& off, Name* out) {
  size_t pos = off;
  size_t written = 0;
  int hops = 0;
  size_t limit = msg.size();
  while (true) {
    if (pos >= limit) return false;
    const uint8_t l = msg[pos];
    if ((l & 0xc0) == 0xc0) {
      if (hops == 0) off = pos + 2;  // the name ends, in the message, after its first pointer
      if (!jump(msg, pos, limit, hops)) return false;
      continue;
    }
    if ((l & 0xc0) != 0) return false;  // 0x40 / 0x80 label types are obsolete/reserved
    if (pos + 1 + l > limit) return false;
    if (written + 1 + l > kMaxNameWire) return false;
    if (out) std::memcpy(out->data + written, &msg[pos], 1 + l);
    written += 1 + l;
    pos += 1 + l;
    if (l == 0) break;
  }
  if (hops == 0) off = pos;
  if (out) out->len = static_cast<uint8_t>(written);
  return true;
}

// One byte of a label in presentation form at text[i]: a plain character, `\X` or `\DDD`
// (RFC 1035 5.1); `i` is left on its last character. False for a `\DDD` over 255.
bool text_byte(std::string_view text, size_t& i, uint8_t& out) {
  out = static_cast<uint8_t>(text[i]);
  if (text[i] != '\\' || i + 1 >= text.size()) return true;
  auto digit = [&](size_t k) { return std::isdigit(static_cast<unsigned char>(text[k])) != 0; };
  if (i + 3 < text.size() && digit(i + 1) && digit(i + 2) && digit(i + 3)) {
    const int v = (text[i + 1] - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
    if (v > 255) return false;
    out = static_cast<uint8_t>(v);
    i += 3;
    return true;
  }
  out = static_cast<uint8_t>(text[++i]);
  return true;
}
}  // namespace

bool read_name(std::span<const uint8_t> msg, size_t& off, Name& out) {
  return walk_name(msg, off, &out);
}
bool skip_name(std::span<const uint8_t> msg, size_t& off) {
  return walk_name(msg, off, nullptr);
}

size_t to_text(const Name& n, char* buf, size_t cap) {
  size_t w = 0;
  auto put = [&](char c) {
    if (w < cap) buf[w] = c;
    ++w;
  };
  if (n.len <= 1) {
    put('.');
    return std::min(w, cap);
  }
  for (size_t i = 0; i < n.len && n.data[i] != 0; i += n.data[i] + 1) {
    for (size_t j = i + 1; j <= i + n.data[i]; ++j) {
      uint8_t c = n.data[j];
      if (c == '.' || c == '\\' || c == '"' || c == '(' || c == ')' || c == ';' || c == '@' ||
          c == '$') {
        put('\\');
        put(static_cast<char>(c));
      } else if (c < 0x21 || c > 0x7e) {
        put('\\');
        put(static_cast<char>('0' + c / 100));
        put(static_cast<char>('0' + (c / 10) % 10));
        put(static_cast<char>('0' + c % 10));
      } else {
        put(static_cast<char>(c));
      }
    }
    put('.');
  }
  return std::min(w, cap);
}

std::string to_text(const Name& n) {
  char buf[4 * kMaxNameWire + 2];
  size_t l = to_text(n, buf, sizeof buf);
  return std::string(buf, l);
}

namespace {
// Writes a name's labels, each length byte first, into a Name.
struct LabelWriter {
  Name& out;
  size_t w = 0;            // bytes written
  size_t label_start = 0;  // where the current label's length byte is
  size_t cur = 0;          // bytes in the current label

  bool begin_label() {
    if (w >= kMaxNameWire) return false;
    label_start = w++;
    cur = 0;
    return true;
  }
  bool end_label() {
    if (cur == 0 || cur > 63) return false;
    out.data[label_start] = static_cast<uint8_t>(cur);
    return true;
  }
  bool add(uint8_t byte) {
    if (w >= kMaxNameWire - 1) return false;
    out.data[w++] = byte;
    ++cur;
    return true;
  }
  bool finish() {
    if (w >= kMaxNameWire) return false;
    out.data[w++] = 0;
    out.len = static_cast<uint8_t>(w);
    return true;
  }
};
}  // namespace

bool from_text(std::string_view text, Name& out) {
  out.len = 0;
  if (text.empty()) return false;
  if (text == ".") {
    out.data[0] = 0;
    out.len = 1;
    return true;
  }
  out.data[0] = 0;
  LabelWriter lw{out};
  if (!lw.begin_label()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool last = i + 1 == text.size();
    if (text[i] == '.') {
      if (!lw.end_label()) return false;
      if (last) break;
      if (!lw.begin_label()) return false;
      continue;
    }
    uint8_t byte;
    if (!text_byte(text, i, byte) || !lw.add(byte)) return false;
    if (i + 1 == text.size() && !lw.end_label()) return false;
  }
  return lw.finish();
}

std::string canonical(std::string_view text) {
  Name n;
  if (!from_text(text, n)) return std::string(text);
  n.to_lower();
  return to_text(n);
}

bool is_subdomain(const Name& name, const Name& zone) {
  if (zone.len > name.len) return false;
  if (zone.len == 1) return true;  // the root: every name (the zone most blocks serve)
  // Walk name's labels until the remaining suffix is as long as the zone: only a label
  // boundary may start the match.
  size_t i = 0;
  while (name.len - i > zone.len) i += name.data[i] + 1;
  return name.len - i == zone.len && std::memcmp(name.data + i, zone.data, zone.len) == 0;
}

bool is_subdomain(std::string_view name, std::string_view zone) {
  if (zone == ".") return true;
  if (name.size() < zone.size()) return false;
  if (name.substr(name.size() - zone.size()) != zone) return false;
  return name.size() == zone.size() || name[name.size() - zone.size() - 1] == '.';
}

}  // namespace cxxdns::dns
