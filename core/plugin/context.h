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
#include "core/dns/shape.h"
#include "core/plugin/pending.h"
#include "core/plugin/plugin.h"
#include "core/plugin/slots.h"

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

// An ordered list of plugins: the chain of one server block.
struct Chain {
  std::vector<Plugin*> plugins;
};

// Where a finished answer goes: a UDP client, a TCP connection, a test, an internal query.
class ReplySink {
 public:
  virtual ~ReplySink() = default;
  // Sends ctx.response() (empty: the query was dropped, send nothing) and, when done with
  // it, releases the context.
  virtual void deliver(QueryContext& ctx) = 0;
  // Sends `msg` at once, as it stands, ahead of the answer deliver() will send: one message
  // of an answer that takes several (a zone transfer over TCP, RFC 5936 2.2). Only a stream
  // can carry that; a sink that cannot (UDP, internal queries) refuses with false.
  virtual bool send_partial(QueryContext& /*ctx*/, std::span<const uint8_t> /*msg*/) {
    return false;
  }
};

// The error a plugin gave with its answer (ctx.fail), for the errors plugin: CoreDNS's
// returned error, in a slot.
struct QueryError {
  std::string text;
  void clear() { text.clear(); }
};

// With debug output on (log::debug_enabled), logs a message that load() refused (dropped, or
// answered FORMERR) and its bytes in the form text2pcap reads back: what CoreDNS's debug
// plugin shows of packets it cannot read. The server and the test API both call it.
void debug_refused_query(std::span<const uint8_t> wire, const ClientAddress& from,
                         dns::QueryCheck why);

class QueryContext {
 public:
  // --- Set up by the server (or a test) before the chain runs.
  // Copies the query and reads it; returns what parse_query said.
  dns::QueryCheck load(std::span<const uint8_t> wire, Transport t, const ClientAddress& client);
  void bind(WorkerInfo* worker, ReplySink* sink, void* sink_data);
  // Runs `chain` from plugin `pos` (0: the whole chain; later: a plugin's own internal
  // query to the plugins after it). SERVFAIL when there is no such plugin.
  void run(const Chain* chain, size_t pos = 0);
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
  // How deep in internal queries this one is (0: a client's); a guard against loops.
  uint8_t depth() const { return depth_; }
  void set_depth(uint8_t d) { depth_ = d; }

  // --- Changing the query for the plugins after this one, as CoreDNS's plugins edit the
  // request in place: both patch the wire they send on (forward) and the view q().
  // Header flags (header's query rules): `set` bits set, then `clear` bits cleared.
  void set_query_flags(uint16_t set, uint16_t clear);
  // The EDNS UDP size of the OPT record (bufsize); false when the query has none.
  bool set_query_udp_size(uint16_t size);
  // A whole new query (rewrite: another name, type or class, EDNS0 options). From now on
  // q(), query_wire() and qname_text() are `wire`'s, for the plugins after the caller; the
  // client's query is kept aside. restore_query() brings it back: the rewriter calls it from
  // its reply hook once the answer carries the client's question again, so that the hooks
  // before it (cache, log) and the final answer see the client's query; the context restores
  // it before finalizing in any case. `wire` must read as a query (not ok: nothing changed).
  // A query that is not rewritten pays nothing for this.
  dns::QueryCheck rewrite_query(std::span<const uint8_t> wire);
  void restore_query();
  bool query_rewritten() const { return rewritten_; }

  // --- What a plugin does with the query (see Plugin::serve): each returns its verdict.
  Verdict next();
  // The answer: written into writable_response() (dns::MessageWriter), or given.
  Verdict reply();
  Verdict reply(std::span<const uint8_t> wire);
  Verdict reply_rcode(uint8_t rcode);
  // Answers `rcode` and leaves `error` for the errors plugin ("plugin/forward: ...").
  Verdict fail(uint8_t rcode, std::string_view error);
  // Answers nothing (acl's drop): the client sees a timeout.
  Verdict drop();
  // Keeps the query to answer later through the PendingQuery.
  Deferral defer();

