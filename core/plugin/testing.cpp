#include "core/plugin/testing.h"

#include "core/plugin/setup.h"

#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <thread>

#include "core/dns/response.h"
#include "core/dns/text.h"
#include "core/dns/writer.h"
#include "core/plugin/dispatch.h"
#include "core/server/loop.h"

namespace cxxdns::testing {

namespace {

std::vector<std::string> rr_lines(ldns_rr_list* list) {
  std::vector<std::string> out;
  for (size_t i = 0; list && i < ldns_rr_list_rr_count(list); ++i) {
    ldns_rr* rr = ldns_rr_list_rr(list, i);
    if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_OPT) continue;
    char* s = ldns_rr2str(rr);
    std::string line = s ? s : "";
    free(s);
    while (!line.empty() && line.back() == '\n') line.pop_back();
    out.push_back(line);
  }
  return out;
}

}  // namespace

void Recorder::deliver(QueryContext& ctx) {
  reply = ctx.response();
  dropped = reply.empty();
  done = true;
}

bool Recorder::send_partial(QueryContext& ctx, std::span<const uint8_t> msg) {
  if (ctx.transport() != Transport::tcp) return false;
  partials.emplace_back(msg.begin(), msg.end());
  return true;
}

Verdict NextHandler::serve(QueryContext& ctx) {
  ++calls;
  if (write) {
    write(ctx);
    return ctx.reply();
  }
  if (!error_.empty()) return ctx.fail(rcode_, error_);
  return ctx.reply_rcode(rcode_);
}

std::string setup_error(std::string_view corefile, const BuildOptions& opt) {
  try {
    ChainTest t(corefile, opt);
  } catch (const SetupError& e) {
    return e.what();
  }
  return "no error";
}

Registry with_next_handler(const Registry& base, std::string_view anchor, std::string name,
                           std::function<std::unique_ptr<Plugin>()> make) {
  Registry r = base;
  r.add_after(
      anchor, std::move(name),
      [make = std::move(make)](SetupContext&) -> std::unique_ptr<Plugin> { return make(); });
  return r;
}

bool Answer::aa() const {
  return flags & dns::flag::AA;
}
bool Answer::tc() const {
  return flags & dns::flag::TC;
}

std::vector<uint8_t> make_query(std::string_view name, uint16_t type, const QueryOptions& o) {
  dns::Name n;
  if (!dns::from_text(name, n)) throw std::invalid_argument("bad name");
  std::vector<uint8_t> out;
  dns::MessageWriter w(out);
  dns::Header h;
  h.id = o.id;
  h.flags = (o.rd ? dns::flag::RD : 0) | (o.cd ? dns::flag::CD : 0);
  w.start(h);
  w.question(n, type, o.qclass);
  if (o.bufsize > 0) {
    w.opt(static_cast<uint16_t>(o.bufsize), o.do_bit);
    // The version is the TTL field's second byte: after the OPT's name (1), type and class.
    out[out.size() - 11 + 1 + 4 + 1] = o.edns_version;
  }
  return out;
}

Answer parse_answer(std::span<const uint8_t> wire) {
  Answer a;
  a.wire.assign(wire.begin(), wire.end());
  ldns_pkt* pkt = nullptr;
  if (ldns_wire2pkt(&pkt, wire.data(), wire.size()) != LDNS_STATUS_OK) {
    // Header-only answers (FORMERR to garbage) still tell their rcode.
    if (wire.size() >= dns::kHeaderSize) {
      dns::Header h = dns::Header::read(wire.data());
      char buf[16];
      a.answered = true;
      a.rcode = std::string(dns::rcode_name(h.rcode(), buf));
      a.flags = h.flags;
      a.id = h.id;
    }
    return a;
  }
  a.answered = true;
  a.id = ldns_pkt_id(pkt);
  dns::Header h = dns::Header::read(wire.data());
  a.flags = h.flags;
  char buf[16];
  a.rcode = std::string(dns::rcode_name(dns::response_rcode(wire), buf));
  a.has_opt = ldns_pkt_edns(pkt);
  if (a.has_opt) a.edns_version = ldns_pkt_edns_version(pkt);
  a.answer = rr_lines(ldns_pkt_answer(pkt));
  a.authority = rr_lines(ldns_pkt_authority(pkt));
  a.additional = rr_lines(ldns_pkt_additional(pkt));
  ldns_pkt_free(pkt);
  return a;
}

ChainTest::ChainTest(std::string_view corefile, const BuildOptions& opt) {
  config_ = load_config_text(corefile, "Corefile", opt);
  start();
}

ChainTest::ChainTest(const File& corefile, const BuildOptions& opt) {
  config_ = load_config_file(corefile.path, opt);
  start();
}

void ChainTest::start() {
  uv_loop_init(&loop_);
  worker_.loop = &loop_;
  worker_.index = 0;
  worker_.count = 1;
  control_.loop = &loop_;
  control_.workers = 1;
  try {
    config_->lifecycle.start(control_);
    config_->lifecycle.start_worker(worker_);
  } catch (...) {
    // A plugin refused to start (the test may expect it): the destructor will not run, so
    // what was started is stopped and the loop closed here.
    config_->lifecycle.stop();
    close_all_handles(&loop_);
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
    throw;
  }
}

ChainTest::~ChainTest() {
  config_->lifecycle.stop_worker(worker_);
  config_->lifecycle.stop();
  close_all_handles(&loop_);
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
  abandoned_.clear();
}

