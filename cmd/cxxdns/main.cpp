// cxxdns: the command line, as CoreDNS's (-conf, -dns.port, -plugins, -version, -quiet,
// -pidfile), plus -workers.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>

#include "cmd/resolve/resolve.h"
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
};

[[noreturn]] void usage_error(const std::string& msg) {
  std::cerr << msg << "\nUsage of cxxdns:\n"
            << "  -conf string\n\tCorefile to load (default \"Corefile\")\n"
            << "  -dns.port string\n\tDefault port (default \"53\")\n"
            << "  -pidfile string\n\tPath to write pid file\n"
            << "  -plugins\n\tList installed plugins\n"
            << "  -quiet\n\tQuiet mode (no initialization output)\n"
            << "  -version\n\tShow version\n"
            << "  -workers int\n\tWorker threads (default: one per core)\n";
  std::exit(2);
}

// One flag's value into `f`; throws on a value that is not one.
void set_flag(Flags& f, const std::string& name, const std::string& value, bool has_value) {
  const bool on = !has_value || value == "true" || value == "1";  // a boolean flag
  if (name == "conf") {
    f.conf = value;
    f.conf_given = true;
  } else if (name == "dns.port") {
    const int p = std::stoi(value);
    if (p < 1 || p > 65535) throw std::out_of_range("port");
    f.port = static_cast<uint16_t>(p);
  } else if (name == "pidfile") {
    f.pidfile = value;
  } else if (name == "workers") {
    f.workers = std::stoi(value);
  } else if (name == "plugins") {
    f.plugins = on;
  } else if (name == "version") {
    f.version = on;
  } else if (name == "quiet") {
    f.quiet = on;
  }
}

// Go's flag syntax: -name, --name, -name=value, -name value; booleans take no value.
Flags parse_flags(int argc, char** argv) {
  Flags f;
  const std::map<std::string, bool> takes_value = {
      {"conf", true},     {"dns.port", true}, {"pidfile", true}, {"workers", true},
      {"plugins", false}, {"version", false}, {"quiet", false}};
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
      set_flag(f, a, value, has_value);
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

}  // namespace

int main(int argc, char** argv) {
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

  // Before any thread starts, so that every worker (and a reload's new listeners) has it.
  cxxdns::raise_bind_capability();
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
  cxxdns::Server server(std::move(config), workers, loader);
  try {
    server.bind();
  } catch (const std::exception& e) {
    std::cerr << e.what() << std::endl;
    return 1;
  }
  if (!f.pidfile.empty()) {
    std::ofstream(f.pidfile) << getpid() << "\n";
  }
  if (!f.quiet) {
    std::string banner;
    for (auto& l : server.config().listeners) {
      for (auto& r : l.routes) banner += r.zone_text + ":" + std::to_string(l.port) + "\n";
    }
    banner += "cxxdns-" CXXDNS_VERSION "\n";
    std::fwrite(banner.data(), 1, banner.size(), stdout);
    std::fflush(stdout);
  }
  int rc = server.run();
  if (!f.pidfile.empty()) std::remove(f.pidfile.c_str());
  return rc;
}
