#include "plugins/etcd/client.h"

#include <nlohmann/json.hpp>

#include "plugins/pkg/curl_library.h"

namespace cxxdns::plugins::etcd {
namespace {

using json = nlohmann::json;

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

struct Transfer {
  const std::function<bool(std::string_view)>* on_body;
  const std::atomic<bool>* stop;
  std::string error_body;
  const pkg::CurlLibrary* lib;
  CURL* curl;
};

size_t on_write(char* data, size_t size, size_t n, void* p) {
  auto* t = static_cast<Transfer*>(p);
  long status = 0;
  t->lib->easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  std::string_view chunk(data, size * n);
  if (status < 200 || status > 299) {
    if (t->error_body.size() < 1024) t->error_body.append(chunk);
    return size * n;
  }
  return (*t->on_body)(chunk) ? size * n : 0;
}

int on_progress(void* p, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<Transfer*>(p)->stop->load(std::memory_order_relaxed) ? 1 : 0;
}

// A gateway int64 ("5", as proto3's JSON writes them) or a plain number.
int64_t read_int64(const json& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_string()) return std::strtoll(v.get<std::string>().c_str(), nullptr, 10);
  return 0;
}

}  // namespace

std::string base64_encode(std::string_view in) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kB64[(v >> s) & 63];
  }
  if (i < in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) v |= uint8_t(in[i + 1]) << 8;
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += i + 1 < in.size() ? kB64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool base64_decode(std::string_view in, std::string& out) {
  out.clear();
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    int v = b64_value(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return true;
}

std::string prefix_end(std::string prefix) {
  while (!prefix.empty()) {
    auto& c = reinterpret_cast<unsigned char&>(prefix.back());
    if (c < 0xff) {
      ++c;
      return prefix;
    }
    prefix.pop_back();
  }
  return std::string(1, '\0');  // every key
}

Client::Client(ClientConfig cfg, const std::atomic<bool>& stop)
    : cfg_(std::move(cfg)), stop_(stop) {}

long Client::post(const std::string& path, const std::string& body,
                  const std::function<bool(std::string_view)>& on_body, long timeout_s) {
  const pkg::CurlLibrary* lib = pkg::curl_library(&error_);
  if (!lib) return 0;
  CURL* c = lib->easy_init();
  if (!c) {
    error_ = "curl_easy_init failed";
    return 0;
  }
  const std::string& endpoint = cfg_.endpoints[endpoint_ % cfg_.endpoints.size()];
  std::string url = endpoint + path;
  Transfer t{&on_body, &stop_, {}, lib, c};
  lib->easy_setopt(c, CURLOPT_URL, url.c_str());
  lib->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  lib->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  lib->easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
  lib->easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
  lib->easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
  lib->easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  lib->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
  lib->easy_setopt(c, CURLOPT_WRITEDATA, &t);
  lib->easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  lib->easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  lib->easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  lib->easy_setopt(c, CURLOPT_USERAGENT, "cxxdns");
  if (!cfg_.ca_file.empty()) lib->easy_setopt(c, CURLOPT_CAINFO, cfg_.ca_file.c_str());
  if (!cfg_.cert_file.empty()) lib->easy_setopt(c, CURLOPT_SSLCERT, cfg_.cert_file.c_str());
  if (!cfg_.key_file.empty()) lib->easy_setopt(c, CURLOPT_SSLKEY, cfg_.key_file.c_str());
  curl_slist* headers = lib->slist_append(nullptr, "Content-Type: application/json");
  if (!token_.empty()) headers = lib->slist_append(headers, ("Authorization: " + token_).c_str());
  lib->easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  CURLcode rc = lib->easy_perform(c);
  long status = 0;
  lib->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (rc != CURLE_OK && rc != CURLE_WRITE_ERROR && rc != CURLE_OPERATION_TIMEDOUT) {
    error_ = url + ": " + lib->easy_strerror(rc);
    if (status == 0) ++endpoint_;  // no answer: try the next endpoint next time
  } else if (status < 200 || status > 299) {
    error_ = url + ": HTTP " + std::to_string(status) + " " + t.error_body;
  }
  lib->slist_free_all(headers);
  lib->easy_cleanup(c);
  return rc == CURLE_OK || rc == CURLE_WRITE_ERROR || rc == CURLE_OPERATION_TIMEDOUT ? status : 0;
}

bool Client::authenticate() {
  if (cfg_.username.empty() || !token_.empty()) return true;
  std::string body;
  json req = {{"name", cfg_.username}, {"password", cfg_.password}};
  long st = post(
      "/v3/auth/authenticate", req.dump(),
      [&](std::string_view b) {
        body.append(b);
        return true;
      },
      10);
  if (st != 200) return false;
  json j = json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("token") || !j["token"].is_string()) {
    error_ = "etcd authentication: no token in the answer";
    return false;
  }
  token_ = j["token"].get<std::string>();
  return true;
}

namespace {

// The kvs and revision of a range answer.
bool read_range(const std::string& body, std::vector<KeyValue>& out, int64_t& revision,
                std::string& error) {
  json j = json::parse(body, nullptr, false);
  if (!j.is_object()) {
    error = "etcd range: not a JSON object";
    return false;
  }
  if (j.contains("header") && j["header"].is_object()) {
    revision = read_int64(j["header"].value("revision", json(0)));
  }
  if (!j.contains("kvs")) return true;
  for (const auto& kv : j["kvs"]) {
    KeyValue x;
    if (!base64_decode(kv.value("key", ""), x.key) ||
        !base64_decode(kv.value("value", ""), x.value)) {
      error = "etcd range: bad base64";
      return false;
    }
    out.push_back(std::move(x));
  }
  return true;
}

}  // namespace

bool Client::range_prefix(const std::string& prefix, std::vector<KeyValue>& out,
                          int64_t& revision) {
  out.clear();
  for (size_t tries = 0; tries < cfg_.endpoints.size(); ++tries) {
    if (!authenticate()) continue;
    json req = {{"key", base64_encode(prefix)}, {"range_end", base64_encode(prefix_end(prefix))}};
    std::string body;
    long st = post(
        "/v3/kv/range", req.dump(),
        [&](std::string_view b) {
          body.append(b);
          return true;
        },
        10);
    if (st == 401) token_.clear();  // an expired token: authenticate again
    if (st == 200) return read_range(body, out, revision, error_);
    if (stop_) return false;
  }
  return false;
}

bool Client::wait_for_change(const std::string& prefix, int64_t revision, long max_wait_s) {
  json req = {{"create_request",
               {{"key", base64_encode(prefix)},
                {"range_end", base64_encode(prefix_end(prefix))},
                {"start_revision", std::to_string(revision + 1)}}}};
  std::string seen;
  long st = post(
      "/v3/watch", req.dump(),
      [&](std::string_view b) {
        seen.append(b);
        // An event, a cancel (compaction) or an error ends the wait: the caller reads again.
        return seen.find("\"events\"") == std::string::npos &&
               seen.find("\"canceled\"") == std::string::npos &&
               seen.find("\"error\"") == std::string::npos;
      },
      max_wait_s);
  return st == 200;
}

}  // namespace cxxdns::plugins::etcd
