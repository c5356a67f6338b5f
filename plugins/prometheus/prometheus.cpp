#include "plugins/prometheus/prometheus.h"

#include <sys/socket.h>

#include <algorithm>
#include <stdexcept>

#include "core/dns/text.h"
#include "core/log/log.h"
#include "core/plugin/config.h"
#include "plugins/pkg/view_name.h"
#include "plugins/prometheus/vars.h"

namespace cxxdns::plugins {

namespace {

constexpr uint16_t kMonitored[Prometheus::kTypes - 1] = {1,  2,  5,  6,  12, 15, 16,  28,  33,
                                                         43, 46, 47, 48, 50, 65, 251, 252, 255};

int type_index(uint16_t qtype) {
  for (int i = 0; i < Prometheus::kTypes - 1; ++i) {
    if (kMonitored[i] == qtype) return i;
  }
  return Prometheus::kTypes - 1;
}

template <typename T>
std::unique_ptr<std::atomic<T*>[]> make_slots(size_t n) {
  auto s = std::make_unique<std::atomic<T*>[]>(n);
  for (size_t i = 0; i < n; ++i) s[i].store(nullptr, std::memory_order_relaxed);
  return s;
}

// The child in `slot`, resolved by `make` (the family's lock) the first time only.
template <typename T, typename Make>
T& resolve(std::atomic<T*>& slot, Make&& make) {
  T* p = slot.load(std::memory_order_acquire);
  if (!p) {
    p = &make();
    slot.store(p, std::memory_order_release);
  }
  return *p;
}

const char* proto_label(int proto) {
  return proto ? "tcp" : "udp";
}

}  // namespace

Prometheus::Prometheus(std::shared_ptr<http::HttpServer> http, const Services& services,
                       std::vector<PrometheusZone> zones,
                       const std::vector<std::string>* bind_addresses, const BlockConfig* block)
    : http_(std::move(http)),
      services_(services),
      zones_(std::move(zones)),
      bind_addresses_(bind_addresses),
      block_(block) {
  std::stable_sort(zones_.begin(), zones_.end(),
                   [](auto& a, auto& b) { return a.name.len > b.name.len; });
  std::vector<std::string> texts;
  for (auto& z : zones_) texts.push_back(z.text);
  zone_set_ = pkg::Zones(texts);  // in the same order: its indexes are zones_'s
  vars::dns();
}

std::string Prometheus::server_label(size_t zone) const {
  std::string addr = bind_addresses_ && !bind_addresses_->empty() ? (*bind_addresses_)[0] : "";
  if (addr.find(':') != std::string::npos) addr = "[" + addr + "]";
  return zones_[zone].transport + "://" + addr + ":" + std::to_string(zones_[zone].port);
}

void Prometheus::register_enabled() {
  if (!services_.config) return;
  auto& enabled = vars::dns().plugin_enabled;
  for (auto& b : services_.config->blocks) {
    std::vector<std::string> addrs = b->bind_addresses;
    if (addrs.empty()) addrs.push_back("");
    const std::string view = pkg::view_name_of(*b);
    for (auto& k : b->source.keys) {
      for (auto& a : addrs) {
        std::string host = a.find(':') != std::string::npos ? "[" + a + "]" : a;
        std::string server = k.transport + "://" + host + ":" + std::to_string(k.port.value_or(53));
        for (auto& p : b->plugins) {
          enabled.with({server, k.zone, view, std::string(p->name())}).set(1);
        }
      }
    }
  }
}

void Prometheus::start(ControlInfo& control) {
  servers_.clear();
  view_ = block_ ? pkg::view_name_of(*block_) : std::string();
  for (size_t z = 0; z < zones_.size(); ++z) servers_.push_back(server_label(z));
  size_t nz = zones_.size();
  positions_ = 1;
  if (services_.config) {
    for (auto& b : services_.config->blocks) {
      positions_ = std::max(positions_, b->plugins.size() + 1);
    }
  }
  requests_ = make_slots<metrics::Counter>(nz * 2 * 2 * kTypes);
  duration_ = make_slots<metrics::Histogram>(nz);
  request_size_ = make_slots<metrics::Histogram>(nz * 2);
  response_size_ = make_slots<metrics::Histogram>(nz * 2);
  responses_ = make_slots<metrics::Counter>(nz * kRcodes * positions_);
  register_enabled();
  http_->handle(
      "/metrics",
      [](const http::Request&) {
        return http::Response{200, metrics::Registry::global().render(),
                              "text/plain; version=0.0.4; charset=utf-8"};
      },
      this);
  try {
    http_->start(control.loop);
  } catch (const std::exception& e) {
    http_->release(this);
    throw std::runtime_error("plugin/prometheus: " + std::string(e.what()));
  }
  started_ = true;
}

void Prometheus::stop() {
  http_->release(this);
  if (started_) http_->stop();
  started_ = false;
}

size_t Prometheus::zone_of(const dns::Name& qname) const {
  const int z = zone_set_.match(qname);
  return z < 0 ? 0 : static_cast<size_t>(z);
}

Verdict Prometheus::serve(QueryContext& ctx) {
  ctx.on_reply(this, 0);
  return ctx.next();
}

void Prometheus::on_reply(QueryContext& ctx, uint64_t) {
  // Plugins' own queries (a cache refresh) are not client requests.
  if (!requests_ || zones_.empty() || ctx.transport() == Transport::internal) return;
  auto& m = vars::dns();
  const int shard = ctx.worker().index;
  const size_t z = zone_of(ctx.q().qname_lower);
  const int proto = ctx.transport() == Transport::tcp ? 1 : 0;
  const int fam = ctx.client().family() == AF_INET6 ? 1 : 0;
  const int ti = type_index(ctx.q().qtype);
  const std::string& server = servers_[z];
  const std::string& zone = zones_[z].text;
  std::string_view type = vars::monitored_type(ctx.q().qtype);

  resolve(requests_[((z * 2 + proto) * 2 + fam) * kTypes + ti], [&]() -> metrics::Counter& {
    return m.requests.with({server, zone, view_, proto_label(proto), fam ? "2" : "1", type});
  }).inc(shard);
  resolve(request_size_[z * 2 + proto], [&]() -> metrics::Histogram& {
    return m.request_size.with({server, zone, view_, proto_label(proto)});
  }).observe(shard, static_cast<double>(ctx.query_wire().size()));

  const auto& resp = ctx.response();
  const uint16_t rcode = ctx.shape().valid ? ctx.shape().rcode : uint16_t{dns::rcode::SERVFAIL};
  size_t pos = ctx.chain() && ctx.position() < ctx.chain()->plugins.size() ? ctx.position() + 1 : 0;
  if (pos >= positions_) pos = 0;
  auto make_responses = [&]() -> metrics::Counter& {
    char buf[16];
    std::string_view plugin = pos ? ctx.chain()->plugins[pos - 1]->name() : "";
    return m.responses.with({server, zone, view_, dns::rcode_name(rcode, buf), plugin});
  };
  if (rcode < kRcodes) {
    resolve(responses_[(z * kRcodes + rcode) * positions_ + pos], make_responses).inc(shard);
  } else {
    make_responses().inc(shard);
  }
  resolve(response_size_[z * 2 + proto], [&]() -> metrics::Histogram& {
    return m.response_size.with({server, zone, view_, proto_label(proto)});
  }).observe(shard, static_cast<double>(resp.size()));
  double seconds = static_cast<double>(QueryContext::now_ns() - ctx.start_ns()) / 1e9;
  resolve(duration_[z], [&]() -> metrics::Histogram& {
    return m.duration.with({server, zone, view_});
  }).observe(shard, seconds);
}

}  // namespace cxxdns::plugins
