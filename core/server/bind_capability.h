// Ports below 1024 as a non-root user, the way a container image can allow it safely.
//
// The image gives /usr/bin/cxxdns the file capability cap_net_bind_service=+p: permitted
// but not effective. With the effective bit (+ep, as the CoreDNS image has it) the kernel
// refuses to exec the binary at all ("operation not permitted") when the pod's capability
// set lacks NET_BIND_SERVICE, even for a Corefile on port 1053. Permitted-only, the binary
// always starts, and raises the capability itself when it has it.
#pragma once

namespace cxxdns {

// Makes CAP_NET_BIND_SERVICE effective in the calling thread when it is permitted (threads
// started afterwards inherit it). Returns whether it is effective now. Call it before any
// worker thread starts.
bool raise_bind_capability();

// Why binding a port below 1024 was refused, for the bind error: empty when the port is
// not privileged or the capability is effective (the error is then something else).
const char* privileged_port_hint(unsigned port);

}  // namespace cxxdns