  // For an answer of several messages (AXFR over TCP): sends `msg`, a whole message the
  // plugin wrote (the query's ID, QR set), now; the last message is the answer given by
  // reply() as usual. False when the transport cannot carry more than one message (UDP,
  // internal queries): the plugin then answers otherwise (CoreDNS's transfer: REFUSED).
  bool send_partial(std::span<const uint8_t> msg);

  // To see the final answer of the plugins after this one (before next()).
  void on_reply(ReplyHook* hook, uint64_t cookie = 0);

  // --- The answer.
  const std::vector<uint8_t>& response() const { return response_; }
  // For writing it (dns::MessageWriter w(ctx.writable_response())): the shape is read again
  // when next asked for.
  std::vector<uint8_t>& writable_response() {
    shape_read_ = false;
    return response_;
  }
  // For patching bytes in place without changing the message's layout (an ID, a TTL): the
  // shape stays as read.
  std::span<uint8_t> response_bytes() { return response_; }
  // The answer's shape, read once per version of the answer.
  const dns::AnswerShape& shape() {
    if (!shape_read_) read_shape();
    return shape_;
  }
  // The same for an answer whose one question is the query's (a cached copy, checked when
  // it was stored): the question is not walked again.
  const dns::AnswerShape& shape_of_own_question() {
    if (!shape_read_) {
      dns::read_shape_after(response_, dns::kHeaderSize + q_.qname.len + 4, shape_);
      shape_read_ = true;
    }
    return shape_;
  }
  // For a writer that knows the shape of what it wrote.
  void set_shape(const dns::AnswerShape& s) {
    shape_ = s;
    shape_read_ = true;
  }
  // The same, filled in place (no copy); the context takes it as read.
  dns::AnswerShape& fill_shape() {
    shape_read_ = true;
    return shape_;
  }

  bool replied() const { return replied_; }
  size_t position() const { return pos_; }
  const Chain* chain() const { return chain_; }

  // --- Per-query data plugins leave for each other (slots.h).
  template <typename T>
  T& slot() {
    return slots_.get<T>();
  }
  template <typename T>
  T* find_slot() {
    return slots_.find<T>();
  }

  // --- For the sink and the worker's pool.
  void* sink_data() const { return sink_data_; }
  // The worker's configuration generation this query began under (for reload draining).
  uint32_t generation = 0;

  static uint64_t now_ns();

 private:
  friend class PendingQuery;
  struct Hook {
    ReplyHook* hook;
    uint64_t cookie;
  };
  static constexpr int kMaxHooks = 16;

  Verdict invoke(size_t pos);
  Verdict verdict(Verdict::Kind k) const { return Verdict(k, this, pos_); }
  void finish();  // hooks, finalize, deliver
  void run_hooks();
  void read_shape();

  std::vector<uint8_t> query_;
  std::vector<uint8_t> response_;
  dns::QueryView q_;
  // The client's query while a rewritten one is in query_ and q_ (rewrite_query).
  std::vector<uint8_t> client_query_;
  dns::QueryView client_q_;
  bool rewritten_ = false;
  dns::AnswerShape shape_;
  bool shape_read_ = false;
  ClientAddress client_;
  Transport transport_ = Transport::udp;
  uint8_t depth_ = 0;
  WorkerInfo* worker_ = nullptr;
  ReplySink* sink_ = nullptr;
  void* sink_data_ = nullptr;
  const Chain* chain_ = nullptr;
  size_t pos_ = 0;
  Hook hooks_[kMaxHooks];
  int nhooks_ = 0;
  bool replied_ = false;
  bool in_hooks_ = false;
  uint64_t start_ns_ = 0;
  QuerySlots slots_;
  char qname_text_[1024];
  uint16_t qname_text_len_ = 0;
};

}  // namespace cxxdns
