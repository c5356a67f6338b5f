#include "core/server/tcp.h"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "core/dns/message.h"
#include "core/metrics/metrics.h"
#include "core/server/doh.h"
#include "core/server/grpc_wire.h"
#include "core/server/http2.h"
#include "core/server/tls_session.h"
#include "core/server/worker.h"

namespace cxxdns {

namespace {
// One read buffer per worker; a connection keeps only bytes it could not frame yet.
constexpr size_t kReadBufferSize = 64 * 1024;
// A connection's own buffer is given back when empty if it grew past this: one large
// message must not pin its size for the connection's life.
constexpr size_t kKeptBufferCapacity = 1024;
// SO_SNDBUF of a client connection (the kernel doubles it): room for two 64 KB answers.
constexpr int kSendBufferBytes = 64 * 1024;
// Eviction looks at this many connections, idle end first, for one that owes nothing.
constexpr int kEvictionScan = 64;
}  // namespace

struct TcpConnection;

// An answer the kernel did not take at once: the rest of it, kept until written.
struct TcpWrite {
  uv_write_t req;
  TcpConnection* conn = nullptr;
  TcpWrite* next = nullptr;
  uint64_t queued_at = 0;  // loop time, for the write deadline
  std::vector<uint8_t> bytes;
};

struct TcpClient;
class TcpConnections;

// What a connection speaks above TLS (or the bare socket): DNS messages with a length
// prefix (dns://, tls://), or HTTP carrying them (https://): HTTP/2 or HTTP/1.1 as ALPN
// chose, `alpn` until the TLS handshake has chosen.
enum class StreamProtocol : uint8_t { dns, http1, http2, alpn };

struct TcpConnection {
  uv_tcp_t handle;
  uv_timer_t timer;  // the nearest deadline: message, answer or idle
  TcpEndpoint* ep = nullptr;
  TcpConnections* owner = nullptr;
  TcpClient* client = nullptr;  // while admitted and open
  ClientAddress peer;
  std::vector<uint8_t> buf;          // bytes read (decrypted) and not framed yet
  std::unique_ptr<TlsSession> tls;   // tls:// and https:// with the tls plugin
  std::unique_ptr<Http2Session> h2;  // https:// when ALPN chose h2
  StreamProtocol proto = StreamProtocol::dns;
  bool grpc = false;    // a grpc:// listener's: HTTP/2 requests are gRPC calls, not DoH
  bool finish = false;  // HTTP "Connection: close" or a bad request: close once nothing is owed
  uint64_t msg_started = 0;    // loop time the unfinished message at buf's start began
  uint64_t last_active = 0;    // loop time of the last query taken or answer written
  TcpWrite* writes = nullptr;  // answers being written, oldest first
  TcpWrite* writes_tail = nullptr;
  size_t queued_bytes = 0;
  int inflight = 0;
  int open_handles = 0;
  bool admitted = false;
  bool closing = false;
  bool reading = false;
  bool processing = false;
  bool msg_timed = false;  // msg_started holds the start of the message at buf's start
  // Order of activity, least recent first: among the worker's connections, and among those
  // of the same client address.
  TcpConnection *prev = nullptr, *next = nullptr;
  TcpConnection *cprev = nullptr, *cnext = nullptr;

  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&handle); }
  bool owes_nothing() const { return inflight == 0 && writes == nullptr; }
};

namespace {

template <TcpConnection* TcpConnection::*Prev, TcpConnection* TcpConnection::*Next>
struct ActivityList {
  TcpConnection* head = nullptr;  // least recently active
  TcpConnection* tail = nullptr;

