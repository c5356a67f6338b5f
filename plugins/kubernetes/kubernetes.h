// kubernetes: answers cluster DNS (the Kubernetes DNS specification, schema 1.1.0) as
// CoreDNS's kubernetes plugin does, from a state source; the state file source is the
// output of `kubectl get ... -o json`, re-read when it changes; the API source lists and
// watches the API server (api_source.h).
#pragma once

#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "core/plugin/context.h"
#include "plugins/kubernetes/api_config.h"
#include "plugins/kubernetes/api_source.h"
#include "plugins/kubernetes/cluster_store.h"
#include "plugins/kubernetes/index.h"
#include "plugins/kubernetes/published.h"

namespace cxxdns::plugins::k8s {

struct KubernetesOptions {
  std::vector<std::string> zones;  // canonical; reverse zones included
  std::string state_file;
  IndexOptions index;
  uint32_t ttl = 5;
  std::vector<std::string> fallthrough;  // zones; empty with fallthrough_set = all
  bool fallthrough_set = false;
  // The API source (used when state_file is empty): resolved at setup from `endpoint`+`tls`,
  // `kubeconfig`, or in-cluster.
  ApiConfig api;
  std::vector<std::string> endpoint;
  std::vector<std::string> tls;
  std::vector<std::string> kubeconfig;
  std::string labels_text, namespace_labels_text;
};

class Kubernetes final : public Plugin {
 public:
  Kubernetes(KubernetesOptions opts, int workers);
  ~Kubernetes() override;
  std::string_view name() const override { return "kubernetes"; }
  void serve(QueryContext& ctx) override;
  void start(ControlInfo& control) override;
  void stop() override;
  bool ready() const override { return loaded_.load(std::memory_order_acquire); }

  // Re-reads the state file when its modification time or size changed. A file that
  // does not parse is logged and the last good state keeps serving. True when swapped.
  bool reload_if_changed();
  // Builds and publishes the index of the whole of `st` (the state file).
  void publish(const ClusterState& st);
  const KubernetesOptions& options() const { return opts_; }

 private:
  bool falls_through(std::string_view qname) const;
  // The API source changed the store: commit and publish (under the source's lock).
  void publish_api();

  KubernetesOptions opts_;
  Published<ClusterIndex> index_;
  std::unique_ptr<ClusterStore> store_;       // the API source's, changed per object
  std::unique_ptr<ClusterStore> file_store_;  // the state file's, made whole on each load
  std::atomic<bool> loaded_{false};
  int64_t mtime_ns_ = -1;
  int64_t size_ = -1;
  std::unique_ptr<ApiSource> api_;
  uv_timer_t timer_;
  bool timer_started_ = false;
};

}  // namespace cxxdns::plugins::k8s
