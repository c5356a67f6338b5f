// One HTTPS GET to the API server through libcurl, blocking (it runs on the source's own
// threads, never on a worker), streaming the body to a callback.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>

#include "plugins/kubernetes/api_config.h"

namespace cxxdns::plugins::k8s {

struct HttpResult {
  long status = 0;       // HTTP status; 0 when no response came (see error)
  std::string error;     // transport error text, empty when the transfer completed
  bool aborted = false;  // the callback or `stop` ended it
};

// GETs `cfg.server + path`. The bearer token file is re-read for every request, so a
// rotated service-account token is used from the next (re)connection on. `on_body` gets the
// body as it arrives (for a 2xx status only; other bodies are collected into `error_body`)
// and returns false to end the transfer. `stop` aborts within about a second.
// `total_timeout_s` 0 means none (watches). `on_status` (if set) gets the HTTP status once,
// as soon as the response's headers are in (a watch's status is known long before it ends),
// or 0 when no response came.
HttpResult http_get(const ApiConfig& cfg, const std::string& path,
                    const std::function<bool(std::string_view)>& on_body,
                    const std::atomic<bool>& stop, long total_timeout_s,
                    std::string* error_body = nullptr,
                    const std::function<void(long)>& on_status = {});

}  // namespace cxxdns::plugins::k8s
