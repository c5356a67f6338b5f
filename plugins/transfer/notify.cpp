#include "plugins/transfer/notify.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>

#include "core/dns/message.h"
#include "core/dns/text.h"
#include "core/dns/writer.h"
#include "core/log/log.h"

namespace cxxdns::plugins {
namespace {

constexpr int kTries = 3;
constexpr int kWaitMs = 2000;  // miekg/dns's default read timeout

uint16_t random_id() {
  static thread_local std::mt19937 rng{std::random_device{}()};
  return static_cast<uint16_t>(rng());
}

// Waits up to kWaitMs for the answer to `id` on `fd`; its rcode, or -1 for none.
int await_answer(int fd, uint16_t id, const std::atomic<bool>* stop) {
  uint8_t buf[4096];
  for (int waited = 0; waited < kWaitMs; waited += 100) {
    if (stop && stop->load(std::memory_order_relaxed)) return -1;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < dns::kHeaderSize) continue;
    const dns::Header h = dns::Header::read(buf);
    if (h.id == id && (h.flags & dns::flag::QR)) return h.rcode();
  }
  return -1;
}

}  // namespace

std::string NotifySender::notify(const std::string& zone, const pkg::IpEndpoint& to,
                                 const std::atomic<bool>* stop) {
  dns::Name name;
  if (!dns::from_text(zone, name)) return "bad zone name";
  sockaddr_storage sa;
  const socklen_t len = to.to_sockaddr(sa);
  const int fd = socket(sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "socket failed";
  if (connect(fd, reinterpret_cast<const sockaddr*>(&sa), len) != 0) {
    close(fd);
    return "connect failed";
  }
  std::string why = "no answer";
  for (int i = 0; i < kTries; ++i) {
    std::vector<uint8_t> msg;
    dns::MessageWriter w(msg);
    dns::Header h;
    h.id = random_id();
    h.flags = static_cast<uint16_t>((dns::opcode::NOTIFY << 11) | dns::flag::AA);
    w.start(h);
    w.question(name, dns::type::SOA, dns::cls::IN);
    if (::send(fd, msg.data(), msg.size(), 0) < 0) continue;
    const int rcode = await_answer(fd, h.id, stop);
    if (rcode == dns::rcode::NOERROR) {
      why.clear();
      break;
    }
    if (rcode > 0) {
      char buf[16];
      why = "rcode was \"" + std::string(dns::rcode_name(static_cast<uint16_t>(rcode), buf)) + "\"";
    }
    if (stop && stop->load(std::memory_order_relaxed)) break;
  }
  close(fd);
  return why;
}

void NotifySender::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void NotifySender::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    stop_flag_.store(true, std::memory_order_relaxed);
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void NotifySender::send(std::string zone, std::vector<pkg::IpEndpoint> to) {
  if (to.empty()) return;
  {
    std::lock_guard lock(mu_);
    jobs_.push_back({std::move(zone), std::move(to)});
  }
  cv_.notify_all();
}

void NotifySender::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (stopping_) return;
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    std::string list;
    for (const auto& to : job.to) {
      const std::string why = notify(job.zone, to, &stop_flag_);
      if (!why.empty()) {
        log::error("plugin/transfer: notify for zone \"{}\" was not accepted by \"{}\": {}",
                   job.zone, to.text(), why);
      }
      list += (list.empty() ? "" : " ") + to.text();
    }
    log::info("plugin/transfer: Sent notifies for zone \"{}\" to [{}]", job.zone, list);
    lock.lock();
  }
}

}  // namespace cxxdns::plugins
