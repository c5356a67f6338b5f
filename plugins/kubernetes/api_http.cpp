#include "plugins/kubernetes/api_http.h"

#include <fstream>
#include <sstream>

#include "plugins/pkg/curl_library.h"

namespace cxxdns::plugins::k8s {
namespace {

using pkg::curl_library;
using pkg::CurlLibrary;

struct Transfer {
  const std::function<bool(std::string_view)>* on_body;
  const std::atomic<bool>* stop;
  std::string* error_body;
  CURL* curl;
  const CurlLibrary* lib;
  const std::function<void(long)>* on_status;
  bool aborted = false;
  bool status_told = false;

  void tell_status(long status) {
    if (status_told) return;
    status_told = true;
    if (*on_status) (*on_status)(status);
  }
};

// The end of a header block ("\r\n") of a final response: its status is known.
size_t on_header(char* data, size_t size, size_t n, void* p) {
  auto* t = static_cast<Transfer*>(p);
  std::string_view line(data, size * n);
  if (line == "\r\n" || line == "\n") {
    long status = 0;
    t->lib->easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200) t->tell_status(status);
  }
  return size * n;
}

size_t on_write(char* data, size_t size, size_t n, void* p) {
  auto* t = static_cast<Transfer*>(p);
  long status = 0;
  t->lib->easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  std::string_view chunk(data, size * n);
  if (status < 200 || status > 299) {
    if (t->error_body && t->error_body->size() < 4096) t->error_body->append(chunk);
    return size * n;
  }
  if (!(*t->on_body)(chunk)) {
    t->aborted = true;
    return 0;  // curl ends the transfer with CURLE_WRITE_ERROR
  }
  return size * n;
}

int on_progress(void* p, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(p);
  if (t->stop->load(std::memory_order_relaxed)) {
    t->aborted = true;
    return 1;
  }
  return 0;
}

std::string read_token(const std::string& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string t = ss.str();
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  return t;
}

curl_blob blob(const std::string& s) {
  return curl_blob{const_cast<char*>(s.data()), s.size(), CURL_BLOB_COPY};
}

}  // namespace

HttpResult http_get(const ApiConfig& cfg, const std::string& path,
                    const std::function<bool(std::string_view)>& on_body,
                    const std::atomic<bool>& stop, long total_timeout_s, std::string* error_body,
                    const std::function<void(long)>& on_status) {
  HttpResult r;
  const CurlLibrary* lib = curl_library(&r.error);
  if (!lib) return r;
  CURL* c = lib->easy_init();
  if (!c) {
    r.error = "curl_easy_init failed";
    return r;
  }
  Transfer t{&on_body, &stop, error_body, c, lib, &on_status};
  std::string url = cfg.server + path;
  lib->easy_setopt(c, CURLOPT_URL, url.c_str());
  lib->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  lib->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  lib->easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
  lib->easy_setopt(c, CURLOPT_TIMEOUT, total_timeout_s);
  lib->easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);  // notice a dead peer on a quiet watch
  lib->easy_setopt(c, CURLOPT_TCP_KEEPIDLE, 30L);
  lib->easy_setopt(c, CURLOPT_TCP_KEEPINTVL, 10L);
  lib->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
  lib->easy_setopt(c, CURLOPT_WRITEDATA, &t);
  lib->easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  lib->easy_setopt(c, CURLOPT_HEADERDATA, &t);
  lib->easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  lib->easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  lib->easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  lib->easy_setopt(c, CURLOPT_USERAGENT, "cxxdns");
  if (!cfg.ca_file.empty()) lib->easy_setopt(c, CURLOPT_CAINFO, cfg.ca_file.c_str());
  curl_blob ca = blob(cfg.ca_pem), cert = blob(cfg.cert_pem), key = blob(cfg.key_pem);
  if (!cfg.ca_pem.empty()) lib->easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
  if (!cfg.cert_file.empty()) lib->easy_setopt(c, CURLOPT_SSLCERT, cfg.cert_file.c_str());
  if (!cfg.key_file.empty()) lib->easy_setopt(c, CURLOPT_SSLKEY, cfg.key_file.c_str());
  if (!cfg.cert_pem.empty()) lib->easy_setopt(c, CURLOPT_SSLCERT_BLOB, &cert);
  if (!cfg.key_pem.empty()) lib->easy_setopt(c, CURLOPT_SSLKEY_BLOB, &key);
  if (cfg.insecure) {
    lib->easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    lib->easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  curl_slist* headers = lib->slist_append(nullptr, "Accept: application/json");
  std::string token = cfg.token_file.empty() ? cfg.token : read_token(cfg.token_file);
  if (token.empty() && !cfg.token_file.empty()) token = cfg.token;
  if (!token.empty()) {
    std::string h = "Authorization: Bearer " + token;
    headers = lib->slist_append(headers, h.c_str());
  }
  lib->easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  CURLcode rc = lib->easy_perform(c);
  lib->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  r.aborted = t.aborted;
  t.tell_status(r.status);  // no final header block came (a transport error)
  if (rc != CURLE_OK && !t.aborted) r.error = lib->easy_strerror(rc);
  lib->slist_free_all(headers);
  lib->easy_cleanup(c);
  return r;
}

}  // namespace cxxdns::plugins::k8s
