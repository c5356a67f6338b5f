// Where the API server is and how to authenticate to it: in-cluster (service account),
// a kubeconfig file, or `endpoint URL` with `tls CERT KEY CACERT`, as CoreDNS resolves them.
#pragma once

#include <string>

namespace cxxdns::plugins::k8s {

struct ApiConfig {
  std::string server;           // "https://host:port", no trailing slash
  std::string ca_file, ca_pem;  // trust: a file or PEM text; neither = system
  std::string cert_file, key_file, cert_pem, key_pem;  // client certificate
  std::string token;                                   // a static bearer token
  std::string token_file;  // a bearer token file, re-read when it changes (rotation)
  bool insecure = false;   // kubeconfig insecure-skip-tls-verify
};

// The service-account directory: $CXXDNS_SERVICEACCOUNT_DIR, else the path Kubernetes mounts,
// /var/run/secrets/kubernetes.io/serviceaccount.
std::string serviceaccount_dir();

// KUBERNETES_SERVICE_HOST/PORT plus the service account's token and ca.crt.
bool in_cluster_config(ApiConfig& out, std::string& error);

// A kubeconfig file's `context` (empty: current-context): cluster server, CA data/file,
// insecure-skip-tls-verify; user token/tokenFile, client cert/key data or files. Relative
// paths are relative to the file's directory, as kubectl reads them.
bool kubeconfig_config(const std::string& file, const std::string& context, ApiConfig& out,
                       std::string& error);

}  // namespace cxxdns::plugins::k8s
