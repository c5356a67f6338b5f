#include "core/plugin/context.h"

#include <arpa/inet.h>
#include <time.h>

#include <cassert>
#include <cstring>

#include "core/dns/response.h"
#include "core/dns/writer.h"
#include "core/log/log.h"

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
    const auto* a = reinterpret_cast<const sockaddr_in*>(&storage);
    return {reinterpret_cast<const uint8_t*>(&a->sin_addr), 4};
  }
  if (storage.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&storage);
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

void debug_refused_query(std::span<const uint8_t> wire, const ClientAddress& from,
                         dns::QueryCheck why) {
  if (!log::debug_enabled()) return;
  std::string_view outcome = "malformed, answered FORMERR";
  if (why == dns::QueryCheck::drop) {
    outcome = wire.size() < dns::kHeaderSize ? "shorter than a header, dropped"
                                             : "not a query (QR set), dropped";
  }
  log::debug_hexdump(fmt::format("Bad DNS message from {}:{} ({} bytes): {}", from.ip(),
                                 from.port(), wire.size(), outcome),
                     wire);
}

uint64_t QueryContext::now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + ts.tv_nsec;
}

dns::QueryCheck QueryContext::load(std::span<const uint8_t> wire, Transport t,
                                   const ClientAddress& client) {
  rewritten_ = false;
  query_.assign(wire.begin(), wire.end());
  transport_ = t;
  client_ = client;
  start_ns_ = now_ns();
  const dns::QueryCheck check = dns::parse_query(query_, q_);
  // Bytes after the last record are not part of the query: plugins that pass it on
  // (forward, a cache refresh) send the message only.
  if (check == dns::QueryCheck::ok && q_.end < query_.size()) query_.resize(q_.end);
  return check;
}

void QueryContext::set_query_flags(uint16_t set, uint16_t clear) {
  q_.hdr.flags = static_cast<uint16_t>((q_.hdr.flags & ~clear) | set);
  dns::put16(query_.data() + 2, q_.hdr.flags);
}

bool QueryContext::set_query_udp_size(uint16_t size) {
  if (!q_.edns.present) return false;
  q_.edns.udp_size = size;
  // The OPT record's CLASS field: TYPE, CLASS, TTL and RDLENGTH come before its data.
  dns::put16(query_.data() + q_.edns.rdata_offset - 8, size);
  return true;
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
  in_hooks_ = false;
  depth_ = 0;
  qname_text_len_ = 0;
  rewritten_ = false;
  response_.clear();
  shape_read_ = false;
  slots_.clear();
}

dns::QueryCheck QueryContext::rewrite_query(std::span<const uint8_t> wire) {
  dns::QueryView view;
  const dns::QueryCheck check = dns::parse_query(wire, view);
  if (check != dns::QueryCheck::ok) return check;
  if (!rewritten_) {
    // Both buffers keep their capacity (swapped, not freed): a pooled context that rewrote
    // once rewrites again without allocating.
    client_query_.swap(query_);
    client_q_ = q_;
    rewritten_ = true;
  }
  query_.assign(wire.begin(), wire.end());
  q_ = view;
  qname_text_len_ = 0;
  return check;
}

void QueryContext::restore_query() {
  if (!rewritten_) return;
  query_.swap(client_query_);
  q_ = client_q_;
  rewritten_ = false;
  qname_text_len_ = 0;
}

std::string_view QueryContext::qname_text() {
  if (qname_text_len_ == 0) {
    qname_text_len_ =
        static_cast<uint16_t>(dns::to_text(q_.qname_lower, qname_text_, sizeof qname_text_));
  }
  return {qname_text_, qname_text_len_};
}

void QueryContext::read_shape() {
  dns::read_shape(response_, shape_);
  shape_read_ = true;
}

Verdict QueryContext::invoke(size_t pos) {
  pos_ = pos;
  Verdict v = chain_->plugins[pos]->serve(*this);
  // Compares pointers only: the context may be answered and reused by now.
  assert(v.ctx_ == this && v.pos_ == pos &&
         "serve() must return the verdict of its own next(), reply() or defer()");
  return v;
}

void QueryContext::run(const Chain* chain, size_t pos) {
  chain_ = chain;
  if (pos >= chain->plugins.size()) {
    pos_ = pos;
    (void)fail(dns::rcode::SERVFAIL,
               pos == 0 ? "no plugins in this server block" : "no next plugin found");
    return;
  }
  (void)invoke(pos);
}

Verdict QueryContext::next() {
  assert(!replied_ && !in_hooks_ && "next() after the query was answered");
  const size_t me = pos_;
  if (me + 1 >= chain_->plugins.size()) {
    // As CoreDNS's plugin.NextOrFailure.
    std::string msg = "plugin/";
    msg.append(chain_->plugins[me]->name());
    msg.append(": no next plugin found");
    return fail(dns::rcode::SERVFAIL, msg);
  }
  (void)invoke(me + 1);
  return Verdict(Verdict::Kind::passed, this, me);
}

void QueryContext::on_reply(ReplyHook* hook, uint64_t cookie) {
  // More hooks than a chain has plugins cannot happen; a full table is a plugin bug.
  assert(nhooks_ < kMaxHooks);
  if (nhooks_ < kMaxHooks) hooks_[nhooks_++] = Hook{hook, cookie};
}

void QueryContext::run_hooks() {
  in_hooks_ = true;
  for (int i = nhooks_ - 1; i >= 0; --i) hooks_[i].hook->on_reply(*this, hooks_[i].cookie);
  in_hooks_ = false;
}

void QueryContext::finish() {
  replied_ = true;
  if (nhooks_ > 0) run_hooks();
  // The answer goes to the client who asked: its ID, its EDNS, its size.
  restore_query();
  if (!shape_read_) read_shape();
  if (dns::finalize_response(response_, shape_, q_, udp())) shape_read_ = false;
  sink_->deliver(*this);
}

Verdict QueryContext::reply() {
  assert(!replied_ && !in_hooks_ && "a query answered twice");
  const Verdict v = verdict(Verdict::Kind::answered);
  finish();
  return v;
}

Verdict QueryContext::reply(std::span<const uint8_t> wire) {
  writable_response().assign(wire.begin(), wire.end());
  return reply();
}

Verdict QueryContext::reply_rcode(uint8_t rc) {
  dns::write_rcode_reply(writable_response(), q_, rc);
  return reply();
}

Verdict QueryContext::fail(uint8_t rc, std::string_view error) {
  slot<QueryError>().text.assign(error);
  return reply_rcode(rc);
}

Verdict QueryContext::drop() {
  assert(!replied_ && !in_hooks_ && "a query answered twice");
  const Verdict v = verdict(Verdict::Kind::answered);
  replied_ = true;
  response_.clear();
  shape_read_ = false;
  sink_->deliver(*this);
  return v;
}

bool QueryContext::send_partial(std::span<const uint8_t> msg) {
  assert(!replied_ && !in_hooks_ && "send_partial() after the query was answered");
  if (msg.size() < dns::kHeaderSize || msg.size() > 65535) return false;
  return sink_->send_partial(*this, msg);
}

Deferral QueryContext::defer() {
  assert(!replied_ && !in_hooks_ && "defer() after the query was answered");
  return Deferral{verdict(Verdict::Kind::deferred), PendingQuery(this)};
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
  // RFC 6891 7: an answer to a query with an OPT carries one, FORMERR and NOTIMP included.
  if (q_.edns.present) dns::MessageWriter::append_opt(response_, q_.udp_size(), q_.edns.do_bit);
  shape_read_ = false;
  sink_->deliver(*this);
}

}  // namespace cxxdns
