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
  std::string text =
      "# cxxdns fakeip mappings: ADDRESS NAME, least recently used first; a later line wins\n";
  for (FakePool* p : pools) {
    for (auto& [addr, name] : p->entries()) text.append(addr).append(" ").append(name) += '\n';
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

std::string append_mappings(const std::string& path, const std::vector<Mapping>& lines) {
  std::string text;
  for (auto& [addr, name] : lines) text.append(addr).append(" ").append(name) += '\n';
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return "cannot append to " + path + ": " + std::strerror(errno);
  bool ok = write_all(fd, text) && ::fdatasync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok) return "cannot append to " + path + ": " + std::strerror(err);
  return {};
}

namespace {

// Reads one "ADDRESS NAME" line into its pool; the reason when it cannot.
std::string apply_line(std::string_view line, const std::vector<FakePool*>& pools, uint64_t now_s) {
  size_t sp = line.find(' ');
  if (sp == std::string::npos || line.find(' ', sp + 1) != std::string::npos) {
    return "not an 'ADDRESS NAME' line";
  }
  std::string_view addr = line.substr(0, sp);
  std::string_view name = line.substr(sp + 1);
  FakePool* pool = nullptr;
  uint64_t off = 0;
  for (FakePool* p : pools) {
    if (p->offset_of(addr, off)) {
      pool = p;
      break;
    }
  }
  if (!pool) return "address '" + std::string(addr) + "' is not in a fakeip range";
  dns::Name n;
  if (!dns::from_text(name, n) || dns::canonical(name) != name) {
    return "bad name '" + std::string(name) + "'";
  }
  pool->insert(name, off, now_s);
  return {};
}

}  // namespace

Loaded load_mappings(const std::string& path, const std::vector<FakePool*>& pools, uint64_t now_s) {
  std::ifstream in(path);
  Loaded r;
  if (!in) return r;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (in.eof()) {
      // No newline after it: an append cut short (a crash, a full disk). What came before
      // stands.
      if (!line.empty())
        log::warning("plugin/fakeip: {}:{}: incomplete last line ignored", path, lineno);
      break;
    }
    if (line.empty() || line[0] == '#') continue;
    std::string why = apply_line(line, pools, now_s);
    if (!why.empty()) {
      log::warning("plugin/fakeip: {}:{}: {}; ignoring the persist file, starting empty", path,
                   lineno, why);
      for (FakePool* p : pools) p->clear();
      return Loaded{};
    }
    ++r.lines;
  }
  if (in.bad()) {
    log::warning("plugin/fakeip: {}: read error; ignoring the persist file, starting empty", path);
    for (FakePool* p : pools) p->clear();
    return Loaded{};
  }
  for (FakePool* p : pools) r.mappings += p->used();
  return r;
}

}  // namespace cxxdns::plugins
