// A data file a plugin serves from (hosts, a cluster state): read again when its
// modification time or size changes, polled from the control loop as CoreDNS's hosts and
// file plugins do. A file that is missing or unreadable is reported once; a version the
// plugin refuses is reported by the plugin; either way the last good data keeps serving.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>

#include "plugins/pkg/timer.h"

namespace cxxdns::pkg {

class FileWatch {
 public:
  // `load` gets the whole content of a changed file and returns whether it took it.
  using Load = std::function<bool(const std::string& content, int64_t mtime_sec)>;

  // `who` prefixes the log lines ("plugin/hosts").
  FileWatch(std::string path, std::string who, Load load);

  // Reads the file when it changed since the last look; true when `load` took it.
  bool check();
  // Checks every `interval_ms` on `loop` until stop().
  void start(uv_loop_t* loop, uint64_t interval_ms);
  void stop() { timer_.close(); }

  const std::string& path() const { return path_; }

 private:
  std::string path_, who_;
  Load load_;
  int64_t mtime_ns_ = -1;  // -2: missing (reported once)
  int64_t size_ = -1;
  Timer timer_;
};

}  // namespace cxxdns::pkg
