// process_* as the Go client's process collector exports them, read from /proc/self.
#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <mutex>
#include <sstream>
#include <string>

#include "core/metrics/metrics.h"

namespace cxxdns::metrics {

namespace {

double boot_time() {
  std::ifstream in("/proc/stat");
  std::string key;
  double v = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> v;
      return v;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

int open_fds() {
  DIR* d = opendir("/proc/self/fd");
  if (!d) return 0;
  int n = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n - 1;  // the directory's own descriptor
}

}  // namespace

void register_process_metrics(Registry& r) {
  static std::once_flag once;
  std::call_once(once, [&r] {
    Gauge& cpu = r.gauge("process_cpu_seconds_total",
                         "Total user and system CPU time spent in seconds.", {}, true)
                     .with({});
    Gauge& fds = r.gauge("process_open_fds", "Number of open file descriptors.").with({});
    Gauge& max_fds =
        r.gauge("process_max_fds", "Maximum number of open file descriptors.").with({});
    Gauge& rss =
        r.gauge("process_resident_memory_bytes", "Resident memory size in bytes.").with({});
    Gauge& vsz = r.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.").with({});
    Gauge& start = r.gauge("process_start_time_seconds",
                           "Start time of the process since unix epoch in seconds.")
                       .with({});
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    const double btime = boot_time();
    r.on_collect([&, ticks, page, btime] {
      std::ifstream in("/proc/self/stat");
      std::string line;
      std::getline(in, line);
      // Fields after the command name, which may hold spaces: start after its ')'.
      size_t close = line.rfind(')');
      if (close == std::string::npos) return;
      std::istringstream f(line.substr(close + 2));
      std::string field[23];
      for (auto& x : field) f >> x;
      // field[0] is stat's field 3 (state): utime 14, stime 15, starttime 22, vsize 23, rss 24.
      cpu.set((std::stod(field[11]) + std::stod(field[12])) / ticks);
      start.set(btime + std::stod(field[19]) / ticks);
      vsz.set(std::stod(field[20]));
      rss.set(std::stod(field[21]) * page);
      fds.set(open_fds());
      rlimit rl{};
      if (getrlimit(RLIMIT_NOFILE, &rl) == 0) max_fds.set(static_cast<double>(rl.rlim_cur));
    });
  });
}

}  // namespace cxxdns::metrics
