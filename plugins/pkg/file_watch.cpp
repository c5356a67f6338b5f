#include "plugins/pkg/file_watch.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "core/log/log.h"

namespace cxxdns::pkg {

FileWatch::FileWatch(std::string path, std::string who, Load load)
    : path_(std::move(path)), who_(std::move(who)), load_(std::move(load)) {}

bool FileWatch::check() {
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) {
    if (mtime_ns_ != -2) log::warning("{}: File does not exist: {}", who_, path_);
    mtime_ns_ = -2;
    return false;
  }
  const int64_t mtime = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  if (mtime == mtime_ns_ && st.st_size == size_) return false;
  // Remembered before loading: a version that is refused is reported once, not every tick.
  mtime_ns_ = mtime;
  size_ = st.st_size;
  std::string content;
  {
    std::ifstream in(path_, std::ios::binary);
    if (!in) {
      log::error("{}: cannot read {}: keeping the last good data", who_, path_);
      mtime_ns_ = -1;  // tried again at the next look
      return false;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    content = std::move(ss).str();
  }
  return load_(content, st.st_mtim.tv_sec);
}

void FileWatch::start(uv_loop_t* loop, uint64_t interval_ms) {
  timer_.start(loop, interval_ms, interval_ms, [this] { check(); });
}

}  // namespace cxxdns::pkg
