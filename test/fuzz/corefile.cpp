// (c) The Corefile: lexer and parser (corefile::parse), then the whole build
// (load_config_text) so every plugin's setup sees fuzzed arguments. Setups only validate
// and read files (hosts, filter_file, tls); nothing is started, so nothing binds or writes.
#include <cstdlib>
#include <string_view>

#include "common.h"
#include "core/corefile/corefile.h"
#include "core/plugin/config.h"
#include "core/plugin/setup.h"

using namespace cxxdns;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet_stdout();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // Device and kernel files can be endless or block (a setup reading /dev/zero): not input
  // anyone writes into a Corefile by accident, and not what this target is after.
  for (std::string_view bad : {"/dev", "/proc", "/sys"})
    if (text.find(bad) != std::string_view::npos) return 0;

  corefile::ParseOptions po;
  po.getenv = [](const std::string& name) -> std::optional<std::string> {
    if (name == "EMPTY") return std::string();
    if (name.size() % 2) return std::nullopt;
    return std::string("env value {");
  };
  try {
    (void)corefile::parse(text, "Corefile", po);
  } catch (const corefile::ParseError&) {
  }
  try {
    BuildOptions o;
    o.default_port = 5300;
    (void)load_config_text(text, "Corefile", o);
  } catch (const corefile::ParseError&) {
  } catch (const SetupError&) {
  }
  return 0;
}
