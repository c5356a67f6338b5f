#include "plugins/grpc/grpc.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cstring>

#include <arpa/inet.h>

#include "core/dns/constants.h"
#include "core/dns/message.h"
#include "core/dns/text.h"
#include "core/plugin/pending.h"
#include "core/server/grpc_wire.h"

namespace cxxdns::plugins::grpc {

namespace wire = cxxdns::grpc;

namespace {

constexpr size_t kMaxDnsMessage = 65535;
// grpc-go's status for "not found": CoreDNS's grpc answers it NXDOMAIN.
constexpr int kStatusNotFound = 5;

metrics::CounterFamily& requests_family() {
  static auto& f = metrics::Registry::global().counter(
      "coredns_grpc_requests_total", "Counter of requests made per upstream.", {"to"});
  return f;
}

metrics::CounterFamily& responses_family() {
  static auto& f = metrics::Registry::global().counter(
      "coredns_grpc_responses_total", "Counter of requests made per upstream.", {"rcode", "to"});
  return f;
}

metrics::HistogramFamily& duration_family() {
  static auto& f = metrics::Registry::global().histogram(
      "coredns_grpc_request_duration_seconds", "Histogram of the time each request took.", {"to"},
      metrics::exponential_buckets(0.00025, 2, 16));
  return f;
}

// The value of the last `name: value` line among the response's headers and trailers.
std::string header_value(const std::vector<std::string>& lines, std::string_view name) {
  std::string out;
  for (const auto& l : lines) {
    if (l.size() <= name.size() || l[name.size()] != ':') continue;
    bool same = true;
    for (size_t i = 0; i < name.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(l[i])) == name[i];
    }
    if (!same) continue;
    size_t v = name.size() + 1;
    while (v < l.size() && l[v] == ' ') ++v;
    out = l.substr(v);
  }
  return out;
}

// CoreDNS's request.Match: the answer is a response with the query's ID and question.
bool answers(const QueryContext& ctx, std::span<const uint8_t> ans) {
  if (ans.size() < size_t(dns::kHeaderSize)) return false;
  const dns::Header h = dns::Header::read(ans.data());
  const auto& q = ctx.q();
  return h.id == q.hdr.id && (h.flags & dns::flag::QR) && h.qdcount == 1 &&
         dns::first_question_is(ans, q.qname_lower, q.qtype, q.qclass);
}

}  // namespace

struct Grpc::Call {
  Grpc* plugin = nullptr;
  Worker* w = nullptr;
  PendingQuery query;
  std::array<uint8_t, kMaxUpstreams> order{};
  size_t n = 0, next = 0;
  std::vector<uint8_t> body;  // the framed DnsPacket
  pkg::LoopHttp::Request* req = nullptr;
  Upstream* up = nullptr;
  uint64_t started_ns = 0, try_ns = 0;
  std::string error;
};

bool parse_to(const std::string& text, std::string& host, uint16_t& port) {
  std::string h = text;
  std::string p;
  if (!h.empty() && h.front() == '[') {
    const size_t close = h.find(']');
    if (close == std::string::npos) return false;
    if (close + 1 < h.size()) {
      if (h[close + 1] != ':') return false;
      p = h.substr(close + 2);
    }
    h = h.substr(1, close - 1);
  } else if (std::count(h.begin(), h.end(), ':') == 1) {
    p = h.substr(h.find(':') + 1);
    h = h.substr(0, h.find(':'));
  }
  unsigned char buf[16];
  const bool v6 = inet_pton(AF_INET6, h.c_str(), buf) == 1;
  if (!v6 && inet_pton(AF_INET, h.c_str(), buf) != 1) return false;
  port = 53;
  if (!p.empty()) {
    if (p.size() > 5 || !std::all_of(p.begin(), p.end(), ::isdigit)) return false;
    const unsigned long v = std::stoul(p);
    if (v == 0 || v > 65535) return false;
    port = static_cast<uint16_t>(v);
  }
  host = v6 ? "[" + h + "]" : h;
  return true;
}

