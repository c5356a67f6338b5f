// A scriptable upstream for forward's unit tests: UDP and TCP on one 127.0.0.1 port, run on
// the ChainTest's loop. The handler sees each query and returns the messages to send back.
#pragma once

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/dns/message.h"
#include "test/support/claimed_port.h"

namespace forward_test {

using Bytes = std::vector<uint8_t>;

// An answer to `query` (header and question copied) with `rcode` and `n` A records
// 10.0.0.1..n; `flags_or` adds header flags (TC...); `id_xor` spoils the ID.
inline Bytes make_answer(const Bytes& query, uint8_t rcode, int n, uint16_t flags_or = 0,
                         uint16_t id_xor = 0) {
  using namespace cxxdns::dns;
  size_t off = kHeaderSize;
  skip_name(query, off);
  off += 4;
  Bytes out(query.begin(), query.begin() + static_cast<long>(off));
  Header h = Header::read(query.data());
  h.id ^= id_xor;
  h.flags = static_cast<uint16_t>(flag::QR | (h.flags & flag::RD) | flag::RA | rcode | flags_or);
  h.qdcount = 1;
  h.ancount = static_cast<uint16_t>(n);
  h.nscount = h.arcount = 0;
  h.write(out.data());
  for (int i = 1; i <= n; ++i) {
    const uint8_t rr[] = {0xc0,
                          0x0c,
                          0,
                          1,
                          0,
                          1,
                          0,
                          0,
                          0,
                          60,
                          0,
                          4,
                          10,
                          0,
                          static_cast<uint8_t>(i >> 8),
                          static_cast<uint8_t>(i)};
    out.insert(out.end(), rr, rr + sizeof rr);
  }
  return out;
}

inline bool is_probe(const Bytes& q) {
  size_t off = cxxdns::dns::kHeaderSize;
  return cxxdns::dns::skip_name(q, off) && off + 2 <= q.size() &&
         cxxdns::dns::get16(q.data() + off) == cxxdns::dns::type::NS;
}

// A UDP and a TCP socket bound to one port of 127.0.0.1 (0: the first port free for both).
// Bound here, before libuv takes them: binding the TCP side after the UDP one has started
// would lose the port to any socket of a test running beside this one in between.
inline std::pair<int, int> bind_udp_tcp(uint16_t port) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    const int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (u < 0 || bind(u, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      if (u >= 0) close(u);
      throw std::runtime_error("bind");
    }
    // Room for a burst of queries sent before the loop reads any (Burst starts 2,000): with
    // the default buffer most are dropped and end only at forward's 5 s deadline. Forced
    // where allowed (CAP_NET_ADMIN), else as much as net.core.rmem_max lets.
    const int rcvbuf = 4 << 20;
    if (setsockopt(u, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0) {
      setsockopt(u, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    }
    socklen_t len = sizeof a;
    getsockname(u, reinterpret_cast<sockaddr*>(&a), &len);
    const int t = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    const int one = 1;
    setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (t >= 0 && bind(t, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return {u, t};
    if (t >= 0) close(t);
    close(u);
    if (port != 0) break;  // that port was asked for: no other will do
  }
  throw std::runtime_error("tcp bind on the UDP port");
}

class FakeUpstream {
 public:
  using Handler = std::function<std::vector<Bytes>(const Bytes& query, bool tcp)>;

  FakeUpstream(uv_loop_t* loop, Handler h, uint16_t port = 0) : handler_(std::move(h)) {
    const auto [udp_fd, tcp_fd] = bind_udp_tcp(port);
    uv_udp_init(loop, &udp_);
    udp_.data = this;
    uv_udp_open(&udp_, udp_fd);
    sockaddr_in got{};
    int len = sizeof got;
    uv_udp_getsockname(&udp_, reinterpret_cast<sockaddr*>(&got), &len);
    port_ = ntohs(got.sin_port);
    uv_udp_recv_start(
        &udp_,
        [](uv_handle_t*, size_t, uv_buf_t* b) {
          static char buf[65536];
          *b = uv_buf_init(buf, sizeof buf);
        },
        [](uv_udp_t* h, ssize_t n, const uv_buf_t* b, const sockaddr* from, unsigned) {
          if (n <= 0 || !from) return;
          auto* self = static_cast<FakeUpstream*>(h->data);
          Bytes q(b->base, b->base + n);
          if (is_probe(q))
            ++self->probes;
          else
            ++self->udp_queries;
          self->queries.push_back(q);
          if (from->sa_family == AF_INET) {
            self->udp_source_ports.push_back(
                ntohs(reinterpret_cast<const sockaddr_in*>(from)->sin_port));
          }
          for (auto& r : self->handler_(q, false)) {
            uv_buf_t out =
                uv_buf_init(reinterpret_cast<char*>(r.data()), static_cast<unsigned>(r.size()));
            uv_udp_try_send(h, &out, 1, from);
          }
        });
    uv_tcp_init(loop, &tcp_);
    tcp_.data = this;
    const int bound = uv_tcp_open(&tcp_, tcp_fd);
    const int listening =
        uv_listen(reinterpret_cast<uv_stream_t*>(&tcp_), 16, [](uv_stream_t* s, int status) {
          if (status != 0) return;
          auto* self = static_cast<FakeUpstream*>(s->data);
          auto* c = new Conn{};
          c->self = self;
          ++self->connections;
          self->conns_.insert(c);
          uv_tcp_init(s->loop, &c->h);
          c->h.data = c;
          if (uv_accept(s, reinterpret_cast<uv_stream_t*>(&c->h)) != 0) return;
          uv_read_start(
              reinterpret_cast<uv_stream_t*>(&c->h),
              [](uv_handle_t* h, size_t, uv_buf_t* b) {
                auto* c = static_cast<Conn*>(h->data);
                *b = uv_buf_init(c->tmp, sizeof c->tmp);
              },
              [](uv_stream_t* st, ssize_t n, const uv_buf_t* b) {
                auto* c = static_cast<Conn*>(st->data);
                if (n < 0) {
                  uv_close(reinterpret_cast<uv_handle_t*>(st), [](uv_handle_t* h) {
                    auto* c = static_cast<Conn*>(h->data);
                    if (c->self) c->self->conns_.erase(c);
                    delete c;
                  });
                  return;
                }
                c->in.insert(c->in.end(), b->base, b->base + n);
                while (c->in.size() >= 2) {
                  size_t len = cxxdns::dns::get16(c->in.data());
                  if (c->in.size() < len + 2) break;
                  Bytes q(c->in.begin() + 2, c->in.begin() + 2 + static_cast<long>(len));
                  c->in.erase(c->in.begin(), c->in.begin() + 2 + static_cast<long>(len));
                  if (is_probe(q))
                    ++c->self->probes;
                  else
                    ++c->self->tcp_queries;
                  c->self->queries.push_back(q);
                  for (auto& r : c->self->handler_(q, true)) {
                    auto* w = new Write;
                    w->data.assign(r.size() + 2, 0);
                    cxxdns::dns::put16(w->data.data(), static_cast<uint16_t>(r.size()));
                    std::copy(r.begin(), r.end(), w->data.begin() + 2);
                    uv_buf_t ob = uv_buf_init(reinterpret_cast<char*>(w->data.data()),
                                              static_cast<unsigned>(w->data.size()));
                    w->req.data = w;
                    uv_write(&w->req, st, &ob, 1,
                             [](uv_write_t* r, int) { delete static_cast<Write*>(r->data); });
                  }
                  if (c->self->close_after_answer) {
                    uv_read_stop(st);
                    uv_close(reinterpret_cast<uv_handle_t*>(st), [](uv_handle_t* h) {
                      auto* c = static_cast<Conn*>(h->data);
                      if (c->self) c->self->conns_.erase(c);
                      delete c;
                    });
                    return;
                  }
                }
              });
        });
    if (bound != 0 || listening != 0) throw std::runtime_error("tcp listen on the UDP port");
  }
  ~FakeUpstream() {
    for (Conn* c : conns_) {
      c->self = nullptr;  // their close callbacks must not come back here
      auto* h = reinterpret_cast<uv_handle_t*>(&c->h);
      if (!uv_is_closing(h))
        uv_close(h, [](uv_handle_t* h) { delete static_cast<Conn*>(h->data); });
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&udp_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), nullptr);
    uv_run(udp_.loop, UV_RUN_NOWAIT);
  }
  uint16_t port() const { return port_; }
  std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }

  // Client queries by transport; health checks (NS queries) counted apart.
  int udp_queries = 0, tcp_queries = 0, probes = 0;
  std::vector<uint16_t> udp_source_ports;  // of each UDP query, in order
  int connections = 0;                     // TCP connections accepted
  bool close_after_answer = false;         // close each TCP connection once it has answered
  std::vector<Bytes> queries;

 private:
  struct Conn {
    FakeUpstream* self = nullptr;
    uv_tcp_t h;
    char tmp[4096];
    Bytes in;
  };
  struct Write {
    uv_write_t req;
    Bytes data;
  };
  Handler handler_;
  std::set<Conn*> conns_;
  uv_udp_t udp_;
  uv_tcp_t tcp_;
  uint16_t port_ = 0;
};

// A port nothing listens on yet, that no other test or client socket will take (see
// claimed_port): a test binds its FakeUpstream there later, or leaves it dead.
inline uint16_t dead_port() {
  return cxxdns::test_support::claimed_port();
}

}  // namespace forward_test
