#include "common.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace fuzz {

void quiet_stdout() {
  if (std::getenv("FUZZ_VERBOSE")) return;
  int fd = ::open("/dev/null", O_WRONLY);
  if (fd >= 0) {
    ::dup2(fd, STDOUT_FILENO);
    ::close(fd);
  }
}

namespace {
struct TempDir {
  std::string dir;
  TempDir() {
    char tmpl[] = "/tmp/cxxdns-fuzz-XXXXXX";
    dir = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(dir); }
};
}  // namespace

const std::string& temp_file(const uint8_t* data, size_t size) {
  static TempDir d;
  static std::string path = d.dir + "/input";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size) std::fwrite(data, 1, size, f);
  std::fclose(f);
  return path;
}

}  // namespace fuzz
