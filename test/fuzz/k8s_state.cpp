// (d) The kubernetes state file (kubectl ... -o json) parser, then the index built from it.
#include <string>
#include <string_view>

#include "common.h"
#include "plugins/kubernetes/state_file.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet_stdout();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  cxxdns::plugins::k8s::ClusterState state;
  std::string error;
  (void)cxxdns::plugins::k8s::parse_state(text, state, error);
  return 0;
}