Plugin* ChainTest::plugin(std::string_view name) const {
  for (Plugin* p : config_->plugins()) {
    if (p->name() == name) return p;
  }
  return nullptr;
}

void ChainTest::run_for(std::chrono::milliseconds d) {
  uv_timer_t t;
  bool fired = false;
  uv_timer_init(&loop_, &t);
  t.data = &fired;
  uv_timer_start(
      &t, [](uv_timer_t* t) { *static_cast<bool*>(t->data) = true; }, d.count(), 0);
  while (!fired) uv_run(&loop_, UV_RUN_ONCE);
  uv_close(reinterpret_cast<uv_handle_t*>(&t), nullptr);
  uv_run(&loop_, UV_RUN_NOWAIT);
}

bool ChainTest::run_until(const std::function<bool()>& done, std::chrono::milliseconds max) {
  const auto deadline = std::chrono::steady_clock::now() + max;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    run_for(std::chrono::milliseconds(10));
  }
  return true;
}

Answer ChainTest::query(std::string_view name, std::string_view type, const QueryOptions& o) {
  uint16_t t = dns::type_from_name(type);
  if (t == 0) throw std::invalid_argument("unknown type");
  return query_wire(make_query(name, t, o), o);
}

Answer ChainTest::query_wire(std::span<const uint8_t> wire, const QueryOptions& o) {
  ClientAddress client;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&client.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&client.storage);
  if (inet_pton(AF_INET, o.client_ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(o.client_port);
    client.len = sizeof *v4;
  } else if (inet_pton(AF_INET6, o.client_ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(o.client_port);
    client.len = sizeof *v6;
  } else {
    throw std::invalid_argument("bad client_ip");
  }
  const ListenerSpec* listener = nullptr;
  for (auto& l : config_->listeners) {
    if (o.port == 0 || l.port == o.port) {
      listener = &l;
      break;
    }
  }
  if (!listener) throw std::invalid_argument("no listener on that port");

  auto sink_owner = std::make_unique<Recorder>();
  Recorder& sink = *sink_owner;
  auto ctx = std::make_unique<QueryContext>();
  ctx->bind(&worker_, &sink, nullptr);
  if (!dispatch(*ctx, ctx->load(wire, o.tcp ? Transport::tcp : Transport::udp, client), listener)) {
    return Answer{};
  }
  uv_timer_t timer;
  bool timed_out = false;
  uv_timer_init(&loop_, &timer);
  timer.data = &timed_out;
  uv_timer_start(
      &timer, [](uv_timer_t* t) { *static_cast<bool*>(t->data) = true; }, o.timeout.count(), 0);
  while (!sink.done && !timed_out) uv_run(&loop_, UV_RUN_ONCE);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
  uv_run(&loop_, UV_RUN_NOWAIT);
  if (!sink.done) {
    // A plugin may still hold the context and answer later: keep both alive until the
    // plugins have stopped (in the destructor), so that late answer lands in live memory.
    abandoned_.push_back(std::shared_ptr<QueryContext>(std::move(ctx)));
    abandoned_.push_back(std::shared_ptr<Recorder>(std::move(sink_owner)));
    return Answer{};
  }
  if (sink.dropped) return Answer{};
  Answer a = parse_answer(sink.reply);
  for (auto& p : sink.partials) a.partials.push_back(parse_answer(p));
  return a;
}

ChainRunner::ChainRunner(const Chain* chain) : chain_(chain) {
  ctx_.bind(&worker_, this, nullptr);
  client_.storage.ss_family = AF_INET;
}

void ChainRunner::deliver(QueryContext& ctx) {
  ++delivered;
  last_size = ctx.response().size();
}

dns::QueryCheck ChainRunner::run(std::span<const uint8_t> wire) {
  ctx_.reset();
  dns::QueryCheck check = ctx_.load(wire, Transport::udp, client_);
  if (check == dns::QueryCheck::ok) ctx_.run(chain_);
  return check;
}

std::vector<std::string> stdout_lines(const std::function<void()>& f) {
  // What is still buffered belongs before the capture (Catch2 writes through std::cout).
  std::cout.flush();
  std::fflush(stdout);
  std::FILE* file = std::tmpfile();
  if (!file) throw std::runtime_error("tmpfile failed");
  const int saved = dup(STDOUT_FILENO);
  dup2(fileno(file), STDOUT_FILENO);
  auto restore = [&] {
    std::fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
  };
  try {
    f();
  } catch (...) {
    restore();
    std::fclose(file);
    throw;
  }
  restore();
  std::string text;
  char buf[4096];
  for (off_t at = 0;;) {
    ssize_t n = pread(fileno(file), buf, sizeof buf, at);
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    at += n;
  }
  std::fclose(file);
  std::vector<std::string> lines;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::string http_request(ChainTest& t, uint16_t port, std::string_view path,
                         std::string_view method) {
  // A blocking client on its own thread; this one runs the loop that serves the request.
  std::string request = std::string(method) + " " + std::string(path) +
                        " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  std::string response;
  std::atomic<bool> done{false};
  std::thread client([&] {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0 &&
        send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size())) {
      char buf[4096];
      for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) {
        response.append(buf, static_cast<size_t>(n));
      }
    }
    close(fd);
    done = true;
  });
  while (!done) t.run_for(std::chrono::milliseconds(1));
  client.join();
  return response;
}

}  // namespace cxxdns::testing
