// kubernetes API source: kubeconfig and in-cluster resolution, API list items, and the
// plugin's behaviour while the API server cannot be reached.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "core/plugin/testing.h"
#include "plugins/kubernetes/api_config.h"
#include "plugins/kubernetes/kubernetes.h"
#include "plugins/kubernetes/state_file.h"

using namespace cxxdns::plugins::k8s;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/cxxdns-k8sapi-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf " + path).c_str()); }
  std::string write(const std::string& name, const std::string& text) const {
    std::string p = path + "/" + name;
    std::ofstream(p) << text;
    return p;
  }
};

// A loopback TCP port with nothing listening on it (bound, then closed).
int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t n = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
  ::close(fd);
  return ntohs(a.sin_port);
}

const char* kKubeconfig = R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
- name: prod-cluster
  cluster:
    server: "https://127.0.0.1:7443"
    certificate-authority: certs/ca.pem
    insecure-skip-tls-verify: true
users:
- name: dev-user
  user:
    token: abc.def
- name: prod-user
  user:
    client-certificate: certs/client.pem
    client-key-data: a2V5
    tokenFile: /run/token
- name: exec-user
  user:
    exec:
      command: aws
contexts:
- name: dev
  context: {cluster: dev-cluster, user: dev-user}
- name: prod
  context:
    cluster: prod-cluster
    user: prod-user
- name: cloud
  context:
    cluster: dev-cluster
    user: exec-user
)";

}  // namespace

TEST_CASE("kubernetes api: kubeconfig current context, data fields", "[kubernetes]") {
  TempDir d;
  std::string kc = d.write("config", kKubeconfig);
  ApiConfig c;
  std::string err;
  REQUIRE(kubeconfig_config(kc, "", c, err));
  CHECK(c.server == "https://127.0.0.1:6443");
  CHECK(c.ca_pem == "-----BEGIN CERTIFICATE-----\n");
  CHECK(c.ca_file.empty());
  CHECK(c.token == "abc.def");
  CHECK(c.cert_file.empty());
  CHECK_FALSE(c.insecure);
}

TEST_CASE("kubernetes api: kubeconfig named context, files relative to it", "[kubernetes]") {
  TempDir d;
  std::string kc = d.write("config", kKubeconfig);
  ApiConfig c;
  std::string err;
  REQUIRE(kubeconfig_config(kc, "prod", c, err));
  CHECK(c.server == "https://127.0.0.1:7443");
  CHECK(c.ca_file == d.path + "/certs/ca.pem");
  CHECK(c.cert_file == d.path + "/certs/client.pem");
  CHECK(c.key_pem == "key");
  CHECK(c.key_file.empty());
  CHECK(c.token_file == "/run/token");
  CHECK(c.insecure);
}

TEST_CASE("kubernetes api: kubeconfig errors", "[kubernetes]") {
  TempDir d;
  std::string kc = d.write("config", kKubeconfig);
  ApiConfig c;
  std::string err;
  CHECK_FALSE(kubeconfig_config(kc, "nope", c, err));
  CHECK(err == kc + ": context \"nope\" not found");
  CHECK_FALSE(kubeconfig_config(kc, "cloud", c, err));
  CHECK(err.find("exec and auth-provider credentials are not supported") != std::string::npos);
  std::string bad = d.write("bad", "clusters: [\n  - name: x\n");
  CHECK_FALSE(kubeconfig_config(bad, "", c, err));
  CHECK(err.find(bad + ": line ") == 0);
  std::string b64 = d.write("b64",
                            "current-context: a\ncontexts: [{name: a, context: {cluster: "
                            "c}}]\nclusters: [{name: c, cluster: {server: https://x, "
                            "certificate-authority-data: '@@@'}}]\n");
  CHECK_FALSE(kubeconfig_config(b64, "", c, err));
  CHECK(err == b64 + ": certificate-authority-data is not base64");
}

TEST_CASE("kubernetes api: in-cluster from the environment", "[kubernetes]") {
  setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "8443", 1);
  setenv("CXXDNS_SERVICEACCOUNT_DIR", "/tmp/sa", 1);
  ApiConfig c;
  std::string err;
  REQUIRE(in_cluster_config(c, err));
  CHECK(c.server == "https://127.0.0.1:8443");
  CHECK(c.token_file == "/tmp/sa/token");
  CHECK(c.ca_file == "/tmp/sa/ca.crt");
  unsetenv("CXXDNS_SERVICEACCOUNT_DIR");
  CHECK(serviceaccount_dir() == "/var/run/secrets/kubernetes.io/serviceaccount");
  setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
  REQUIRE(in_cluster_config(c, err));
  CHECK(c.server == "https://[fd00::1]:8443");
  unsetenv("KUBERNETES_SERVICE_HOST");
  CHECK_FALSE(in_cluster_config(c, err));
  unsetenv("KUBERNETES_SERVICE_PORT");
}

TEST_CASE("kubernetes api: list items carry no kind", "[kubernetes]") {
  auto item = nlohmann::json::parse(R"({"metadata": {"namespace": "ns", "name": "web"},
      "spec": {"clusterIP": "10.0.0.5", "ports": [{"name": "http", "port": 80}]}})");
  ClusterState st;
  std::string err;
  REQUIRE(parse_object(item, "Service", st, err));
  REQUIRE(st.services.size() == 1);
  CHECK(st.services[0].cluster_ips == std::vector<std::string>{"10.0.0.5"});
  CHECK(st.services[0].ports[0].protocol == "TCP");
  auto bad = nlohmann::json::parse(R"({"metadata": {"name": 5}})");
  CHECK_FALSE(parse_object(bad, "Service", st, err));
  CHECK_FALSE(err.empty());
}

TEST_CASE("kubernetes api: unreachable API server: start gives up after 5 s, SERVFAIL",
          "[kubernetes]") {
  std::string corefile = "cluster.local {\n  kubernetes {\n    endpoint https://127.0.0.1:" +
                         std::to_string(closed_port()) + "\n  }\n}\n";
  auto began = std::chrono::steady_clock::now();
  cxxdns::testing::ChainTest t(corefile);
  auto waited = std::chrono::steady_clock::now() - began;
  CHECK(waited >= std::chrono::milliseconds(4900));
  CHECK(waited < std::chrono::seconds(9));
  Kubernetes* k = nullptr;
  for (auto* p : t.config().plugins())
    if (auto* x = dynamic_cast<Kubernetes*>(p)) k = x;
  REQUIRE(k);
  CHECK_FALSE(k->ready());
  auto a = t.query("web.default.svc.cluster.local.", "A");
  CHECK(a.rcode == "SERVFAIL");
}
