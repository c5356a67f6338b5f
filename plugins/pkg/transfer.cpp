#include "plugins/pkg/transfer.h"

#include <cstdio>
#include <memory>

#include "core/plugin/config.h"
#include "core/plugin/setup.h"

namespace cxxdns::pkg {

TransferHub& transfer_hub(SetupContext& sc) {
  // Keyed by the block's address: stable for the configuration's life.
  char key[64];
  std::snprintf(key, sizeof key, "pkg/transfer-hub/%p", static_cast<const void*>(&sc.block()));
  auto& slot = sc.services().shared[key];
  if (!slot) slot = std::make_shared<TransferHub>();
  return *static_cast<TransferHub*>(slot.get());
}

}  // namespace cxxdns::pkg
