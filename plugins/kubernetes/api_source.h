// The API server source: lists then watches Namespaces, Services, EndpointSlices (and Pods
// for `pods verified`) as CoreDNS's informers do, and hands each object's DNS fields to a
// ClusterStore as it comes (a list item, an event). After the events of one read from the
// server (one event, or a burst of them) it calls `publish`, which commits what changed into
// a new version of the index. All API I/O runs on the source's own threads, one per kind;
// the store is only touched under the source's lock.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "plugins/kubernetes/api_config.h"
#include "plugins/kubernetes/api_json.h"
#include "plugins/kubernetes/cluster_store.h"

namespace cxxdns::plugins::k8s {

class ApiSource {
 public:
  // Called under the source's lock once every kind is listed and the store has changed.
  using PublishFn = std::function<void()>;
  ApiSource(ApiConfig cfg, bool watch_pods, ClusterStore& store, PublishFn publish);
  ~ApiSource();

  void start();
  void stop();
  // True once every kind was listed in full (the first ClusterState is published then).
  bool synced() const { return synced_.load(std::memory_order_acquire); }
  // Blocks until synced or `timeout` passed; returns synced().
  bool wait_synced(std::chrono::milliseconds timeout);

  // Reconnect backoff: 0.5 s doubling to 10 s.
  static constexpr std::chrono::milliseconds kMinBackoff{500}, kMaxBackoff{10000};

 private:
  struct Kind {
    std::string kind, path;  // "Service", "/api/v1/services"
    bool listed = false;
    std::string resource_version;
    std::thread thread;
  };
  enum class Outcome { ok, gone, failed };

  void run(Kind& k);
  Outcome list(Kind& k);
  // One page of a list: its items in the store; false with `out` set when it failed.
  // `body` is the list's buffer, kept from page to page.
  bool list_page(Kind& k, const std::string& path, bool first, ApiJson& json, std::string& body,
                 std::string& rv, std::string& cont, Outcome& out);
  Outcome watch(Kind& k);
  // Applies one watch event line; returns false to end the watch (`out` says why).
  bool apply_event(Kind& k, ApiJson& json, std::string_view line, Outcome& out, bool& changed);
  bool apply_object(Kind& k, const WatchEvent& ev);
  void publish_locked();
  void sleep_for(std::chrono::milliseconds d);

  ApiConfig cfg_;
  std::string host_;  // the metrics' host label
  ClusterStore& store_;
  PublishFn publish_;
  std::vector<std::unique_ptr<Kind>> kinds_;
  std::mutex mu_;  // the store, publishing
  std::condition_variable cv_;
  std::atomic<bool> stop_{false}, synced_{false};
  bool started_ = false;
};

}  // namespace cxxdns::plugins::k8s