  void push_back(TcpConnection* c) {
    c->*Prev = tail;
    c->*Next = nullptr;
    (tail ? tail->*Next : head) = c;
    tail = c;
  }
  void remove(TcpConnection* c) {
    (c->*Prev ? c->*Prev->*Next : head) = c->*Next;
    (c->*Next ? c->*Next->*Prev : tail) = c->*Prev;
    c->*Prev = c->*Next = nullptr;
  }
  // The least recently active connection that owes nothing (no query in flight, no answer
  // being written), among the first kEvictionScan; null when there is none.
  TcpConnection* idlest() const {
    TcpConnection* c = head;
    for (int i = 0; c && i < kEvictionScan; ++i, c = c->*Next) {
      if (c->owes_nothing()) return c;
    }
    return nullptr;
  }
};

using AllList = ActivityList<&TcpConnection::prev, &TcpConnection::next>;
using ClientList = ActivityList<&TcpConnection::cprev, &TcpConnection::cnext>;

// A client address as 16 bytes (IPv4 as IPv4-mapped IPv6).
struct AddressKey {
  std::array<uint8_t, 16> b{};
  bool operator==(const AddressKey&) const = default;

  static AddressKey of(const ClientAddress& a) {
    AddressKey k;
    auto bytes = a.bytes();
    if (bytes.size() == 4) {
      k.b[10] = k.b[11] = 0xff;
      std::memcpy(k.b.data() + 12, bytes.data(), 4);
    } else if (bytes.size() == 16) {
      std::memcpy(k.b.data(), bytes.data(), 16);
    }
    return k;
  }
};

struct AddressKeyHash {
  size_t operator()(const AddressKey& k) const {
    uint64_t a, b;
    std::memcpy(&a, k.b.data(), 8);
    std::memcpy(&b, k.b.data() + 8, 8);
    uint64_t h = (a ^ (b * 0x9e3779b97f4a7c15ull)) * 0xbf58476d1ce4e5b9ull;
    return static_cast<size_t>(h ^ (h >> 31));
  }
};

}  // namespace

struct TcpClient {
  int open = 0;
  ClientList conns;
};

class TcpConnections {
 public:
  TcpConnections(Worker* w, const TcpLimits& l) : worker(w), limits(l), read_buf(kReadBufferSize) {}

  Worker* worker;
  TcpLimits limits;
  std::vector<uint8_t> read_buf;
  int open = 0;
  bool draining = false;
  AllList all;
  std::unordered_map<AddressKey, TcpClient, AddressKeyHash> clients;
};

void TcpConnectionsDeleter::operator()(TcpConnections* c) const {
  delete c;
}

TcpConnectionsPtr make_tcp_connections(Worker* worker, const TcpLimits& limits) {
  return TcpConnectionsPtr(new TcpConnections(worker, limits));
}

int tcp_open_connections(const TcpConnections& c) {
  return c.open;
}

namespace {

uint64_t loop_now(TcpConnection* c) {
  return uv_now(c->handle.loop);
}

void maybe_free(TcpConnection* c) {
  if (!c->closing || c->open_handles != 0 || !c->owes_nothing()) return;
  delete c;
}

void on_closed(uv_handle_t* h) {
  auto* c = static_cast<TcpConnection*>(h->data);
  --c->open_handles;
  maybe_free(c);
}

void close_connection(TcpConnection* c) {
  if (c->closing) return;
  c->closing = true;
  if (c->tls && c->tls->handshake_done() && !c->writes) {
    // close_notify, if the socket takes it now (best effort: the connection goes anyway).
    c->tls->close();
    auto out = c->tls->output();
    uv_buf_t b = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(out.data())),
                             static_cast<unsigned>(out.size()));
    if (!out.empty()) uv_try_write(c->stream(), &b, 1);
  }
  if (c->admitted) {
    TcpConnections& o = *c->owner;
    o.all.remove(c);
    --o.open;
    c->client->conns.remove(c);
    if (--c->client->open == 0) o.clients.erase(AddressKey::of(c->peer));
    c->client = nullptr;
  }
  // Pending writes are cancelled (their callbacks run, freeing them) before these close.
  uv_close(reinterpret_cast<uv_handle_t*>(&c->handle), on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&c->timer), on_closed);
}

// A query taken or an answer written: the connection is the most recently active.
void touch(TcpConnection* c) {
  if (c->closing || !c->admitted) return;
  c->last_active = loop_now(c);
  c->owner->all.remove(c);
  c->owner->all.push_back(c);
  c->client->conns.remove(c);
  c->client->conns.push_back(c);
}

const TcpTimeouts& timeouts_of(TcpConnection* c) {
  static const TcpTimeouts defaults;
  const ListenerSpec* l = c->owner->worker->listener(c->ep->listener);
  return l ? l->tcp_timeouts : defaults;
}

