// reload: the Corefile is read every INTERVAL +/- JITTER and a changed one asks the server to
// reload (Services::request_reload), as CoreDNS's reload.
#include <catch2/catch.hpp>

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/plugin/setup.h"
#include "core/plugin/testing.h"

using cxxdns::testing::ChainTest;
using cxxdns::testing::stdout_lines;
using namespace std::chrono_literals;

namespace {

// A Corefile in a directory of its own, removed with it.
class TempCorefile {
 public:
  explicit TempCorefile(const std::string& text) {
    char dir[] = "/tmp/cxxdns-reload-XXXXXX";
    REQUIRE(mkdtemp(dir) != nullptr);
    dir_ = dir;
    write(text);
  }
  ~TempCorefile() { std::filesystem::remove_all(dir_); }
  std::string path() const { return dir_ + "/Corefile"; }
  void write(const std::string& text) const { std::ofstream(path(), std::ios::trunc) << text; }

 private:
  std::string dir_;
};

// The shortest interval and jitter: a check every 1 to 3 seconds.
const std::string kCorefile = ".:53 {\n    reload 2s 1s\n    whoami\n}\n";
// sha512sum of kCorefile.
const std::string kSha512 =
    "ae7ab1edecac1850c89b877d326c2abb1fae6094081d9de2c9f6fec0aeba729bb8e92805f9d69a03938d07b7b26c"
    "48348bb09fda88e71bcea0db1b3e92004c4f";

std::string setup_error(const std::string& reload_line) {
  try {
    std::unique_ptr<ChainTest> t;
    stdout_lines(
        [&] { t = std::make_unique<ChainTest>(". {\n  " + reload_line + "\n  whoami\n}\n"); });
    stdout_lines([&] { t.reset(); });
  } catch (const cxxdns::SetupError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("reload: logs the running configuration's SHA512 at start", "[reload]") {
  TempCorefile file(kCorefile);
  std::unique_ptr<ChainTest> t;
  auto lines = stdout_lines([&] { t = std::make_unique<ChainTest>(ChainTest::File{file.path()}); });
  CHECK(lines == std::vector<std::string>{"[INFO] plugin/reload: Running configuration SHA512 = " +
                                          kSha512});
  CHECK(t->config().services.corefile_path == file.path());
  stdout_lines([&] { t.reset(); });
}

TEST_CASE("reload: after a reload, the new configuration says it is complete", "[reload]") {
  TempCorefile file(kCorefile);
  cxxdns::BuildOptions after;
  after.generation = 1;
  std::unique_ptr<ChainTest> t;
  auto lines =
      stdout_lines([&] { t = std::make_unique<ChainTest>(ChainTest::File{file.path()}, after); });
  CHECK(lines ==
        std::vector<std::string>{"[INFO] plugin/reload: Running configuration SHA512 = " + kSha512,
                                 "[INFO] Reloading complete"});
  stdout_lines([&] { t.reset(); });
}

TEST_CASE("reload: a changed Corefile asks for a reload within the interval, the same one does not",
          "[reload]") {
  TempCorefile file(kCorefile);
  std::unique_ptr<ChainTest> t;
  stdout_lines([&] { t = std::make_unique<ChainTest>(ChainTest::File{file.path()}); });
  int reloads = 0;
  t->config().services.request_reload = [&] { ++reloads; };

  // The same content written again (a new mtime): no reload in the longest interval, 3 s.
  file.write(kCorefile);
  auto quiet = stdout_lines([&] { t->run_until([] { return false; }, 3100ms); });
  CHECK(reloads == 0);
  CHECK(quiet.empty());

  file.write(kCorefile + "example.org {\n    whoami\n}\n");
  const auto changed = std::chrono::steady_clock::now();
  auto lines = stdout_lines([&] { t->run_until([&] { return reloads > 0; }, 10000ms); });
  CHECK(reloads == 1);
  // At most the longest interval, 3 s, and room for a CI machine (sanitizers, tests in
  // parallel) that keeps this process waiting over a second, more than once: an interval
  // not taken from the Corefile (the default, 30 s) or read in the wrong unit still fails.
  CHECK(std::chrono::steady_clock::now() - changed <= 8000ms);
  CHECK(lines == std::vector<std::string>{"[INFO] Reloading"});
  stdout_lines([&] { t.reset(); });
}

TEST_CASE("reload: accepted Corefiles", "[reload]") {
  for (const char* ok : {"reload", "reload 10s", "reload 10s 2s", "reload 2s 1s", "reload 3s 5s",
                         "reload 1m30s 20s"}) {
    CAPTURE(ok);
    CHECK(setup_error(ok) == "no error");
  }
}

TEST_CASE("reload: refused Corefiles name file:line", "[reload]") {
  const std::string e = "plugin/reload: Corefile:2 - Error during parsing: ";
  CHECK(setup_error("reload example.org") == e + "invalid duration 'example.org'");
  CHECK(setup_error("reload 1s") == e + "interval value must be greater or equal to 2s");
  CHECK(setup_error("reload 1999ms") == e + "interval value must be greater or equal to 2s");
  CHECK(setup_error("reload 10s 500ms") == e + "jitter value must be greater or equal to 1s");
  CHECK(setup_error("reload 10s soon") == e + "invalid duration 'soon'");
  CHECK(setup_error("reload 10s 2s 1s") ==
        e + "Wrong argument count or unexpected line ending after '1s'");
  CHECK(setup_error("reload {\n  }") == e + "reload takes no block");
  CHECK(setup_error("reload\n  reload 5s") ==
        "plugin/reload: Corefile:3 - Error during parsing: this plugin can only be used once per "
        "Server Block");
}
