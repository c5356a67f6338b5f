// kubernetes: Corefile syntax, defaults and errors with file:line.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "core/plugin/setup.h"
#include "core/plugin/testing.h"
#include "plugins/kubernetes/kubernetes.h"

using cxxdns::plugins::k8s::Kubernetes;
using cxxdns::plugins::k8s::PodMode;
using cxxdns::testing::ChainTest;

namespace {

const std::string kState = std::string(CXXDNS_TEST_DATA) + "/k8s/cluster.json";

std::string block(const std::string& args, const std::string& body) {
  return "cluster.local in-addr.arpa {\n  kubernetes" + args + " {\n    state " + kState + "\n" +
         body + "  }\n}\n";
}

Kubernetes& plugin(ChainTest& t) {
  for (auto* p : t.config().plugins()) {
    if (auto* k = dynamic_cast<Kubernetes*>(p)) return *k;
  }
  FAIL("no kubernetes plugin");
  throw;
}

std::string error_of(const std::string& corefile) {
  try {
    ChainTest t(corefile);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("kubernetes: defaults", "[kubernetes]") {
  ChainTest t(block("", ""));
  auto& o = plugin(t).options();
  CHECK(o.zones == std::vector<std::string>{"cluster.local.", "in-addr.arpa."});
  CHECK(o.ttl == 5);
  CHECK(o.index.pods == PodMode::disabled);
  CHECK(o.index.endpoints);
  CHECK_FALSE(o.index.endpoint_pod_names);
  CHECK_FALSE(o.index.ignore_empty_service);
  CHECK_FALSE(o.fallthrough.on());
  CHECK(o.index.primary_zone == "cluster.local.");
  CHECK(o.state_file == kState);
  CHECK(plugin(t).ready());
}

TEST_CASE("kubernetes: every option", "[kubernetes]") {
  ChainTest t(block(" cluster.local example.org", R"(
    pods verified
    namespaces prod staging
    labels app in (web, db), tier!=backend
    ttl 0
    noendpoints
    fallthrough in-addr.arpa
    endpoint_pod_names
    ignore empty_service
)"));
  auto& o = plugin(t).options();
  CHECK(o.zones == std::vector<std::string>{"cluster.local.", "example.org."});
  CHECK(o.index.pods == PodMode::verified);
  CHECK(o.index.namespaces == std::vector<std::string>{"prod", "staging"});
  CHECK(o.labels_text == "app in (web, db), tier!=backend");
  CHECK(o.ttl == 0);
  CHECK_FALSE(o.index.endpoints);
  CHECK(o.fallthrough.zones() == std::vector<std::string>{"in-addr.arpa."});
  CHECK(o.index.endpoint_pod_names);
  CHECK(o.index.ignore_empty_service);
}

TEST_CASE("kubernetes: pods modes and bare fallthrough", "[kubernetes]") {
  ChainTest a(block("", "pods insecure\n fallthrough\n"));
  CHECK(plugin(a).options().index.pods == PodMode::insecure);
  CHECK(plugin(a).options().fallthrough.on());
  CHECK(plugin(a).options().fallthrough.zones().empty());
  ChainTest b(block("", "pods disabled\n ttl 3600\n"));
  CHECK(plugin(b).options().index.pods == PodMode::disabled);
  CHECK(plugin(b).options().ttl == 3600);
}

TEST_CASE("kubernetes: errors name file and line", "[kubernetes]") {
  // The block's line 4 is the first line of `body`.
  auto err = [](const std::string& body) { return error_of(block("", body)); };
  CHECK(err("    pods sometimes\n") ==
        "plugin/kubernetes: Corefile:4 - Error during parsing: wrong value for pods: sometimes,  "
        "must "
        "be one of: disabled, verified, insecure");
  CHECK(
      err("    ttl 3601\n").find("Corefile:4 - Error during parsing: value '3601' out of range") !=
      std::string::npos);
  CHECK(err("    ttl\n").find("Corefile:4 - Error during parsing: Wrong argument count") !=
        std::string::npos);
  CHECK(err("    ttl -1\n").find("Corefile:4") != std::string::npos);
  CHECK(err("    ignore everything\n")
            .find("Corefile:4 - Error during parsing: unable to parse ignore value") !=
        std::string::npos);
  CHECK(err("\n    frobnicate\n")
            .find("Corefile:5 - Error during parsing: unknown property 'frobnicate'") !=
        std::string::npos);
  CHECK(err("    labels a in (b\n")
            .find("Corefile:4 - Error during parsing: unable to parse label selector") !=
        std::string::npos);
  CHECK(err("    namespaces a\n    namespace_labels x=y\n")
            .find("namespaces and namespace_labels cannot both be set") != std::string::npos);
  CHECK(err("    noendpoints extra\n").find("Corefile:4") != std::string::npos);
  CHECK(err("    tls a b\n").find("Corefile:4") != std::string::npos);
  CHECK(err("    kubeconfig a b c\n").find("Corefile:4") != std::string::npos);
  CHECK(err("    state\n").find("Corefile:4 - Error during parsing: Wrong argument count") !=
        std::string::npos);
}

TEST_CASE("kubernetes: one source, once per block", "[kubernetes]") {
  // No state, endpoint or kubeconfig: in-cluster, which needs the service environment.
  unsetenv("KUBERNETES_SERVICE_HOST");
  CHECK(error_of("cluster.local {\n kubernetes\n}\n") ==
        "plugin/kubernetes: Corefile:2 - Error during parsing: unable to load in-cluster "
        "configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined");
  CHECK(error_of("cluster.local {\n kubernetes {\n state x\n endpoint https://127.0.0.1:1\n }\n}\n")
            .find("Corefile:3 - Error during parsing: state cannot be combined") !=
        std::string::npos);
  CHECK(error_of("cluster.local {\n kubernetes {\n endpoint ftp://x\n }\n}\n")
            .find("Corefile:3 - Error during parsing: endpoint must be an http") !=
        std::string::npos);
  CHECK(error_of("cluster.local {\n kubernetes {\n kubeconfig /nonexistent/kc\n }\n}\n")
            .find("Corefile:3 - Error during parsing: cannot open /nonexistent/kc") !=
        std::string::npos);
  CHECK(error_of("cluster.local {\n kubernetes {\n endpoint https://127.0.0.1:1 "
                 "https://127.0.0.1:2\n }\n}\n")
            .find("Corefile:3 - Error during parsing: multiple endpoints") != std::string::npos);
  CHECK(error_of("cluster.local {\n kubernetes {\n state x\n }\n kubernetes {\n state y\n }\n}\n")
            .find("Corefile:5 - Error during parsing: this plugin can only be used once per Server "
                  "Block") != std::string::npos);
}

TEST_CASE("kubernetes: label selectors", "[kubernetes]") {
  using cxxdns::plugins::k8s::LabelSelector;
  std::string err;
  LabelSelector s;
  REQUIRE(s.parse("app=web, tier != backend, env in (prod, staging), !legacy, team", err));
  CHECK(s.matches({{"app", "web"}, {"env", "prod"}, {"team", "x"}}));
  CHECK_FALSE(s.matches({{"app", "web"}, {"env", "prod"}}));                // team
  CHECK_FALSE(s.matches({{"app", "web"}, {"env", "dev"}, {"team", "x"}}));  // in
  CHECK_FALSE(s.matches({{"app", "web"}, {"env", "prod"}, {"team", "x"}, {"legacy", "1"}}));  // !
  CHECK_FALSE(s.matches({{"app", "web"}, {"env", "prod"}, {"team", "x"}, {"tier", "backend"}}));
  CHECK_FALSE(s.matches({{"app", "db"}, {"env", "prod"}, {"team", "x"}}));
  REQUIRE(s.parse("app==web,env notin (dev)", err));
  CHECK(s.matches({{"app", "web"}}));
  CHECK_FALSE(s.matches({{"app", "web"}, {"env", "dev"}}));
  CHECK_FALSE(s.parse("app in web", err));
  CHECK_FALSE(s.parse("a b c", err));
  CHECK_FALSE(s.parse("=x", err));
  CHECK_FALSE(s.parse("a=b,", err));
}

TEST_CASE("kubernetes: a zone with a leading dot is taken, as CoreDNS takes it", "[kubernetes]") {
  ChainTest t(". {\n  kubernetes cluster.local .svc {\n    state " + kState + "\n  }\n}\n");
  CHECK(plugin(t).options().zones == std::vector<std::string>{"cluster.local.", "svc."});
  CHECK(t.query("web.prod.svc.cluster.local.", "A").answer.size() == 1);
}
