#include "plugins/forward/doh_client.h"

#include <algorithm>

#include "core/server/doh.h"
#include "plugins/forward/options.h"

namespace cxxdns::plugins::forward {

// libcurl's own limit on a transfer, behind the exchange's try timer (which ends a try first).
constexpr long kTransferTimeoutMs = 6000;

struct DohClient::Request {
  DohClient* client = nullptr;
  pkg::LoopHttp::Request* http = nullptr;
  DohDone done = nullptr;
  void* owner = nullptr;
  std::string url;  // GET: with ?dns=
};

DohClient::DohClient(uv_loop_t* loop, const pkg::CurlLibrary& curl)
    : curl_(curl), http_(new pkg::LoopHttp(loop, curl)) {
  headers_ = curl_.slist_append(nullptr, "Accept: application/dns-message");
  post_headers_ = curl_.slist_append(nullptr, "Accept: application/dns-message");
  post_headers_ = curl_.slist_append(post_headers_, "Content-Type: application/dns-message");
}

DohClient::~DohClient() {
  curl_.slist_free_all(headers_);
  curl_.slist_free_all(post_headers_);
  for (auto& [up, list] : resolve_) curl_.slist_free_all(list);
}

curl_slist* DohClient::resolve_list(const Upstream& up) {
  if (up.doh_resolve.empty()) return nullptr;
  auto [it, added] = resolve_.try_emplace(&up, nullptr);
  if (added) it->second = curl_.slist_append(nullptr, up.doh_resolve.c_str());
  return it->second;
}

DohClient::Request* DohClient::send(const Upstream& up, const DohSettings& how,
                                    const std::vector<uint8_t>& wire, DohDone done, void* owner) {
  auto* r = new Request{this, nullptr, done, owner, {}};
  pkg::HttpCall call;
  call.timeout_ms = kTransferTimeoutMs;
  call.max_age_s = how.max_age_s;
  // A tls_servername: the URL names it (SNI and the certificate check), and this entry takes
  // it to the upstream's address, so nothing is looked up.
  call.resolve = resolve_list(up);
  how.tls.apply(call);
  if (how.get) {
    r->url = up.doh_url + "?dns=" + doh::base64url_encode(wire);
    call.url = r->url.c_str();
    call.get = true;
    call.headers = headers_;
  } else {
    call.url = up.doh_url.c_str();
    call.post = wire;
    call.headers = post_headers_;
  }
  r->http = http_->send(call, on_done, r);
  if (!r->http) {
    delete r;
    return nullptr;
  }
  live_.push_back(r);
  return r;
}

void DohClient::on_done(void* request, const pkg::HttpResult& res) {
  auto* r = static_cast<Request*>(request);
  auto& live = r->client->live_;
  live.erase(std::remove(live.begin(), live.end(), r), live.end());
  std::string error;
  if (res.error) {
    error = "https: " + std::string(res.error);
  } else if (res.status < 200 || res.status >= 300) {
    // RFC 8484 4.2.1: only a 2xx response carries a DNS answer.
    error = "https: HTTP status " + std::to_string(res.status);
  }
  r->done(r->owner, res.body.data(), res.body.size(), res.reused,
          error.empty() ? nullptr : error.c_str());
  delete r;
}

void DohClient::cancel(Request* r) {
  auto it = std::find(live_.begin(), live_.end(), r);
  if (it == live_.end()) return;
  live_.erase(it);
  http_->cancel(r->http);
  delete r;
}

void DohClient::close() {
  // The HTTP client cancels what is left at once (no request refers to the lists after) and
  // frees itself once its loop handles are closed.
  while (!live_.empty()) cancel(live_.back());
  http_->close();
  delete this;
}

}  // namespace cxxdns::plugins::forward
