// etcd v3 through its JSON gateway (POST /v3/kv/range, /v3/watch, /v3/auth/authenticate)
// with libcurl, blocking: it runs on the plugin's own thread, never on a worker.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace cxxdns::plugins::etcd {

struct ClientConfig {
  std::vector<std::string> endpoints{"http://localhost:2379"};
  std::string username, password;
  std::string cert_file, key_file, ca_file;  // tls CERT KEY CACERT
};

// One key-value pair as the gateway gives it (base64 decoded).
struct KeyValue {
  std::string key, value;
};

class Client {
 public:
  Client(ClientConfig cfg, const std::atomic<bool>& stop);

  // Every key starting with `prefix`, and the store's revision; false with error() set
  // when no endpoint answered.
  bool range_prefix(const std::string& prefix, std::vector<KeyValue>& out, int64_t& revision);
  // Watches the keys starting with `prefix` from `revision` on; returns once one changes,
  // the watch ends, or `max_wait_s` passed (true), or the watch could not be made (false).
  bool wait_for_change(const std::string& prefix, int64_t revision, long max_wait_s);
  const std::string& error() const { return error_; }

 private:
  // POSTs `body` to the current endpoint's `path`; `on_body` gets the response (2xx) as it
  // comes and returns false to end the transfer. Moves to the next endpoint on a transport
  // error. Returns the HTTP status, 0 when there was no response.
  long post(const std::string& path, const std::string& body,
            const std::function<bool(std::string_view)>& on_body, long timeout_s);
  bool authenticate();

  ClientConfig cfg_;
  const std::atomic<bool>& stop_;
  size_t endpoint_ = 0;
  std::string token_;
  std::string error_;
};

std::string base64_encode(std::string_view in);
bool base64_decode(std::string_view in, std::string& out);
// The range_end etcd takes for "every key starting with `prefix`".
std::string prefix_end(std::string prefix);

}  // namespace cxxdns::plugins::etcd
