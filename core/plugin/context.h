// QueryContext: one query on its way through a chain. Contexts live in a per-worker pool
// and are reused, so the buffers they hold stop allocating once warm.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/dns/message.h"
#include "core/plugin/plugin.h"

typedef struct uv_loop_s uv_loop_t;

namespace cxxdns {

enum class Transport : uint8_t { udp, tcp, internal };

// A client's address; IPv4-mapped IPv6 addresses are shown as IPv4.
struct ClientAddress {
  sockaddr_storage storage{};
  socklen_t len = 0;

  int family() const;  // AF_INET or AF_INET6
  uint16_t port() const;
  // The address in text ("127.0.0.1", "::1"); returns the length written.
  size_t format_ip(char* buf, size_t cap) const;
  std::string ip() const;
  // The raw address bytes (4 or 16) for answers such as whoami's.
  std::span<const uint8_t> bytes() const;
};

// The per-worker facts a plugin may need: the worker's loop and its index (0..count-1),
// for per-worker state such as upstream sockets.
struct WorkerInfo {
  uv_loop_t* loop = nullptr;
  int index = 0;
  int count = 1;
};

// The control thread: its loop runs signals, timers, file watchers and HTTP endpoints.
struct ControlInfo {
  uv_loop_t* loop = nullptr;
  int workers = 1;
};

class Plugin;
class QueryContext;

// An ordered list of plugins: the chain of one server block.
struct Chain {
  std::vector<Plugin*> plugins;
};

// Where a finished answer goes: a UDP client, a TCP connection, a test, an internal query.
class ReplySink {
 public:
  virtual ~ReplySink() = default;
  // Sends ctx.response() and, when done with it, releases the context.
  virtual void deliver(QueryContext& ctx) = 0;
};

class QueryContext {
 public:
  // --- Set up by the server (or a test) before the chain runs.
  // Copies the query and reads it; returns what parse_query said.
  dns::QueryCheck load(std::span<const uint8_t> wire, Transport t, const ClientAddress& client);
  void bind(WorkerInfo* worker, ReplySink* sink, void* sink_data);
  // Runs `chain` from its first plugin (SERVFAIL when it is empty).
  void run(const Chain* chain);
  // Runs `chain` from plugin `pos`: for a plugin's own internal queries (a cache refresh,
  // a health probe through the chain) sent to the plugins after it, with
  // Transport::internal and a sink of the plugin's making.
  void run_from(const Chain* chain, size_t pos);
  void reset();
  // Answers a query whose body could not be read: its header only, with `rcode`.
  void reply_unparsed(uint8_t rcode);

  // --- The query.
  const dns::QueryView& q() const { return q_; }
  std::span<const uint8_t> query_wire() const { return query_; }
  const ClientAddress& client() const { return client_; }
  Transport transport() const { return transport_; }
  bool udp() const { return transport_ == Transport::udp; }
  WorkerInfo& worker() { return *worker_; }
  uint64_t start_ns() const { return start_ns_; }
  // Lower-case presentation form of the query name ("www.example.org."), made on first use.
  std::string_view qname_text();
  // Lowers the EDNS UDP size the client announced to `size` when it is larger, in the view
  // and in the query's OPT record (so plugins that pass the query on pass the lower size):
  // answers are then truncated to it (CoreDNS's bufsize).
  void limit_udp_size(uint16_t size);

  // --- Walking the chain.
  void next();
  void on_reply(Plugin* p, uint64_t cookie = 0);
  // The answer buffer: write a message into it (dns::MessageWriter), then reply().
  std::vector<uint8_t>& response() { return response_; }
  void reply();
  // reply() for an answer the plugin knows is already final for this query: its ID, QR set,
  // an OPT exactly when the query had one, and within the client's size (the cache checks
  // this while it patches a hit). Skips finalize_response's walk when no on_reply hook may
  // have changed the answer.
  void reply_final();
  void reply(std::span<const uint8_t> wire);
  void reply_rcode(uint8_t rcode);
  // Answers `rcode` and records `error` for the errors plugin ("plugin/forward: ...").
  void fail(uint8_t rcode, std::string_view error);
  // Answers nothing (acl's drop): the client sees a timeout. Ends the query like a reply.
  void drop();
  bool dropped() const { return dropped_; }
  std::string_view error() const { return error_; }
  bool replied() const { return replied_; }
  size_t position() const { return pos_; }
  const Chain* chain() const { return chain_; }

  // --- Query tracing (the explain plugin): when on, plugins say what they did, one short
  // note each ("cache: miss", "forward: 127.0.0.1:53 NOERROR 1.2ms"). Off, a note costs a
  // branch: check tracing() before building its text.
  bool tracing() const { return tracing_; }
  void set_tracing(bool on) { tracing_ = on; }
  void note(std::string_view plugin, std::string_view what);
  const std::vector<std::string>& notes() const { return notes_; }

  // --- For the sink.
  void* sink_data() const { return sink_data_; }
  // Scratch owned by the sink while the answer is being written (TCP length prefix...).
  uint8_t sink_scratch[64];
  // The worker's configuration generation this query began under (for reload draining).
  uint32_t generation = 0;

  static uint64_t now_ns();

 private:
  struct Hook {
    Plugin* plugin;
    uint64_t cookie;
  };
  static constexpr int kMaxHooks = 16;

  std::vector<uint8_t> query_;
  std::vector<uint8_t> response_;
  dns::QueryView q_;
  ClientAddress client_;
  Transport transport_ = Transport::udp;
  WorkerInfo* worker_ = nullptr;
  ReplySink* sink_ = nullptr;
  void* sink_data_ = nullptr;
  const Chain* chain_ = nullptr;
  size_t pos_ = 0;
  Hook hooks_[kMaxHooks];
  int nhooks_ = 0;
  bool replied_ = false;
  bool tracing_ = false;
  bool dropped_ = false;
  std::vector<std::string> notes_;
  uint64_t start_ns_ = 0;
  std::string error_;
  char qname_text_[1024];
  uint16_t qname_text_len_ = 0;
};

}  // namespace cxxdns
