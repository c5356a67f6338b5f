// ClusterState: the Kubernetes objects DNS needs, with only the fields DNS reads, as a
// source parses them (the state file, or one API object at a time); ClusterStore keeps them
// in a compact form and makes the index from them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cxxdns::plugins::k8s {

using Labels = std::map<std::string, std::string>;

struct Namespace {
  std::string name;
  Labels labels;
};

struct Port {
  std::string name;      // may be empty
  std::string protocol;  // "TCP", "UDP", "SCTP"
  int32_t port = -1;     // -1: an endpoint set without ports
  bool operator==(const Port&) const = default;
};

struct Service {
  std::string ns, name;
  Labels labels;
  bool headless = false;                 // spec.clusterIP "None"
  std::vector<std::string> cluster_ips;  // spec.clusterIPs (or clusterIP), not "None"
  std::string external_name;             // type ExternalName
  std::vector<Port> ports;
  // Where the service is reached from outside, for k8s_external, in CoreDNS's order:
  // spec.externalIPs, then status.loadBalancer.ingress (an ingress's ip, else its hostname).
  std::vector<std::string> external;
};

struct EndpointAddress {
  std::string ip;
  std::string hostname;
  std::string pod_name;  // targetRef.name when targetRef.kind is Pod
  bool ready = true;
};

// One EndpointSlice, or one subset of a v1 Endpoints object.
struct EndpointSet {
  std::string ns, service;
  Labels labels;
  bool from_slice = false;
  std::vector<EndpointAddress> addresses;
  std::vector<Port> ports;
  // Its endpoints.kubernetes.io/last-change-trigger-time (unix ns; 0 without): when the
  // change it carries was made, for the DNS programming duration.
  int64_t trigger_ns = 0;
};

struct Pod {
  std::string ns, name;
  std::vector<std::string> ips;
};

struct ClusterState {
  std::vector<Namespace> namespaces;
  std::vector<Service> services;
  std::vector<EndpointSet> endpoints;
  std::vector<Pod> pods;
  int64_t modified = 0;  // unix seconds of the data: the SOA serial
};

}  // namespace cxxdns::plugins::k8s