// One timer, at the nearest deadline that applies: the oldest answer not taken (write), the
// message begun (read: from its first byte, however slowly the rest comes), or the idle
// spell (nothing in flight, owed or begun). Queries in the chain have the plugins' own
// timeouts, so a connection waiting on them only has the deadlines of what else it holds.
void on_deadline(uv_timer_t* t);
void arm_timer(TcpConnection* c) {
  if (c->closing) return;
  const TcpTimeouts& t = timeouts_of(c);
  uint64_t deadline = UINT64_MAX;
  if (c->writes) deadline = std::min(deadline, c->writes->queued_at + t.write_ms);
  if (c->reading && !c->buf.empty()) deadline = std::min(deadline, c->msg_started + t.read_ms);
  if (c->owes_nothing() && c->buf.empty()) deadline = c->last_active + t.idle_ms;
  if (deadline == UINT64_MAX) {
    uv_timer_stop(&c->timer);
    return;
  }
  uint64_t now = loop_now(c);
  uv_timer_start(&c->timer, on_deadline, deadline > now ? deadline - now : 0, 0);
}

void on_deadline(uv_timer_t* t) {
  auto* c = static_cast<TcpConnection*>(t->data);
  close_connection(c);
  maybe_free(c);
}

void update_reading(TcpConnection* c);
void after_answer(TcpConnection* c);

// Takes what comes back from the kernel: the answer's rest, or the connection's end.
void on_written(uv_write_t* req, int status) {
  auto* wr = static_cast<TcpWrite*>(req->data);
  TcpConnection* c = wr->conn;
  // libuv completes a stream's writes in order: this is the oldest.
  c->writes = wr->next;
  if (!c->writes) c->writes_tail = nullptr;
  c->queued_bytes -= wr->bytes.size();
  delete wr;
  if (status < 0) close_connection(c);
  touch(c);
  after_answer(c);
}

// After an answer was written or given up: a draining (or finishing) connection that owes
// nothing closes; another may read again, with its deadlines re-armed.
void after_answer(TcpConnection* c) {
  if (!c->closing) {
    if ((c->owner->draining || c->finish) && c->owes_nothing()) {
      close_connection(c);
    } else {
      update_reading(c);
      arm_timer(c);
    }
  }
  maybe_free(c);
}

// Writes `a` then `b` to the socket as they are (TLS records, or the bare stream). What the
// kernel takes at once costs no copy and nothing kept; the rest is copied, owed, and bounded
// (the connection closes past the cap) unless `capped` is false: the messages of a zone
// transfer, whose size the server's own zone bounds, are all queued (reading pauses
// meanwhile, as for any owed answer).
void send_raw(TcpConnection* c, std::span<const uint8_t> a, std::span<const uint8_t> b,
              bool capped) {
  const size_t total = a.size() + b.size();
  size_t written = 0;
  if (c->closing || total == 0) return;
  if (!c->writes) {
    uv_buf_t bufs[2] = {uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(a.data())),
                                    static_cast<unsigned>(a.size())),
                        uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(b.data())),
                                    static_cast<unsigned>(b.size()))};
    int r = uv_try_write(c->stream(), bufs, b.empty() ? 1 : 2);
    if (r < 0 && r != UV_EAGAIN) return close_connection(c);
    written = r > 0 ? size_t(r) : 0;
  }
  if (written == total) return touch(c);
  const size_t rest = total - written;
  if (capped && c->queued_bytes + rest > c->owner->limits.queued_close_bytes) {
    return close_connection(c);
  }
  auto* wr = new TcpWrite;
  wr->req.data = wr;
  wr->conn = c;
  wr->queued_at = loop_now(c);
  wr->bytes.resize(rest);
  uint8_t* out = wr->bytes.data();
  if (written < a.size()) {
    std::memcpy(out, a.data() + written, a.size() - written);
    out += a.size() - written;
  }
  const size_t from = written > a.size() ? written - a.size() : 0;
  if (b.size() > from) std::memcpy(out, b.data() + from, b.size() - from);
  uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(wr->bytes.data()), unsigned(rest));
  if (uv_write(&wr->req, c->stream(), &buf, 1, on_written) != 0) {
    delete wr;
    return close_connection(c);
  }
  (c->writes_tail ? c->writes_tail->next : c->writes) = wr;
  c->writes_tail = wr;
  c->queued_bytes += rest;
}

