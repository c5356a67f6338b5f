// The API server source: lists then watches Namespaces, Services, EndpointSlices (and Pods
// for `pods verified`) as CoreDNS's informers do, keeps the DNS fields of each object, and
// after each change hands a whole new ClusterState to `publish` (which builds the index and
// swaps the Snapshot). All API I/O runs on the source's own threads, one per kind.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "plugins/kubernetes/api_config.h"
#include "plugins/kubernetes/cluster_state.h"

namespace cxxdns::plugins::k8s {

class ApiSource {
 public:
  using PublishFn = std::function<void(const ClusterState&)>;
  ApiSource(ApiConfig cfg, bool watch_pods, PublishFn publish);
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
    std::string kind, path;                       // "Service", "/api/v1/services"
    std::map<std::string, ClusterState> objects;  // "ns/name" -> its DNS fields
    bool listed = false;
    std::string resource_version;
    std::thread thread;
  };
  enum class Outcome { ok, gone, failed };

  void run(Kind& k);
  Outcome list(Kind& k);
  Outcome watch(Kind& k);
  // Applies one watch event line; returns false to end the watch (`out` says why).
  bool apply_event(Kind& k, std::string_view line, Outcome& out, bool& changed);
  void publish_locked();
  void sleep_for(std::chrono::milliseconds d);

  ApiConfig cfg_;
  PublishFn publish_;
  std::vector<std::unique_ptr<Kind>> kinds_;
  std::mutex mu_;  // kinds' objects, publishing
  std::condition_variable cv_;
  std::atomic<bool> stop_{false}, synced_{false};
  bool started_ = false;
};

}  // namespace cxxdns::plugins::k8s