Grpc::Grpc(GrpcOptions o, int workers)
    : o_(std::move(o)),
      from_(std::vector<std::string>{o_.from}),
      except_(o_.except),
      tls_(o_.tls_files) {
  for (int i = 0; i < std::max(1, workers); ++i) workers_.push_back(std::make_unique<Worker>());
  curl_ = pkg::curl_library(nullptr);
  if (curl_) {
    h2c_reuse_ = curl_->version_info(CURLVERSION_NOW)->version_num >= 0x080000;
    headers_ = curl_->slist_append(nullptr, "Content-Type: application/grpc");
    headers_ = curl_->slist_append(headers_, "TE: trailers");
    // libcurl's own "Expect: 100-continue" would hold the body back.
    headers_ = curl_->slist_append(headers_, "Expect:");
    for (auto& up : o_.upstreams) {
      if (!up->resolve.empty())
        up->resolve_list = curl_->slist_append(nullptr, up->resolve.c_str());
    }
  }
  for (auto& up : o_.upstreams) {
    up->requests = &requests_family().with({up->to});
    up->duration = &duration_family().with({up->to});
  }
}

Grpc::~Grpc() {
  if (!curl_) return;
  curl_->slist_free_all(headers_);
  for (auto& up : o_.upstreams) curl_->slist_free_all(up->resolve_list);
}

void Grpc::start_worker(WorkerInfo& info) {
  Worker& w = *workers_[static_cast<size_t>(info.index) % workers_.size()];
  w.loop = info.loop;
}

void Grpc::stop_worker(WorkerInfo& info) {
  Worker& w = *workers_[static_cast<size_t>(info.index) % workers_.size()];
  for (Call* c : w.calls) {
    if (c->req) w.http->cancel(c->req);
    delete c;  // its query, unanswered, answers SERVFAIL
  }
  w.calls.clear();
  if (w.http) w.http->close();
  w.http = nullptr;
}

// CoreDNS's match: the name is under FROM and, unless it is FROM itself, under no `except`.
bool Grpc::matches(QueryContext& ctx) {
  const dns::Name& qname = ctx.q().qname;
  if (!from_.contains(qname)) return false;
  if (from_.match(qname) >= 0 && from_.name(0).len == qname.len) return true;
  return except_.empty() || except_.match(qname) < 0;
}

Verdict Grpc::serve(QueryContext& ctx) {
  if (!matches(ctx)) return ctx.next();
  if (!curl_) return ctx.fail(dns::rcode::SERVFAIL, "plugin/grpc: libcurl is not available");
  Worker& w = *workers_[static_cast<size_t>(ctx.worker().index) % workers_.size()];
  if (!w.http) w.http = new pkg::LoopHttp(w.loop, *curl_);
  auto* c = new Call;
  c->plugin = this;
  c->w = &w;
  c->started_ns = QueryContext::now_ns();
  c->body = wire::frame(wire::encode_packet(ctx.query_wire()));
  const size_t total = o_.upstreams.size();
  const size_t start = o_.policy == Policy::round_robin ? w.round_robin++ % total : 0;
  for (size_t i = 0; i < total; ++i) c->order[c->n++] = static_cast<uint8_t>((start + i) % total);
  if (o_.policy == Policy::random) std::shuffle(c->order.begin(), c->order.begin() + c->n, w.rng);
  Deferral d = ctx.defer();
  c->query = std::move(d.query);
  w.calls.push_back(c);
  next_try(c);
  return d.verdict;
}