// What the TLS session has to send (handshake records, alerts, encrypted answers).
void flush_tls(TcpConnection* c, bool capped = true) {
  auto out = c->tls->output();
  if (!out.empty()) send_raw(c, out, {}, capped);
  c->tls->consume_output();
}

// Plaintext to the client: encrypted first on a TLS connection.
void send_bytes(TcpConnection* c, std::span<const uint8_t> a, std::span<const uint8_t> b,
                bool capped = true) {
  if (c->closing) return;
  if (!c->tls) return send_raw(c, a, b, capped);
  if (!c->tls->send(a, b)) return close_connection(c);
  flush_tls(c, capped);
}

// A DNS message with its length prefix (RFC 7766, RFC 7858).
void send_answer(TcpConnection* c, std::span<const uint8_t> resp, bool capped = true) {
  uint8_t prefix[2];
  dns::put16(prefix, static_cast<uint16_t>(resp.size()));
  send_bytes(c, {prefix, 2}, resp, capped);
}

class TcpSink final : public ReplySink {
 public:
  void deliver(QueryContext& ctx) override {
    auto* c = static_cast<TcpConnection*>(ctx.sink_data());
    if (!c->closing && !ctx.response().empty()) send_answer(c, ctx.response());  // empty: dropped
    // The answer is written or copied: the context goes back to the pool now.
    --c->inflight;
    c->owner->worker->release(&ctx);
    after_answer(c);
  }

  // One message of a multi-message answer (AXFR), sent ahead of the final answer that
  // deliver() sends later: written now, or copied and queued in order.
  bool send_partial(QueryContext& ctx, std::span<const uint8_t> msg) override {
    auto* c = static_cast<TcpConnection*>(ctx.sink_data());
    if (c->closing) return false;
    send_answer(c, msg, /*capped=*/false);
    return !c->closing;
  }
};
TcpSink g_tcp_sink;

// --- DNS over HTTPS: one HTTP request, the query it carries and the answer's way back.

struct DohExchange {
  TcpConnection* c;
  int32_t stream;  // HTTP/2 stream; 0 on HTTP/1.1
  bool keep_alive;
};

void flush_h2(TcpConnection* c) {
  std::vector<uint8_t> out;
  c->h2->take_output(out);
  if (!out.empty()) send_bytes(c, out, {});
  if (c->h2->finished()) c->finish = true;
}

// coredns_dns_https_responses_total{server="https://ADDR:PORT", status}, as CoreDNS counts
// its DoH answers.
void count_doh_response(TcpConnection* c, int status) {
  static auto& fam = metrics::Registry::global().counter(
      "coredns_dns_https_responses_total",
      "Counter of DoH responses per server and http status code.", {"server", "status"});
  const ListenerSpec* l = c->owner->worker->listener(c->ep->listener);
  if (!l) return;
  std::string host = l->address;
  if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
  fam.with({"https://" + host + ":" + std::to_string(l->port), std::to_string(status)})
      .inc(c->owner->worker->info().index);
}

void doh_send(TcpConnection* c, const DohExchange& x, int status, const std::string& type,
              const std::string& cache_control, std::span<const uint8_t> body) {
  if (c->closing) return;
  count_doh_response(c, status);
  if (c->proto == StreamProtocol::http2) {
    c->h2->respond(x.stream, status, type, cache_control, {body.begin(), body.end()});
    return flush_h2(c);
  }
  std::string head = doh::http1_head(status, type, cache_control, body.size(), x.keep_alive);
  if (!x.keep_alive) c->finish = true;
  send_bytes(c, {reinterpret_cast<const uint8_t*>(head.data()), head.size()}, body);
}

// An error as Go's http.Error writes it: the text and a newline, as plain text.
void doh_error(TcpConnection* c, const DohExchange& x, int status, const std::string& text) {
  std::string body = text + "\n";
  doh_send(c, x, status, "text/plain; charset=utf-8", "",
           {reinterpret_cast<const uint8_t*>(body.data()), body.size()});
}

