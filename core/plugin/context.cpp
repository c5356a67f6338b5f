#include "core/plugin/context.h"

#include <arpa/inet.h>
#include <time.h>

#include <cstring>

#include "core/dns/response.h"

namespace cxxdns {

namespace {
bool is_v4_mapped(const sockaddr_in6* a) {
  return IN6_IS_ADDR_V4MAPPED(&a->sin6_addr);
}
}  // namespace

int ClientAddress::family() const {
  if (storage.ss_family == AF_INET6 &&
      is_v4_mapped(reinterpret_cast<const sockaddr_in6*>(&storage))) {
    return AF_INET;
  }
  return storage.ss_family;
}

uint16_t ClientAddress::port() const {
  if (storage.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  }
  if (storage.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  }
  return 0;
}

std::span<const uint8_t> ClientAddress::bytes() const {
  if (storage.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&storage);
    return {reinterpret_cast<const uint8_t*>(&a->sin_addr), 4};
  }
  if (storage.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(&storage);
    const uint8_t* b = a->sin6_addr.s6_addr;
    if (is_v4_mapped(a)) return {b + 12, 4};
    return {b, 16};
  }
  return {};
}

size_t ClientAddress::format_ip(char* buf, size_t cap) const {
  auto b = bytes();
  if (b.empty() || cap < INET6_ADDRSTRLEN) return 0;
  if (!inet_ntop(b.size() == 4 ? AF_INET : AF_INET6, b.data(), buf, cap)) return 0;
  return std::strlen(buf);
}

std::string ClientAddress::ip() const {
  char buf[INET6_ADDRSTRLEN];
  return std::string(buf, format_ip(buf, sizeof buf));
}

uint64_t QueryContext::now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + ts.tv_nsec;
}

dns::QueryCheck QueryContext::load(std::span<const uint8_t> wire, Transport t,
                                   const ClientAddress& client) {
  query_.assign(wire.begin(), wire.end());
  transport_ = t;
  client_ = client;
  start_ns_ = now_ns();
  return dns::parse_query(query_, q_);
}

void QueryContext::bind(WorkerInfo* worker, ReplySink* sink, void* sink_data) {
  worker_ = worker;
  sink_ = sink;
  sink_data_ = sink_data;
}

void QueryContext::reset() {
  chain_ = nullptr;
  pos_ = 0;
  nhooks_ = 0;
  replied_ = false;
  error_.clear();
  qname_text_len_ = 0;
  response_.clear();
  tracing_ = false;
  dropped_ = false;
  notes_.clear();
}

void QueryContext::limit_udp_size(uint16_t size) {
  if (!q_.edns.present || q_.edns.udp_size <= size) return;
  q_.edns.udp_size = size;
  // The OPT's owner is the root (one byte), then TYPE, then CLASS: the UDP size.
  const size_t at = q_.edns.opt_offset + 3;
  if (at + 2 <= query_.size()) dns::put16(query_.data() + at, size);
}

void QueryContext::note(std::string_view plugin, std::string_view what) {
  if (!tracing_) return;
  std::string n(plugin);
  n += ": ";
  n += what;
  notes_.push_back(std::move(n));
}

std::string_view QueryContext::qname_text() {
  if (qname_text_len_ == 0) {
    qname_text_len_ =
        static_cast<uint16_t>(dns::to_text(q_.qname_lower, qname_text_, sizeof qname_text_));
  }
  return {qname_text_, qname_text_len_};
}

void QueryContext::run(const Chain* chain) {
  chain_ = chain;
  pos_ = 0;
  if (chain->plugins.empty()) {
    fail(dns::rcode::SERVFAIL, "no plugins in this server block");
    return;
  }
  chain->plugins[0]->serve(*this);
}

void QueryContext::run_from(const Chain* chain, size_t pos) {
  chain_ = chain;
  pos_ = pos;
  if (pos >= chain->plugins.size()) {
    fail(dns::rcode::SERVFAIL, "no next plugin found");
    return;
  }
  chain->plugins[pos]->serve(*this);
}

void QueryContext::next() {
  Plugin* current = chain_->plugins[pos_];
  if (pos_ + 1 >= chain_->plugins.size()) {
    // As CoreDNS's plugin.NextOrFailure.
    std::string msg = "plugin/";
    msg.append(current->name());
    msg.append(": no next plugin found");
    fail(dns::rcode::SERVFAIL, msg);
    return;
  }
  ++pos_;
  chain_->plugins[pos_]->serve(*this);
}

void QueryContext::on_reply(Plugin* p, uint64_t cookie) {
  // More hooks than a chain has plugins cannot happen; a full table is a plugin bug.
  if (nhooks_ < kMaxHooks) hooks_[nhooks_++] = Hook{p, cookie};
}

void QueryContext::reply() {
  replied_ = true;
  for (int i = nhooks_ - 1; i >= 0; --i) hooks_[i].plugin->on_reply(*this, hooks_[i].cookie);
  dns::finalize_response(response_, q_, udp());
  sink_->deliver(*this);
}

void QueryContext::reply_final() {
  if (nhooks_ > 0) return reply();
  replied_ = true;
  sink_->deliver(*this);
}

void QueryContext::reply(std::span<const uint8_t> wire) {
  response_.assign(wire.begin(), wire.end());
  reply();
}

void QueryContext::reply_rcode(uint8_t rc) {
  dns::write_rcode_reply(response_, q_, rc);
  reply();
}

void QueryContext::reply_unparsed(uint8_t rc) {
  replied_ = true;
  dns::Header in = dns::Header::read(query_.data());
  dns::Header h;
  h.id = in.id;
  h.flags = static_cast<uint16_t>(dns::flag::QR |
                                  (in.flags & (dns::flag::OPCODE_MASK | dns::flag::RD)) | rc);
  response_.resize(dns::kHeaderSize);
  h.write(response_.data());
  sink_->deliver(*this);
}

void QueryContext::drop() {
  replied_ = true;
  dropped_ = true;
  response_.clear();
  sink_->deliver(*this);
}

void QueryContext::fail(uint8_t rc, std::string_view error) {
  error_.assign(error);
  reply_rcode(rc);
}

}  // namespace cxxdns
