// cxxdns: the command line, as CoreDNS's (-conf, -dns.port, -plugins, -version, -quiet,
// -pidfile), plus -workers.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cmd/resolve/resolve.h"
#include "core/log/log.h"
#include "core/plugin/config.h"
#include "core/plugin/registry.h"
#include "core/server/bind_capability.h"
#include "core/server/server.h"
#include "plugins/builtin.h"

namespace {

struct Flags {
  std::string conf = "Corefile";
  bool conf_given = false;
  uint16_t port = 53;
  bool plugins = false, version = false, quiet = false;
  std::string pidfile;
  int workers = 0;
  cxxdns::ServerLimits limits;  // 0: from the open-file limit
};

[[noreturn]] void usage_error(const std::string& msg) {
  std::cerr << msg << "\nUsage of cxxdns:\n"
            << "  -conf string\n\tCorefile to load (default \"Corefile\")\n"
            << "  -dns.port string\n\tDefault port (default \"53\")\n"
            << "  -pidfile string\n\tPath to write pid file\n"
            << "  -plugins\n\tList installed plugins\n"
            << "  -quiet\n\tQuiet mode (no initialization output)\n"
            << "  -version\n\tShow version\n"
            << "  -tcp.max-connections int\n\tClient TCP connections (default: from the "
               "open-file limit)\n"
            << "  -tcp.max-per-client int\n\tClient TCP connections from one address "
               "(default: an eighth of -tcp.max-connections)\n"
            << "  -workers int\n\tWorker threads (default: one per core)\n";
  std::exit(2);
}

int positive(const std::string& v) {
  size_t used = 0;
  int n = std::stoi(v, &used);
  if (n < 1 || used != v.size()) throw std::out_of_range(v);
  return n;
}

// Sets flag `a` from `value` (booleans: `has_value` false means true); throws on a bad value.
void apply_flag(Flags& f, const std::string& a, const std::string& value, bool has_value) {
  const bool flag_bool = !has_value || value == "true" || value == "1";
  if (a == "conf") {
    f.conf = value, f.conf_given = true;
  } else if (a == "dns.port") {
    int p = std::stoi(value);
    if (p < 1 || p > 65535) throw std::out_of_range("port");
    f.port = static_cast<uint16_t>(p);
  } else if (a == "pidfile") {
    f.pidfile = value;
  } else if (a == "workers") {
    f.workers = std::stoi(value);
  } else if (a == "tcp.max-connections") {
    f.limits.tcp_connections = positive(value);
  } else if (a == "tcp.max-per-client") {
    f.limits.tcp_per_client = positive(value);
  } else if (a == "plugins") {
    f.plugins = flag_bool;
  } else if (a == "version") {
    f.version = flag_bool;
  } else if (a == "quiet") {
    f.quiet = flag_bool;
  }
}

// Go's flag syntax: -name, --name, -name=value, -name value; booleans take no value.
Flags parse_flags(int argc, char** argv) {
  Flags f;
  const std::map<std::string, bool> takes_value = {{"conf", true},
                                                   {"dns.port", true},
                                                   {"pidfile", true},
                                                   {"workers", true},
                                                   {"tcp.max-connections", true},
                                                   {"tcp.max-per-client", true},
                                                   {"plugins", false},
                                                   {"version", false},
                                                   {"quiet", false}};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.size() < 2 || a[0] != '-') usage_error("unexpected argument: " + a);
    a = a.substr(a[1] == '-' ? 2 : 1);
    std::string value;
    bool has_value = false;
    if (auto eq = a.find('='); eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      has_value = true;
    }
    auto it = takes_value.find(a);
    if (it == takes_value.end()) usage_error("flag provided but not defined: -" + a);
    if (it->second && !has_value) {
      if (i + 1 >= argc) usage_error("flag needs an argument: -" + a);
      value = argv[++i];
    }
    try {
      apply_flag(f, a, value, has_value);
    } catch (const std::exception&) {
      std::string msg = "invalid value \"";
      msg += value;
      msg += "\" for flag -";
      msg += a;
      usage_error(msg);
    }
  }
  return f;
}

// Writes the pid as CoreDNS does; a file that cannot be written is logged, as CoreDNS's
// "[ERROR] Could not write pidfile: open PATH: REASON", and the server runs on.
bool write_pidfile(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  std::string text = std::to_string(getpid()) + "\n";
  bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) == ssize_t(text.size());
  int err = errno;
  if (fd >= 0 && ::close(fd) != 0 && ok) ok = false, err = errno;
  if (ok) return true;
  std::string reason = std::strerror(err);
  if (!reason.empty()) reason[0] = static_cast<char>(std::tolower(reason[0]));  // as Go's
  cxxdns::log::error("Could not write pidfile: {} {}: {}", fd < 0 ? "open" : "write", path, reason);
  return false;
}