class DohSink final : public ReplySink {
 public:
  void deliver(QueryContext& ctx) override {
    auto* x = static_cast<DohExchange*>(ctx.sink_data());
    TcpConnection* c = x->c;
    if (ctx.response().empty()) {
      doh_error(c, *x, 500, "No response");  // as CoreDNS when the chain wrote nothing
    } else {
      doh_send(c, *x, 200, std::string(doh::kMimeType), doh::cache_control(ctx.response()),
               ctx.response());
    }
    delete x;
    --c->inflight;
    c->owner->worker->release(&ctx);
    after_answer(c);
  }
};
DohSink g_doh_sink;

void doh_request(TcpConnection* c, const DohExchange& x, std::string_view method,
                 std::string_view target, std::span<const uint8_t> body) {
  doh::Decoded d = doh::decode(method, target, body);
  if (d.status != 200) return doh_error(c, x, d.status, d.error);
  auto* ex = new DohExchange(x);
  ++c->inflight;
  bool taken = c->owner->worker->handle_query(d.wire, Transport::tcp, c->peer, c->ep->listener,
                                              &g_doh_sink, ex);
  if (taken) return touch(c);
  // No header to answer with: CoreDNS cannot unpack it either.
  --c->inflight;
  delete ex;
  doh_error(c, x, 400, "dns: bad DNS message");
}

// --- DNS over gRPC (CoreDNS's grpc:// server blocks): a unary call of
// coredns.dns.DnsService/Query on an HTTP/2 stream. It is the DoH listener's HTTP/2 with
// another request handler, rather than libgrpc++'s server: that one brings its own threads
// and completion queues, while this runs on the worker's loop with the TLS, connection caps
// and deadlines every other stream listener has.

// The answer of a call: the DnsPacket (status ok) or the status and its message; grpc-go's
// HTTP status for the calls it refuses before any handler (405, 415), 200 otherwise.
void grpc_send(TcpConnection* c, int32_t stream, grpc::Status st, const std::string& error,
               std::span<const uint8_t> answer = {}, int http_status = 200) {
  if (c->closing) return;
  Http2Session::Headers head = {{":status", std::to_string(http_status)},
                                {"content-type", std::string(grpc::kContentType)}};
  Http2Session::Headers trailers = {{"grpc-status", std::to_string(static_cast<int>(st))}};
  if (!error.empty()) trailers.emplace_back("grpc-message", grpc::encode_message(error));
  std::vector<uint8_t> body;
  if (st == grpc::Status::ok) body = grpc::frame(grpc::encode_packet(answer));
  c->h2->respond(stream, std::move(head), std::move(body), std::move(trailers));
  flush_h2(c);
}

class GrpcSink final : public ReplySink {
 public:
  void deliver(QueryContext& ctx) override {
    auto* x = static_cast<DohExchange*>(ctx.sink_data());
    TcpConnection* c = x->c;
    if (ctx.response().empty()) {
      // CoreDNS would send the query back as its answer; an error says what happened.
      grpc_send(c, x->stream, grpc::Status::unknown, "no response");
    } else {
      grpc_send(c, x->stream, grpc::Status::ok, "", ctx.response());
    }
    delete x;
    --c->inflight;
    c->owner->worker->release(&ctx);
    after_answer(c);
  }
};
GrpcSink g_grpc_sink;

// grpc-go's texts for a call of another method or service.
std::string unknown_method(std::string_view path) {
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  const size_t slash = path.rfind('/');
  const std::string_view service = slash == std::string_view::npos ? "" : path.substr(0, slash);
  if (service != "coredns.dns.DnsService") return "unknown service " + std::string(service);
  return "unknown method " + std::string(path.substr(slash + 1)) +
         " for service coredns.dns.DnsService";
}

