#include "core/log/log.h"

#include <unistd.h>

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

}  // namespace cxxdns::log