// The pidfile this process wrote, removed however it exits: after Server::run returns, or from
// std::quick_exit (a second SIGINT, SIGQUIT), as CoreDNS removes it.
std::string written_pidfile;

void remove_written_pidfile() {
  if (!written_pidfile.empty()) std::remove(written_pidfile.c_str());
}

void print_version() {
  std::cout << "cxxdns-" << CXXDNS_VERSION << "\n"
            << "linux/amd64, g++ " << __GNUC__ << "." << __GNUC_MINOR__ << "."
            << __GNUC_PATCHLEVEL__ << "\n";
}

void print_plugins() {
  std::cout << "Server types:\n  dns\n\nCaddyfile loaders:\n  flag\n  default\n\nOther plugins:\n";
  std::vector<std::string> names = cxxdns::plugins::builtin().names();
  std::sort(names.begin(), names.end());
  for (auto& n : names) std::cout << "  dns." << n << "\n";
}

// What cxxdns prints once its sockets are bound: each zone and port, then the version.
// As CoreDNS: "tls://.:853" and "https://.:443" for those, ".:53" for plain DNS; a zone
// several blocks serve (views) is one line, as CoreDNS lists each zone once.
std::string banner_text(const cxxdns::Config& config) {
  std::string banner;
  for (const auto& l : config.listeners) {
    const std::string scheme = l.transport == cxxdns::ListenerTransport::dns
                                   ? std::string()
                                   : std::string(cxxdns::transport_scheme(l.transport)) + "://";
    std::vector<std::string_view> shown;
    for (const auto& r : l.routes) {
      if (std::find(shown.begin(), shown.end(), r.zone_text) != shown.end()) continue;
      shown.push_back(r.zone_text);
      banner += scheme + r.zone_text + ":" + std::to_string(l.port) + "\n";
    }
  }
  banner += "cxxdns-" CXXDNS_VERSION "\n";
  return banner;
}

}  // namespace

int main(int argc, char** argv) {
  // SIGHUP is ignored, as CoreDNS does: it comes when the terminal or ssh session that
  // started the server goes away, which must not take DNS down with it.
  std::signal(SIGHUP, SIG_IGN);
  if (argc > 1 && std::string(argv[1]) == "resolve") {
    return cxxdns::resolve::main(argc - 2, argv + 2);
  }
  cxxdns::Registry::set_default(&cxxdns::plugins::builtin());
  Flags f = parse_flags(argc, argv);
  if (f.version) {
    print_version();
    return 0;
  }
  if (f.plugins) {
    print_plugins();
    return 0;
  }

  // Before any thread starts, so that every thread has them blocked: the server reads them
  // from a signalfd (core/server/server_signals.h).
  cxxdns::block_server_signals();
  // Before any thread starts, so that every worker (and a reload's new listeners) has it.
  cxxdns::raise_bind_capability();
  // As Go (and so CoreDNS) does at start; client TCP connections then get what the reserve
  // for upstream sockets and files leaves (core/server/limits.h).
  const uint64_t open_files = cxxdns::raise_open_file_limit();
  int workers = f.workers > 0 ? f.workers : static_cast<int>(std::thread::hardware_concurrency());
  cxxdns::BuildOptions opt;
  opt.default_port = f.port;
  opt.workers = workers;
  std::unique_ptr<cxxdns::Config> config;
  try {
    if (!f.conf_given && !std::filesystem::exists(f.conf)) {
      // CoreDNS's default when there is no Corefile.
      config = cxxdns::load_config_text(".:" + std::to_string(f.port) + " {\nwhoami\nlog\n}\n",
                                        "Corefile", opt);
    } else {
      config = cxxdns::load_config_file(f.conf, opt);
    }
  } catch (const std::exception& e) {
    std::cerr << e.what() << std::endl;
    return 1;
  }

  // A reload reads the file it was started with (never the built-in default).
  cxxdns::Server::Loader loader;
  if (f.conf_given || std::filesystem::exists(f.conf)) {
    loader = [path = f.conf, opt]() mutable {
      ++opt.generation;
      return cxxdns::load_config_file(path, opt);
    };
  }
  cxxdns::Server server(
      std::move(config), workers, loader,
      cxxdns::worker_tcp_limits(f.limits, cxxdns::default_server_limits(open_files), workers));
  try {
    server.bind();
  } catch (const std::exception& e) {
    std::cerr << e.what() << std::endl;
    return 1;
  }
  if (!f.pidfile.empty() && write_pidfile(f.pidfile)) {
    written_pidfile = f.pidfile;
    std::at_quick_exit(remove_written_pidfile);
  }
  if (!f.quiet) {
    const std::string banner = banner_text(server.config());
    std::fwrite(banner.data(), 1, banner.size(), stdout);
    std::fflush(stdout);
  }
  int rc = server.run();
  remove_written_pidfile();
  return rc;
}