void grpc_request(TcpConnection* c, const Http2Session::Request& r) {
  if (r.method != "POST") {
    return grpc_send(c, r.stream, grpc::Status::internal, "invalid gRPC request method " + r.method,
                     {}, 405);
  }
  if (!grpc::is_grpc_content_type(r.content_type)) {
    return grpc_send(c, r.stream, grpc::Status::invalid_argument,
                     "invalid gRPC request content-type \"" + r.content_type + "\"", {}, 415);
  }
  if (r.path != grpc::kQueryPath) {
    return grpc_send(c, r.stream, grpc::Status::unimplemented, unknown_method(r.path));
  }
  if (r.too_big) {
    return grpc_send(c, r.stream, grpc::Status::resource_exhausted,
                     "grpc: received message larger than max");
  }
  grpc::Unframed u = grpc::decode_request(r.body);
  if (u.status != grpc::Status::ok) return grpc_send(c, r.stream, u.status, u.error);
  auto* ex = new DohExchange{c, r.stream, true};
  ++c->inflight;
  if (c->owner->worker->handle_query(u.payload, Transport::tcp, c->peer, c->ep->listener,
                                     &g_grpc_sink, ex)) {
    return touch(c);
  }
  --c->inflight;
  delete ex;
  // As CoreDNS: the error of unpacking the message, status Unknown.
  grpc_send(c, r.stream, grpc::Status::unknown, "dns: bad DNS message");
}

// Notes when the unfinished request or message at buf's start began (the read deadline).
void mark_unfinished(TcpConnection* c, bool completed) {
  if (c->buf.empty()) {
    if (c->buf.capacity() > kKeptBufferCapacity) std::vector<uint8_t>().swap(c->buf);
    c->msg_timed = false;
  } else if (completed || !c->msg_timed) {
    c->msg_started = loop_now(c);  // a new message has begun
    c->msg_timed = true;
  }
}

// HTTP/1.1: one request at a time, so answers go in the order asked (pipelined requests
// wait in buf).
void process_http1(TcpConnection* c) {
  size_t off = 0;
  bool completed = false;
  while (!c->closing && !c->finish && c->inflight == 0 &&
         c->queued_bytes < c->owner->limits.queued_pause_bytes && off < c->buf.size()) {
    doh::Http1Request req;
    size_t used = 0;
    auto r = doh::parse_http1({c->buf.data() + off, c->buf.size() - off}, req, used);
    if (r == doh::Http1Parse::more) break;
    if (r == doh::Http1Parse::bad) {
      doh_error(c, DohExchange{c, 0, false}, 400, "Bad Request");
      off = c->buf.size();
      break;
    }
    off += used;
    completed = true;
    doh_request(c, DohExchange{c, 0, req.keep_alive}, req.method, req.target, req.body);
  }
  c->buf.erase(c->buf.begin(), c->buf.begin() + static_cast<ptrdiff_t>(off));
  mark_unfinished(c, completed);
}

// HTTP/2: nghttp2 takes every byte; the requests it completed go to the chain after.
void process_http2(TcpConnection* c) {
  if (c->buf.empty()) return;
  std::vector<Http2Session::Request> done;
  const bool ok = c->h2->receive(c->buf, done);
  c->buf.clear();
  mark_unfinished(c, true);
  for (auto& r : done) {
    if (c->closing) break;
    if (c->grpc) {
      grpc_request(c, r);
      continue;
    }
    DohExchange x{c, r.stream, true};
    if (r.too_big) {
      doh_error(c, x, 400, "http: request body too large");
    } else {
      doh_request(c, x, r.method, r.path, r.body);
    }
  }
  if (!c->closing) flush_h2(c);
  if (!ok) c->finish = true;  // GOAWAY sent: done once the answers owed are written
}

void start_http2(TcpConnection* c) {
  c->proto = StreamProtocol::http2;
  c->h2 = std::make_unique<Http2Session>(
      static_cast<uint32_t>(c->owner->limits.max_inflight_per_connection));
  flush_h2(c);  // the server's SETTINGS
}

// https:// over TLS: the handshake is done, ALPN says which HTTP. gRPC is HTTP/2 only.
void choose_http(TcpConnection* c) {
  if (c->grpc || c->tls->alpn() == "h2") {
    start_http2(c);
  } else {
    c->proto = StreamProtocol::http1;
  }
}

void process_dns(TcpConnection* c);

