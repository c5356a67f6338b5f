#include "plugins/reload/reload.h"

#include <openssl/evp.h>

#include <fstream>
#include <iterator>

#include "core/log/log.h"

namespace cxxdns::plugins {

std::string sha512_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!EVP_Digest(data.data(), data.size(), md, &len, EVP_sha512(), nullptr)) return {};
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 0xf];
  }
  return out;
}

Reload::Reload(std::string path, std::chrono::nanoseconds interval, std::chrono::nanoseconds jitter,
               std::function<void()> request_reload, bool after_reload)
    : path_(std::move(path)),
      interval_(interval),
      jitter_(jitter),
      request_reload_(std::move(request_reload)),
      after_reload_(after_reload),
      hash_(sha512_file(path_)) {}

void Reload::start(ControlInfo& control) {
  log::info("plugin/reload: Running configuration SHA512 = {}", hash_);
  if (after_reload_) log::info("Reloading complete");
  timer_.start(control.loop, interval_ms(), 0, [this] { check(); });
}

uint64_t Reload::interval_ms() {
  // interval +/- jitter, so that replicas reading one ConfigMap do not reload in lockstep.
  int64_t j = jitter_.count();
  int64_t delay = interval_.count();
  if (j > 0) delay += std::uniform_int_distribution<int64_t>(-j, j)(rng_);
  return static_cast<uint64_t>(std::max<int64_t>(delay / 1000000, 1));
}

void Reload::check() {
  std::string now = sha512_file(path_);
  if (!now.empty() && now != hash_) {
    // Remember it either way: a Corefile that fails to load is not retried until it changes.
    hash_ = now;
    log::info("Reloading");
    if (request_reload_) request_reload_();
  }
  timer_.restart(interval_ms());
}

}  // namespace cxxdns::plugins
