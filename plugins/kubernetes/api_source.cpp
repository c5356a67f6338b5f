#include "plugins/kubernetes/api_source.h"

#include <nlohmann/json.hpp>
#include <random>

#include "core/log/log.h"
#include "plugins/kubernetes/api_http.h"
#include "plugins/kubernetes/api_json.h"
#include "plugins/kubernetes/api_metrics.h"
#include "plugins/kubernetes/heap_trim.h"
#include "plugins/kubernetes/state_file.h"

namespace cxxdns::plugins::k8s {
namespace {

using json = nlohmann::json;

std::string url_escape(const std::string& s) {
  std::string out;
  static const char* hex = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string status_text(const HttpResult& r, const std::string& body) {
  if (r.status == 0) return r.error;
  std::string s = "HTTP " + std::to_string(r.status);
  if (r.status == 401) s += " Unauthorized";
  if (r.status == 403) s += " Forbidden";
  try {
    auto j = json::parse(body);
    if (j.is_object() && j.contains("message") && j["message"].is_string())
      s += ": " + j["message"].get<std::string>();
  } catch (const json::exception&) {
  }
  return s;
}

}  // namespace

ApiSource::ApiSource(ApiConfig cfg, bool watch_pods, ClusterStore& store, PublishFn publish)
    : cfg_(std::move(cfg)),
      host_(api_metrics::host_of(cfg_.server)),
      store_(store),
      publish_(std::move(publish)) {
  auto add = [&](const char* kind, const char* path) {
    auto k = std::make_unique<Kind>();
    k->kind = kind;
    k->path = path;
    kinds_.push_back(std::move(k));
  };
  add("Namespace", "/api/v1/namespaces");
  add("Service", "/api/v1/services");
  add("EndpointSlice", "/apis/discovery.k8s.io/v1/endpointslices");
  if (watch_pods) add("Pod", "/api/v1/pods");
}

ApiSource::~ApiSource() {
  stop();
}

void ApiSource::start() {
  if (started_) return;
  started_ = true;
  log::info("plugin/kubernetes: watching the API server at {}", cfg_.server);
  for (auto& k : kinds_) {
    Kind* kp = k.get();
    k->thread = std::thread([this, kp] { run(*kp); });
  }
}

void ApiSource::stop() {
  {
    std::lock_guard lock(mu_);
    stop_.store(true);
  }
  cv_.notify_all();
  for (auto& k : kinds_)
    if (k->thread.joinable()) k->thread.join();
}

bool ApiSource::wait_synced(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return synced_.load() || stop_.load(); });
  return synced_.load();
}

void ApiSource::sleep_for(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, d, [&] { return stop_.load(); });
}