void process(TcpConnection* c) {
  if (c->processing) return;  // an answer given at once calls back in here
  c->processing = true;
  switch (c->proto) {
    case StreamProtocol::dns:
      process_dns(c);
      break;
    case StreamProtocol::http1:
      process_http1(c);
      break;
    case StreamProtocol::http2:
      process_http2(c);
      break;
    case StreamProtocol::alpn:
      break;
  }
  c->processing = false;
}

// Frames the messages in c->buf and hands each to the worker while the connection may take
// more (update_reading's rule); what is left (an unfinished message, or messages waiting for
// answers to be taken) stays in buf.
void process_dns(TcpConnection* c) {
  Worker* w = c->owner->worker;
  const TcpLimits& l = c->owner->limits;
  size_t off = 0;
  bool completed = false;
  while (!c->closing && c->inflight < l.max_inflight_per_connection &&
         c->queued_bytes < l.queued_pause_bytes && c->buf.size() - off >= 2) {
    size_t len = dns::get16(c->buf.data() + off);
    if (c->buf.size() - off < 2 + len) break;
    ++c->inflight;
    bool taken = w->handle_query({c->buf.data() + off + 2, len}, Transport::tcp, c->peer,
                                 c->ep->listener, &g_tcp_sink, c);
    if (taken) {
      touch(c);
    } else {
      --c->inflight;  // dropped unanswered: not activity, the idle deadline stands
    }
    off += 2 + len;
    completed = true;
  }
  c->buf.erase(c->buf.begin(), c->buf.begin() + static_cast<ptrdiff_t>(off));
  mark_unfinished(c, completed);
}

void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* b) {
  auto* c = static_cast<TcpConnection*>(s->data);
  if (nread < 0) {
    close_connection(c);
    maybe_free(c);
    return;
  }
  if (nread == 0) return;
  const auto* bytes = reinterpret_cast<const uint8_t*>(b->base);
  if (c->tls) {
    const bool ok = c->tls->receive({bytes, static_cast<size_t>(nread)}, c->buf);
    flush_tls(c);  // handshake records, alerts
    if (!ok) {
      close_connection(c);
      maybe_free(c);
      return;
    }
    if (c->proto == StreamProtocol::alpn && c->tls->handshake_done()) choose_http(c);
  } else {
    c->buf.insert(c->buf.end(), bytes, bytes + nread);
  }
  process(c);
  after_answer(c);  // a connection told to finish (a bad request) may be done already
}

// Reads while the connection may send more: fewer queries in flight than the cap and fewer
// answer bytes owed than the pause threshold, and the server is not shutting down.
bool wants_to_read(const TcpConnection* c) {
  const TcpLimits& l = c->owner->limits;
  // HTTP/1.1 answers in order: nothing more is read while a request is in the chain.
  return !c->closing && !c->owner->draining && !c->finish &&
         c->inflight < l.max_inflight_per_connection &&
         (c->proto != StreamProtocol::http1 || c->inflight == 0) &&
         c->queued_bytes < l.queued_pause_bytes;
}

void update_reading(TcpConnection* c) {
  const bool want = wants_to_read(c);
  if (want != c->reading) {
    c->reading = want;
    if (!want) {
      uv_read_stop(c->stream());
      return;
    }
    uv_read_start(
        c->stream(),
        [](uv_handle_t* h, size_t, uv_buf_t* out) {
          auto& rb = static_cast<TcpConnection*>(h->data)->owner->read_buf;
          *out = uv_buf_init(reinterpret_cast<char*>(rb.data()), static_cast<unsigned>(rb.size()));
        },
        on_read);
    // A message begun before the pause gets its whole read time again.
    if (!c->buf.empty()) c->msg_started = loop_now(c);
  }
  // Messages already read wait in buf (read while the connection was at a cap, or pipelined
  // HTTP/1.1 requests): they go now, and reading stops again if they reach a cap.
  if (!want || c->buf.empty() || c->processing) return;
  const size_t before = c->buf.size();
  process(c);
  if (c->buf.size() != before && wants_to_read(c) != c->reading) update_reading(c);
}

