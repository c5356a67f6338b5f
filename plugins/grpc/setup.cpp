// grpc FROM TO... { except IGNORED_NAMES...; tls [CERT KEY CA]; tls_servername NAME;
// policy random|round_robin|sequential; fallthrough [ZONES...] }, as CoreDNS's grpc plugin
// (plugin/grpc/setup.go).
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>

#include "core/plugin/config.h"
#include "core/plugin/registry.h"
#include "core/plugin/setup.h"
#include "core/server/grpc_wire.h"
#include "plugins/grpc/grpc.h"
#include "plugins/pkg/curl_library.h"

namespace {

using namespace cxxdns::plugins::grpc;
using cxxdns::SetupContext;
using cxxdns::corefile::Directive;
using cxxdns::corefile::Token;

const Token& one_arg(const SetupContext& sc, const Directive& line) {
  if (line.args.size() != 1) sc.arg_error(line.args.empty() ? line.name : line.args.back());
  return line.args[0];
}

bool readable(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

void parse_option(const SetupContext& sc, const Directive& line, GrpcOptions& o) {
  const std::string& n = line.name.text;
  if (n == "except") {
    if (line.args.empty()) sc.arg_error(line.name);
    o.except = sc.zones_from(line.args);
  } else if (n == "tls") {
    if (line.args.size() > 3) sc.arg_error(line.args.back());
    o.tls = true;
    o.tls_files.clear();
    for (const auto& a : line.args) {
      if (!readable(a.text)) sc.error(a, "open " + a.text + ": no such file or directory");
      o.tls_files.push_back(a.text);
    }
  } else if (n == "tls_servername") {
    o.tls_servername = one_arg(sc, line).text;
  } else if (n == "policy") {
    const Token& t = one_arg(sc, line);
    if (t.text == "random") {
      o.policy = Policy::random;
    } else if (t.text == "round_robin") {
      o.policy = Policy::round_robin;
    } else if (t.text == "sequential") {
      o.policy = Policy::sequential;
    } else {
      sc.error(t, "unknown policy '" + t.text + "'");
    }
  } else if (n == "fallthrough") {
    o.fall = cxxdns::pkg::Fallthrough::parse(sc, line);
  } else {
    sc.unknown_property(line.name);
  }
}

// Each upstream's URL: http:// (h2c) or https://, the name TLS checks when tls_servername
// gives one (reached at the upstream's address through CURLOPT_RESOLVE: nothing is looked up).
void set_targets(GrpcOptions& o) {
  const std::string path(cxxdns::grpc::kQueryPath);
  for (auto& up : o.upstreams) {
    const size_t colon = up->to.rfind(':');
    const std::string host = up->to.substr(0, colon);
    const std::string port = up->to.substr(colon + 1);
    if (!o.tls) {
      up->url = "http://" + up->to + path;
    } else if (o.tls_servername.empty()) {
      up->url = "https://" + up->to + path;
    } else {
      up->url = "https://" + o.tls_servername;
      up->url += ":" + port;
      up->url += path;
      up->resolve = o.tls_servername + ":" + port;
      up->resolve += ":" + host;
    }
  }
}

std::unique_ptr<cxxdns::Plugin> setup(SetupContext& sc) {
  const Directive& d = sc.only_one();
  GrpcOptions o;
  if (d.args.size() < 2) sc.arg_error(d.args.empty() ? d.name : d.args.back());
  o.from = sc.zones_from(std::span(d.args).first(1)).front();
  for (size_t i = 1; i < d.args.size(); ++i) {
    auto up = std::make_unique<Upstream>();
    std::string host;
    uint16_t port = 0;
    if (!parse_to(d.args[i].text, host, port)) {
      sc.error(d.args[i], "not an IP address or file: \"" + d.args[i].text + "\"");
    }
    up->to = host + ":" + std::to_string(port);
    o.upstreams.push_back(std::move(up));
  }
  for (const auto& line : d.block) parse_option(sc, line, o);
  if (o.upstreams.size() > kMaxUpstreams) {
    sc.error(d.args.back(), "more than " + std::to_string(kMaxUpstreams) +
                                " TOs configured: " + std::to_string(o.upstreams.size()));
  }
  if (!o.tls_servername.empty()) o.tls = true;
  std::string err;
  if (!cxxdns::pkg::curl_library(&err)) sc.error(d.name, "gRPC upstreams need libcurl: " + err);
  set_targets(o);
  auto p = std::make_unique<Grpc>(std::move(o), sc.services().workers);
  sc.on_worker_start([p = p.get()](cxxdns::WorkerInfo& w) { p->start_worker(w); });
  sc.on_worker_stop([p = p.get()](cxxdns::WorkerInfo& w) { p->stop_worker(w); });
  return p;
}

}  // namespace

void cxxdns_register_grpc(cxxdns::Registry& r) {
  r.add("grpc", setup);
}
