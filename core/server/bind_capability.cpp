#include "core/server/bind_capability.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

namespace cxxdns {

namespace {

// CAP_NET_BIND_SERVICE (10) lives in the first 32-bit word of the v3 capability sets.
constexpr uint32_t kBindBit = 1u << CAP_NET_BIND_SERVICE;

bool read_caps(__user_cap_header_struct& hdr, __user_cap_data_struct (&data)[2]) {
  hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  return syscall(SYS_capget, &hdr, data) == 0;
}

}  // namespace

bool raise_bind_capability() {
  __user_cap_header_struct hdr{};
  __user_cap_data_struct data[2]{};
  if (!read_caps(hdr, data)) return false;
  if (data[0].effective & kBindBit) return true;
  if (!(data[0].permitted & kBindBit)) return false;
  data[0].effective |= kBindBit;
  return syscall(SYS_capset, &hdr, data) == 0;
}

const char* privileged_port_hint(unsigned port) {
  __user_cap_header_struct hdr{};
  __user_cap_data_struct data[2]{};
  if (port >= 1024 || !read_caps(hdr, data) || (data[0].effective & kBindBit)) return "";
  return " (a port below 1024 needs the NET_BIND_SERVICE capability: add it to the "
         "container's securityContext, or lower net.ipv4.ip_unprivileged_port_start)";
}

}  // namespace cxxdns
