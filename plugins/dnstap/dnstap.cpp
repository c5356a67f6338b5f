#include "plugins/dnstap/dnstap.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <ctime>

#include "core/log/log.h"

namespace cxxdns::plugins::dnstap {

namespace {

Protocol protocol_of(const QueryContext& ctx) {
  return ctx.udp() ? Protocol::udp : Protocol::tcp;
}

// Whether a unix socket accepts a connection now: only to say at startup, as CoreDNS does,
// that nothing listens yet (fstrm keeps trying to connect in any case).
bool unix_listening(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return false;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool ok = connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

constexpr uint64_t kDropReportMs = 10000;  // CoreDNS's errorCheckInterval

}  // namespace

void Dnstap::start(ControlInfo& control) {
  for (Tap& t : taps_) {
    t.sink = std::make_unique<Sink>(t.endpoint, control.workers);
    if (!t.sink->ok()) {
      log::error("plugin/dnstap: cannot make a framestream writer for {}", t.endpoint.text());
    } else if (t.endpoint.kind == Endpoint::Kind::unix_socket && !unix_listening(t.endpoint.path)) {
      log::error(
          "plugin/dnstap: No connection to dnstap endpoint: {}: nothing listens there "
          "yet (retried every 5 s)",
          t.endpoint.text());
    }
  }
  drops_.start(control.loop, kDropReportMs, kDropReportMs, [this] { report_dropped(); });
}

void Dnstap::stop() {
  drops_.close();
  for (Tap& t : taps_) t.sink.reset();
}

void Dnstap::report_dropped() {
  for (Tap& t : taps_) {
    const uint64_t n = t.sink ? t.sink->take_dropped() : 0;
    if (n > 0) log::warning("plugin/dnstap: Dropped dnstap messages: {}", n);
  }
}

uint64_t unix_now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

void Dnstap::send(QueryContext& ctx, const Event& e) {
  for (Tap& t : taps_) {
    if (!t.sink || !t.wants(e.type)) continue;
    Event sent = e;
    if (!t.full) sent.message = {};
    size_t size = 0;
    Frame frame = encode(t.identity, sent, size);
    t.sink->submit(ctx.worker().index, std::move(frame), size);
  }
}

Verdict Dnstap::serve(QueryContext& ctx) {
  // Internal queries (a plugin's own lookups) are not a client's: CoreDNS taps what its
  // servers receive.
  if (ctx.transport() == Transport::internal) return ctx.next();
  Event e;
  e.type = MessageType::client_query;
  e.protocol = protocol_of(ctx);
  e.client_address = ctx.client().bytes();
  e.client_port = ctx.client().port();
  e.query_ns = unix_now_ns();
  e.message = ctx.query_wire();
  // Sent before the query goes on, so that a reader sees the query before any forwarder's.
  send(ctx, e);
  ctx.on_reply(this, e.query_ns);
  return ctx.next();
}

void Dnstap::on_reply(QueryContext& ctx, uint64_t query_ns) {
  if (ctx.response().empty()) return;  // dropped: nothing was sent
  Event e;
  e.type = MessageType::client_response;
  e.protocol = protocol_of(ctx);
  e.client_address = ctx.client().bytes();
  e.client_port = ctx.client().port();
  e.query_ns = query_ns;
  e.response_ns = unix_now_ns();
  e.message = ctx.response();
  send(ctx, e);
}

void Dnstap::tap_forwarder(QueryContext& ctx, const pkg::ForwarderTry& t) {
  // As CoreDNS's forward (dnstap.go): from the downstream's view, the client is the query
  // address and the upstream the response address; the query time is the try's.
  Event e;
  e.type = MessageType::forwarder_query;
  e.protocol = t.tcp ? Protocol::tcp : Protocol::udp;
  e.client_address = ctx.client().bytes();
  e.client_port = ctx.client().port();
  e.upstream_address = t.upstream_address;
  e.upstream_port = t.upstream_port;
  e.query_ns = t.query_ns;
  e.message = t.query;
  send(ctx, e);
  if (t.response.empty()) return;
  e.type = MessageType::forwarder_response;
  e.response_ns = unix_now_ns();
  e.message = t.response;
  send(ctx, e);
}

}  // namespace cxxdns::plugins::dnstap
