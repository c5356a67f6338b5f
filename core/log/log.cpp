#include "core/log/log.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>

namespace cxxdns::log {

void write_line(std::string_view line) {
  // Small lines go out in one write; a stack buffer avoids a heap copy for the newline.
  char buf[4096];
  const char* data = buf;
  size_t len = line.size() + 1;
  std::string big;
  if (len <= sizeof buf) {
    line.copy(buf, line.size());
    buf[line.size()] = '\n';
  } else {
    big.assign(line);
    big.push_back('\n');
    data = big.data();
  }
  while (len > 0) {
    ssize_t n = ::write(STDOUT_FILENO, data, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data += n;
    len -= static_cast<size_t>(n);
  }
}

namespace {
std::atomic<int> debug_users{0};
}  // namespace

bool debug_enabled() {
  return debug_users.load(std::memory_order_relaxed) > 0;
}

void debug_on() {
  debug_users.fetch_add(1, std::memory_order_relaxed);
}

void debug_off() {
  debug_users.fetch_sub(1, std::memory_order_relaxed);
}

std::string hexdump(std::span<const uint8_t> data) {
  std::string out;
  out.reserve(data.size() * 3 + (data.size() / 16 + 2) * 15);
  for (size_t i = 0; i < data.size(); ++i) {
    if (i % 16 == 0) {
      if (i) out += '\n';
      out += fmt::format("debug: {:06x}", i);
    }
    out += fmt::format(" {:02x}", data[i]);
  }
  out += fmt::format("\ndebug: {:06x}", data.size());
  return out;
}

void debug_hexdump(std::string_view what, std::span<const uint8_t> data) {
  if (!debug_enabled()) return;
  std::string line = "[DEBUG] ";
  line += what;
  line += '\n';
  line += hexdump(data);
  write_line(line);
}

}  // namespace cxxdns::log