// At a cap, the connection idle longest gives up its place; false when every one candidate
// is busy (a query in flight or an answer owed).
bool make_room(TcpConnection* victim) {
  if (!victim) return false;
  close_connection(victim);
  maybe_free(victim);
  return true;
}

bool admit(TcpConnections& o, TcpConnection* c) {
  if (o.draining) return false;
  AddressKey key = AddressKey::of(c->peer);
  auto it = o.clients.find(key);
  if (it != o.clients.end() && it->second.open >= o.limits.max_per_client &&
      !make_room(it->second.conns.idlest())) {
    return false;
  }
  if (o.open >= o.limits.max_connections && !make_room(o.all.idlest())) return false;
  TcpClient& cl = o.clients[key];  // found again: making room may have erased it
  c->client = &cl;
  c->admitted = true;
  ++cl.open;
  ++o.open;
  o.all.push_back(c);
  cl.conns.push_back(c);
  return true;
}

// tls://, https:// and grpc:// listeners: TLS when the block has the tls plugin (plain TCP,
// HTTP/1.1 or HTTP/2 with prior knowledge otherwise, as CoreDNS), HTTP for https:// and
// grpc://. False when TLS cannot be had.
bool speak_listener_transport(TcpConnection* c) {
  const ListenerSpec* l = c->owner->worker->listener(c->ep->listener);
  if (!l || l->transport == ListenerTransport::dns) return true;
  if (l->security) {
    ssl_ctx_st* ctx = l->security->server_context(l->transport);
    if (!ctx) return false;
    c->tls = std::make_unique<TlsSession>(ctx);
  }
  if (l->transport == ListenerTransport::https) {
    c->proto = c->tls ? StreamProtocol::alpn : StreamProtocol::http1;
  } else if (l->transport == ListenerTransport::grpc) {
    // h2c: the client starts with HTTP/2's preface, as gRPC's plaintext clients do.
    c->grpc = true;
    if (c->tls) {
      c->proto = StreamProtocol::alpn;
    } else {
      start_http2(c);
    }
  }
  return true;
}

void on_connection(uv_stream_t* server, int status) {
  if (status < 0) return;
  auto* ep = static_cast<TcpEndpoint*>(server->data);
  auto* c = new TcpConnection;
  c->ep = ep;
  c->owner = ep->conns;
  uv_tcp_init(server->loop, &c->handle);
  uv_timer_init(server->loop, &c->timer);
  c->handle.data = c;
  c->timer.data = c;
  c->open_handles = 2;
  if (uv_accept(server, c->stream()) != 0) {
    close_connection(c);
    return;
  }
  int len = sizeof c->peer.storage;
  uv_tcp_getpeername(&c->handle, reinterpret_cast<sockaddr*>(&c->peer.storage), &len);
  c->peer.len = static_cast<socklen_t>(len);
  if (!admit(*c->owner, c)) {
    close_connection(c);  // every place is held by a connection with work in flight
    return;
  }
  c->last_active = loop_now(c);
  if (!speak_listener_transport(c)) {
    close_connection(c);
    return;
  }
  uv_tcp_nodelay(&c->handle, 1);
  // The kernel's send buffer would grow to megabytes for a client that never reads; a fixed
  // one still holds the largest answer twice over.
  int sndbuf = kSendBufferBytes;
  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(&c->handle), &fd) == 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  }
  update_reading(c);
  arm_timer(c);
}

}  // namespace

void drain_tcp(TcpConnections& o) {
  o.draining = true;
  std::vector<TcpConnection*> conns;
  for (TcpConnection* c = o.all.head; c; c = c->next) conns.push_back(c);
  for (TcpConnection* c : conns) {
    if (c->owes_nothing()) {
      close_connection(c);
      maybe_free(c);
    } else {
      update_reading(c);
      arm_timer(c);
    }
  }
}

void start_tcp(uv_loop_t* loop, TcpEndpoint& ep, int fd) {
  uv_tcp_init(loop, &ep.handle);
  ep.handle.data = &ep;
  uv_tcp_open(&ep.handle, fd);
  uv_listen(reinterpret_cast<uv_stream_t*>(&ep.handle), 1024, on_connection);
}

}  // namespace cxxdns
