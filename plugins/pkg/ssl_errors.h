// OpenSSL's error queue as one line of text, for the messages of the TLS code (the tls
// plugin's server contexts, forward's tls:// upstreams).
#pragma once

#include <openssl/err.h>

#include <string>

namespace cxxdns::pkg {

// Every error queued on this thread, "; "-separated (empty when there is none); the queue is
// emptied.
inline std::string ssl_errors() {
  std::string out;
  char buf[256];
  while (unsigned long e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

}  // namespace cxxdns::pkg