void Grpc::next_try(Call* c) {
  while (c->next < c->n) {
    const uint64_t spent_ms = (QueryContext::now_ns() - c->started_ns) / 1000000;
    if (spent_ms >= kOverallTimeoutMs) break;
    Upstream& up = *o_.upstreams[c->order[c->next++]];
    pkg::HttpCall call;
    call.url = up.url.c_str();
    call.http_version = o_.tls ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
    call.protocols = o_.tls ? "https" : "http";
    call.headers = headers_;
    call.resolve = up.resolve_list;
    call.post = c->body;
    call.timeout_ms = std::min<long>(kTryTimeoutMs, long(kOverallTimeoutMs - spent_ms));
    call.max_body = kMaxDnsMessage + 16;
    call.keep_headers = true;
    // libcurl before 8.0.0 (Debian 12 has 7.88.1) breaks a reused HTTP/2 connection opened
    // with prior knowledge (curl/curl#10634: "Error in the HTTP2 framing layer" on the
    // second request): an h2c try gets a connection of its own. TLS ones (ALPN) are reused.
    call.reuse = o_.tls || h2c_reuse_;
    tls_.apply(call);
    c->up = &up;
    c->try_ns = QueryContext::now_ns();
    c->req = c->w->http->send(call, on_done, c);
    if (c->req) return;
    c->error = "grpc: cannot start a request to " + up.to;
  }
  const std::string error =
      "plugin/grpc: " + (c->error.empty() ? std::string("no healthy gRPC proxies") : c->error);
  PendingQuery q = std::move(c->query);
  finish(c);
  q.fail(dns::rcode::SERVFAIL, error);
}

void Grpc::finish(Call* c) {
  auto& calls = c->w->calls;
  calls.erase(std::remove(calls.begin(), calls.end(), c), calls.end());
  delete c;
}

namespace {

// What a finished try brought: the DNS answer, or why there is none (`error`); `not_found`
// for grpc-status NOT_FOUND, which CoreDNS answers NXDOMAIN.
struct TryResult {
  std::string error;
  std::vector<uint8_t> answer;
  bool not_found = false;
};

TryResult read_result(const pkg::HttpResult& res) {
  TryResult t;
  if (res.error) {
    t.error = res.error;
    return t;
  }
  if (res.status != 200) {
    t.error = "HTTP status " + std::to_string(res.status);
    return t;
  }
  const std::string status = header_value(*res.headers, "grpc-status");
  if (status.empty()) {
    t.error = "no grpc-status in the answer";
    return t;
  }
  if (status != "0") {
    t.not_found = status == std::to_string(kStatusNotFound);
    t.error = "rpc error: code = " + status +
              " desc = " + wire::decode_message(header_value(*res.headers, "grpc-message"));
    return t;
  }
  wire::Unframed u = wire::unframe(res.body);
  if (u.status != wire::Status::ok) {
    t.error = u.error;
    return t;
  }
  auto msg = wire::decode_packet(u.payload);
  if (!msg || msg->size() < size_t(dns::kHeaderSize) || msg->size() > kMaxDnsMessage) {
    t.error = "grpc: the answer is not a DNS message";
    return t;
  }
  t.answer = std::move(*msg);
  return t;
}

}  // namespace

void Grpc::on_done(void* call, const pkg::HttpResult& res) {
  auto* c = static_cast<Call*>(call);
  c->req = nullptr;  // the client frees it after this call
  Grpc* g = c->plugin;
  TryResult t = read_result(res);
  if (t.not_found) {
    PendingQuery q = std::move(c->query);
    g->finish(c);
    if (g->o_.fall.through(q->q().qname)) return q.next();
    return q.reply_rcode(dns::rcode::NXDOMAIN);
  }
  if (!t.error.empty()) {
    c->error = c->up->to + ": " + t.error;
    return g->next_try(c);
  }
  Upstream& up = *c->up;
  const int shard = c->query->worker().index;
  const uint16_t rcode = t.answer[3] & 0x0f;
  char buf[16];
  up.requests->inc(shard);
  metrics::Counter* responses = up.responses[rcode].load(std::memory_order_acquire);
  if (!responses) {
    responses = &responses_family().with({std::string(dns::rcode_name(rcode, buf)), up.to});
    up.responses[rcode].store(responses, std::memory_order_release);
  }
  responses->inc(shard);
  up.duration->observe(shard, double(QueryContext::now_ns() - c->try_ns) / 1e9);
  PendingQuery q = std::move(c->query);
  g->finish(c);
  if (!answers(q.ctx(), t.answer)) return q.reply_rcode(dns::rcode::FORMERR);
  if (rcode == dns::rcode::NXDOMAIN && g->o_.fall.through(q->q().qname)) return q.next();
  q->writable_response() = std::move(t.answer);
  q.reply();
}

}  // namespace cxxdns::plugins::grpc
