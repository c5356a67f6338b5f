// grpc: forwards queries to upstreams that serve CoreDNS's gRPC DnsService (a grpc:// server
// block of CoreDNS or cxxdns), as CoreDNS's grpc plugin (plugin/grpc). Each try is a unary
// Query call over HTTP/2 (h2c, or TLS with `tls`), made by the worker's HTTP client on its
// own loop (pkg/loop_http.h: libcurl, loaded when a block has a grpc line); a failed try goes
// on to the next upstream of the policy's order, and when none answered the query fails
// SERVFAIL with the last error for the errors plugin.
//
// Why libcurl and not libgrpc++: grpc++'s client runs its own threads and completion queues;
// this keeps every try on the worker's loop, like forward's DNS over HTTPS, and gRPC's unary
// call is no more than an HTTP/2 POST with a length-prefixed message and a grpc-status trailer.
#pragma once

#include <curl/curl.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/metrics/metrics.h"
#include "core/plugin/context.h"
#include "core/plugin/plugin.h"
#include "plugins/pkg/fall.h"
#include "plugins/pkg/loop_http.h"
#include "plugins/pkg/zones.h"

namespace cxxdns::plugins::grpc {

// CoreDNS's limit on TOs.
constexpr size_t kMaxUpstreams = 15;
// CoreDNS's grpc gives one query 5 seconds over all its tries; one try gets at most this.
constexpr uint64_t kOverallTimeoutMs = 5000;
constexpr long kTryTimeoutMs = 2000;

enum class Policy : uint8_t { random, round_robin, sequential };

struct Upstream {
  std::string to;       // "ADDR:PORT" as CoreDNS labels its metrics
  std::string url;      // http://ADDR:PORT/... or https://NAME:PORT/...
  std::string resolve;  // CURLOPT_RESOLVE "NAME:PORT:ADDR" when tls_servername names it
  curl_slist* resolve_list = nullptr;
  metrics::Counter* requests = nullptr;
  metrics::Histogram* duration = nullptr;
  // coredns_grpc_responses_total{rcode, to} by rcode, made on first use and kept, so that an
  // answer counts without the registry's lock (as forward's per-upstream series).
  std::array<std::atomic<metrics::Counter*>, 16> responses{};
};

struct GrpcOptions {
  std::string from = ".";
  std::vector<std::string> except;
  std::vector<std::unique_ptr<Upstream>> upstreams;
  Policy policy = Policy::random;
  bool tls = false;                    // a `tls` line or tls_servername: TLS, ALPN h2
  std::vector<std::string> tls_files;  // CERT KEY CA, 0..3
  std::string tls_servername;
  pkg::Fallthrough fall;
};

// "ADDR", "ADDR:PORT", "[V6]:PORT" (port 53 when none, as CoreDNS's parse.HostPortOrFile) into
// `to`; false when it is not an IP address.
bool parse_to(const std::string& text, std::string& host, uint16_t& port);

class Grpc final : public Plugin {
 public:
  Grpc(GrpcOptions o, int workers);
  ~Grpc() override;
  std::string_view name() const override { return "grpc"; }
  Verdict serve(QueryContext& ctx) override;
  void start_worker(WorkerInfo& w);
  void stop_worker(WorkerInfo& w);
  const GrpcOptions& options() const { return o_; }

  struct Call;
  struct Worker {
    uv_loop_t* loop = nullptr;
    pkg::LoopHttp* http = nullptr;  // made at the first try; close() frees it
    std::vector<Call*> calls;       // in flight
    uint32_t round_robin = 0;
    std::minstd_rand rng{std::random_device{}()};
  };
  // A try ended (the HTTP client's callback).
  static void on_done(void* call, const pkg::HttpResult& res);

 private:
  bool matches(QueryContext& ctx);
  void next_try(Call* c);
  void finish(Call* c);

  GrpcOptions o_;
  pkg::Zones from_;
  pkg::Zones except_;
  std::vector<std::unique_ptr<Worker>> workers_;
  const pkg::CurlLibrary* curl_ = nullptr;
  curl_slist* headers_ = nullptr;
  pkg::HttpTls tls_;        // the `tls` files, SSL_CERT_FILE/DIR read once at setup
  bool h2c_reuse_ = false;  // libcurl reuses h2c connections correctly (8.0.0 on)
};

}  // namespace cxxdns::plugins::grpc
