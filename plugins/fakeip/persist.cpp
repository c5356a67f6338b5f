#include "plugins/fakeip/persist.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/dns/name.h"
#include "core/log/log.h"

namespace cxxdns::plugins {

namespace {

bool write_all(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += size_t(n);
  }
  return true;
}

}  // namespace

std::string save_mappings(const std::string& path, const std::vector<FakePool*>& pools) {
  std::string text = "# cxxdns fakeip mappings: ADDRESS NAME, least recently used first\n";
  for (FakePool* p : pools) {
    for (auto& [addr, name] : p->entries()) text += addr + " " + name + "\n";
  }
  // The temp file must be in the same directory for rename() to be atomic.
  std::string tmp = path + ".tmpXXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) return "cannot create " + tmp + ": " + std::strerror(errno);
  bool ok = write_all(fd, text) && ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    if (ok) err = errno;
    ::unlink(tmp.c_str());
    return "cannot write " + path + ": " + std::strerror(err);
  }
  return {};
}

size_t load_mappings(const std::string& path, const std::vector<FakePool*>& pools) {
  std::ifstream in(path);
  if (!in) return 0;
  std::string line;
  int lineno = 0;
  size_t loaded = 0;
  auto damaged = [&](std::string_view why) {
    log::warning("plugin/fakeip: {}:{}: {}; ignoring the persist file, starting empty", path,
                 lineno, why);
    for (FakePool* p : pools) p->clear();
    return size_t(0);
  };
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    size_t sp = line.find(' ');
    if (sp == std::string::npos || line.find(' ', sp + 1) != std::string::npos) {
      return damaged("not an 'ADDRESS NAME' line");
    }
    std::string_view addr = std::string_view(line).substr(0, sp);
    std::string_view name = std::string_view(line).substr(sp + 1);
    FakePool* pool = nullptr;
    uint64_t off = 0;
    for (FakePool* p : pools) {
      if (p->offset_of(addr, off)) {
        pool = p;
        break;
      }
    }
    if (!pool) return damaged("address '" + std::string(addr) + "' is not in a fakeip range");
    dns::Name n;
    if (!dns::from_text(name, n) || dns::canonical(name) != name) {
      return damaged("bad name '" + std::string(name) + "'");
    }
    if (!pool->insert(name, off)) return damaged("name or address given twice");
    ++loaded;
  }
  if (in.bad()) return damaged("read error");
  return loaded;
}

}  // namespace cxxdns::plugins
