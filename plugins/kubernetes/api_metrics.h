// The kubernetes plugin's metrics, with CoreDNS's names, labels, help texts and buckets so
// that dashboards made for CoreDNS keep working:
//
//   coredns_kubernetes_dns_programming_duration_seconds{service_kind}  histogram
//     from the change an EndpointSlice of a headless service carries (its
//     endpoints.kubernetes.io/last-change-trigger-time) to the answer serving it. As in
//     CoreDNS, only service_kind="headless_with_selector" is observed.
//   coredns_kubernetes_rest_client_requests_total{code,method,host}  counter
//     every request to the API server, by HTTP status ("<error>" without one).
//   coredns_kubernetes_rest_client_request_duration_seconds{verb,host}  histogram
//     lists (client-go observes requests read whole, not watches).
//   coredns_kubernetes_rest_client_rate_limiter_duration_seconds{verb,host}  histogram
//     the time lists waited for the client-side rate limiter: cxxdns has none, so 0.
#pragma once

#include <string>

namespace cxxdns::plugins::k8s::api_metrics {

// "127.0.0.1:6443" from "https://127.0.0.1:6443" (the host label, as Go's url.Host).
std::string host_of(const std::string& server);

void request_done(const std::string& host, long status);  // status 0: no response
void list_took(const std::string& host, double seconds);
void programmed(double seconds);  // a headless service's endpoint change now answered

}  // namespace cxxdns::plugins::k8s::api_metrics