void ApiSource::run(Kind& k) {
  std::chrono::milliseconds backoff = kMinBackoff;
  auto fail_wait = [&] {
    sleep_for(backoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
  };
  while (!stop_.load()) {
    if (k.resource_version.empty()) {
      Outcome o = list(k);
      if (o != Outcome::ok) {
        if (!stop_.load()) fail_wait();
        continue;
      }
      backoff = kMinBackoff;
    }
    auto began = std::chrono::steady_clock::now();
    Outcome o = watch(k);
    if (stop_.load()) break;
    if (o == Outcome::gone) {
      log::info("plugin/kubernetes: watch of {} expired (410 Gone), listing again", k.path);
      k.resource_version.clear();
      continue;
    }
    // A watch the server ended in good order after a while is simply renewed; anything
    // else (a refused connection, a drop right away) waits, longer each time.
    if (o == Outcome::ok && std::chrono::steady_clock::now() - began > std::chrono::seconds(1)) {
      backoff = kMinBackoff;
      continue;
    }
    fail_wait();
  }
}

ApiSource::Outcome ApiSource::list(Kind& k) {
  std::string rv, cont;
  Outcome out = Outcome::ok;
  {
    bool first = true;
    // Its buffers and the body's (as big as a page) go before the heap is trimmed below;
    // a page grows the body no more than the biggest page before it did.
    ApiJson json;
    std::string body;
    do {
      std::string path = k.path + "?limit=500";
      if (!cont.empty()) path += "&continue=" + url_escape(cont);
      if (!list_page(k, path, first, json, body, rv, cont, out)) return out;
      first = false;
    } while (!cont.empty());
  }
  {
    std::lock_guard lock(mu_);
    store_.end_relist(k.kind);  // objects deleted while no watch ran go now
    k.listed = true;
    k.resource_version = rv.empty() ? "0" : rv;
    publish_locked();
  }
  // The pages' JSON is freed: hand its pages back, once every kind is in (a trim while
  // other lists still run would only make them fault the pages in again).
  if (synced_.load()) give_back_freed_heap();
  return Outcome::ok;
}

bool ApiSource::list_page(Kind& k, const std::string& path, bool first, ApiJson& json,
                          std::string& body, std::string& rv, std::string& cont, Outcome& out) {
  std::string err_body;
  body.clear();
  auto began = std::chrono::steady_clock::now();
  HttpResult r = http_get(
      cfg_, path,
      [&](std::string_view chunk) {
        body.append(chunk);
        return true;
      },
      stop_, 60, &err_body, [&](long status) { api_metrics::request_done(host_, status); });
  api_metrics::list_took(
      host_, std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
  out = Outcome::failed;
  if (stop_.load()) return false;
  if (r.status == 410) {  // the continue token expired: start over
    out = Outcome::gone;
    return false;
  }
  if (r.status != 200 || !r.error.empty()) {
    log::error("plugin/kubernetes: list {}: {}", k.path, status_text(r, err_body));
    return false;
  }
  ListPage page;
  std::string err;
  if (!json.list(body, k.kind, page, err)) {
    log::error("plugin/kubernetes: list {}: bad response: {}", k.path, err);
    return false;
  }
  for (auto& bad : page.bad) log::warning("plugin/kubernetes: {}; ignored", bad);
  rv = page.resource_version;
  cont = page.cont;
  std::lock_guard lock(mu_);
  // A list replaces what was known of its kind: the first page starts a new generation,
  // the last one (list()) drops what none of the pages had.
  if (first) store_.begin_relist(k.kind);
  for (auto& item : page.items) store_.apply(k.kind, item.key, item.frag);
  out = Outcome::ok;
  return true;
}

ApiSource::Outcome ApiSource::watch(Kind& k) {
  // The server ends a watch after timeoutSeconds; like client-go, 5 to 10 minutes.
  static thread_local std::mt19937 rng{std::random_device{}()};
  long timeout = 300 + static_cast<long>(rng() % 300);
  std::string path = k.path + "?watch=1&allowWatchBookmarks=true&resourceVersion=" +
                     url_escape(k.resource_version) + "&timeoutSeconds=" + std::to_string(timeout);
  std::string pending, err_body;
  Outcome out = Outcome::ok;
  ApiJson json;
  HttpResult r = http_get(
      cfg_, path,
      [&](std::string_view chunk) {
        pending.append(chunk);
        bool changed = false, go_on = true;
        size_t start = 0, nl;
        while (go_on && (nl = pending.find('\n', start)) != std::string::npos) {
          std::string_view line(pending.data() + start, nl - start);
          start = nl + 1;
          if (line.find_first_not_of(" \r\t") == std::string_view::npos) continue;
          go_on = apply_event(k, json, line, out, changed);
        }
        pending.erase(0, start);
        if (changed) {
          std::lock_guard lock(mu_);
          publish_locked();
        }
        return go_on;
      },
      stop_, timeout + 30, &err_body,
      [&](long status) { api_metrics::request_done(host_, status); });
  if (stop_.load()) return Outcome::failed;
  if (r.status == 410) return Outcome::gone;
  if (r.aborted) return out;
  if (r.status != 200) {
    log::error("plugin/kubernetes: watch {}: {}", k.path, status_text(r, err_body));
    return Outcome::failed;
  }
  if (!r.error.empty()) {
    log::warning("plugin/kubernetes: watch {} ended: {}; reconnecting", k.path, r.error);
    return Outcome::failed;
  }
  return Outcome::ok;
}

bool ApiSource::apply_event(Kind& k, ApiJson& json, std::string_view line, Outcome& out,
                            bool& changed) {
  WatchEvent ev;
  std::string err;
  if (!json.event(line, k.kind, ev, err)) {
    log::warning("plugin/kubernetes: watch {}: bad event: {}", k.path, err);
    out = Outcome::failed;
    return false;
  }
  if (ev.type == "ERROR") {
    if (ev.code == 410) {
      out = Outcome::gone;
    } else {
      log::error("plugin/kubernetes: watch {}: error event: {}", k.path, ev.status);
      out = Outcome::failed;
    }
    return false;
  }
  if (ev.type != "BOOKMARK" && !apply_object(k, ev)) return true;
  if (!ev.resource_version.empty()) k.resource_version = ev.resource_version;
  changed |= ev.type != "BOOKMARK";
  return true;
}

// An ADDED, MODIFIED or DELETED event into the store; false when it is not applied.
bool ApiSource::apply_object(Kind& k, const WatchEvent& ev) {
  bool put = ev.type == "ADDED" || ev.type == "MODIFIED";
  if (!put && ev.type != "DELETED") {
    log::warning("plugin/kubernetes: watch {}: unknown event type {}", k.path, ev.type);
    return false;
  }
  if (put && !ev.object_error.empty()) {
    log::warning("plugin/kubernetes: {} {}: {}; ignored", k.kind, ev.key, ev.object_error);
    if (!ev.resource_version.empty()) k.resource_version = ev.resource_version;
    return false;
  }
  std::lock_guard lock(mu_);
  if (put)
    store_.apply(k.kind, ev.key, ev.frag);
  else
    store_.remove(k.kind, ev.key);
  return true;
}

void ApiSource::publish_locked() {
  for (auto& k : kinds_)
    if (!k->listed) return;  // serve nothing partial: SERVFAIL until every kind is in
  if (!store_.changed() && synced_.load()) return;
  publish_();
  if (!synced_.exchange(true)) {
    auto c = store_.counts();
    log::info(
        "plugin/kubernetes: synced with the API server: {} namespaces, {} services, {} "
        "endpoint sets, {} pods",
        c.namespaces, c.services, c.endpoint_sets, c.pods);
    cv_.notify_all();
  }
}

}  // namespace cxxdns::plugins::k8s
