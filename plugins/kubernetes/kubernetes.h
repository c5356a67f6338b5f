// kubernetes: answers cluster DNS (the Kubernetes DNS specification, schema 1.1.0) as
// CoreDNS's kubernetes plugin does, from a state source; the state file source is the
// output of `kubectl get ... -o json`, re-read when it changes; the API source lists and
// watches the API server (api_source.h).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/plugin/context.h"
#include "plugins/kubernetes/api_config.h"
#include "plugins/kubernetes/api_source.h"
#include "plugins/kubernetes/cluster_store.h"
#include "plugins/kubernetes/index.h"
#include "plugins/kubernetes/published.h"
#include "plugins/pkg/external.h"
#include "plugins/pkg/fall.h"
#include "plugins/pkg/file_watch.h"
#include "plugins/pkg/ip.h"
#include "plugins/pkg/search_path.h"
#include "plugins/pkg/timer.h"
#include "plugins/pkg/transfer.h"
#include "plugins/pkg/zones.h"

namespace cxxdns::plugins::k8s {

struct KubernetesOptions {
  std::vector<std::string> zones;  // canonical; reverse zones included
  std::string state_file;
  IndexOptions index;
  uint32_t ttl = 5;
  pkg::Fallthrough fallthrough;
  // The API source (used when state_file is empty): resolved at setup from `endpoint`+`tls`,
  // `kubeconfig`, or in-cluster.
  ApiConfig api;
  std::vector<std::string> endpoint;
  std::vector<std::string> tls;
  std::vector<std::string> kubeconfig;
  std::string labels_text, namespace_labels_text;
  // The search list of the node (this server's /etc/resolv.conf, read at setup), appended to
  // a pod's own in autopath's search path, as CoreDNS's autoPathSearch.
  std::vector<std::string> node_search;
  // This server's addresses (the block's bind addresses, else the host's; loopback left
  // out), for k8s_external's name server records, as CoreDNS's localIPs.
  std::vector<pkg::IpAddress> local_ips;
};

struct ExternalChase;

// What a query found in the index.
struct Lookup {
  enum Result { answer, nodata, nxdomain } result = nxdomain;
  const NameData* data = nullptr;  // a service or endpoint name
  PodAnswer pod;                   // a pod name
  Span<PtrName> ptrs;              // a reverse name
  bool version = false;            // dns-version TXT
  bool apex = false;               // the zone itself (SOA, NS)
  bool ns_name = false;            // ns.dns.ZONE: ns_addrs of the type asked
  std::vector<pkg::IpAddress> ns_addrs;
};

class Kubernetes final : public Plugin,
                         public pkg::SearchPathSource,
                         public pkg::ExternalSource,
                         public pkg::Transferer {
 public:
  Kubernetes(KubernetesOptions opts, int workers);
  ~Kubernetes() override;
  std::string_view name() const override { return "kubernetes"; }
  Verdict serve(QueryContext& ctx) override;
  // The records of a cluster zone for the transfer plugin, as CoreDNS's kubernetes gives
  // them (transfer.cpp); reverse zones are not transferred.
  Result transfer(std::string_view zone, uint32_t serial, const pkg::XfrEmit& emit) override;
  // On the control loop: the API source's first sync, and a timer for the state file and
  // for freeing old versions.
  void start(ControlInfo& control);
  void stop();
  // For /ready: true once a cluster state is in.
  bool ready() const { return loaded_.load(std::memory_order_acquire); }

  // Re-reads the state file when its modification time or size changed. A file that
  // does not parse is logged and the last good state keeps serving. True when swapped.
  bool reload_if_changed() { return !opts_.state_file.empty() && watch_.check(); }
  // Builds and publishes the index of the whole of `st` (the state file).
  void publish(const ClusterState& st);
  const KubernetesOptions& options() const { return opts_; }

  // autopath @kubernetes (CoreDNS's AutoPath): for a query in a cluster zone from a pod's
  // address (`pods verified`), NAMESPACE.svc.ZONE, svc.ZONE, ZONE, the node's search list, "".
  bool search_path(QueryContext& ctx, std::vector<std::string>& out) override;
  // k8s_external (CoreDNS's Externaler).
  uint8_t external(QueryContext& ctx, std::string_view rel, bool headless,
                   std::vector<pkg::ExternalService>& out) override;
  void external_reverse(QueryContext& ctx, const pkg::IpAddress& ip,
                        std::vector<std::string>& out) override;
  void external_addresses(QueryContext& ctx, std::vector<pkg::IpAddress>& out) override;
  uint32_t external_serial(QueryContext& ctx) override;

 private:
  bool load_state(const std::string& text, int64_t mtime_sec);
  // The API source changed the store: commit and publish (under the source's lock).
  void publish_api();
  Lookup lookup(QueryContext& ctx, const ClusterIndex& x, std::string_view rel) const;
  // ns.dns.ZONE: this server's addresses of `qtype` into `l`.
  void lookup_ns(const ClusterIndex& x, uint16_t qtype, Lookup& l) const;
  Verdict answer(QueryContext& ctx, const ClusterIndex& x, int zone, const Lookup& found) const;
  // An ExternalName service asked A or AAAA: its CNAME and the target's records, looked up
  // through the block's chain (external_name.cpp).
  Verdict answer_external(QueryContext& ctx, int zone, const dns::Name& target) const;
  // serve() on version `x` of the index (null before the first); nothing when the query
  // asks an ExternalName's addresses: `chase` then holds its target.
  std::optional<Verdict> serve_version(QueryContext& ctx, const ClusterIndex* x, int zone,
                                       dns::Name& chase) const;
  // This server's addresses for ns.dns.ZONE, as CoreDNS's nsAddrs: the cluster addresses of
  // the services whose endpoints are this server's addresses, else those addresses.
  void ns_addresses(const ClusterIndex& x, std::vector<pkg::IpAddress>& out) const;
  void finish_external(ExternalChase& c, QueryContext& answered) const;
  // Writes NODATA with the zone's SOA; false before any cluster state.
  bool write_nodata(QueryContext& ctx, int zone) const;

  KubernetesOptions opts_;
  pkg::Zones zones_;
  mutable Published<ClusterIndex> index_;     // reading a version is not a change
  std::unique_ptr<ClusterStore> store_;       // the API source's, changed per object
  std::unique_ptr<ClusterStore> file_store_;  // the state file's, made whole on each load
  // The last-change-trigger-times of the headless services' endpoints in the state file, as
  // last loaded (sorted): a load observes programming latency for the ones that are new.
  std::vector<int64_t> file_triggers_;
  std::atomic<bool> loaded_{false};
  pkg::FileWatch watch_;
  std::unique_ptr<ApiSource> api_;
  pkg::Timer timer_;
};

}  // namespace cxxdns::plugins::k8s
