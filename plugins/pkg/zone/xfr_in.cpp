#include "plugins/pkg/zone/xfr_in.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "core/dns/text.h"
#include "core/dns/writer.h"

namespace cxxdns::pkg::zone {
namespace {

constexpr int kConnectMs = 5000;
constexpr int kReadMs = 10000;  // between two pieces of the transfer

// A TCP connection to a primary, blocking the calling thread in 100 ms slices so that a
// stop is seen.
class Conn {
 public:
  explicit Conn(const std::atomic<bool>* stop) : stop_(stop) {}
  ~Conn() {
    if (fd_ >= 0) close(fd_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  bool open(const IpEndpoint& ep, std::string& error) {
    sockaddr_storage sa;
    const socklen_t len = ep.to_sockaddr(sa);
    fd_ = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return fail(error, "socket");
    if (connect(fd_, reinterpret_cast<const sockaddr*>(&sa), len) != 0 && errno != EINPROGRESS) {
      return fail(error, "connect");
    }
    if (!wait(POLLOUT, kConnectMs, error)) return false;
    int err = 0;
    socklen_t elen = sizeof err;
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &elen);
    if (err != 0) {
      error = std::string("connect: ") + std::strerror(err);
      return false;
    }
    return true;
  }

  bool send(std::span<const uint8_t> msg, std::string& error) {
    std::vector<uint8_t> out(2 + msg.size());
    dns::put16(out.data(), static_cast<uint16_t>(msg.size()));
    std::memcpy(out.data() + 2, msg.data(), msg.size());
    for (size_t done = 0; done < out.size();) {
      if (!wait(POLLOUT, kReadMs, error)) return false;
      ssize_t n = ::send(fd_, out.data() + done, out.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EINTR) return fail(error, "write");
      if (n > 0) done += static_cast<size_t>(n);
    }
    return true;
  }

  bool recv(std::vector<uint8_t>& msg, std::string& error) {
    uint8_t len[2];
    if (!read_all(len, 2, error)) return false;
    msg.resize(dns::get16(len));
    return read_all(msg.data(), msg.size(), error);
  }

 private:
  bool read_all(uint8_t* p, size_t n, std::string& error) {
    for (size_t done = 0; done < n;) {
      if (!wait(POLLIN, kReadMs, error)) return false;
      ssize_t r = ::recv(fd_, p + done, n - done, 0);
      if (r == 0) {
        error = "connection closed";
        return false;
      }
      if (r < 0 && errno != EAGAIN && errno != EINTR) return fail(error, "read");
      if (r > 0) done += static_cast<size_t>(r);
    }
    return true;
  }

  bool wait(short events, int timeout_ms, std::string& error) {
    for (int waited = 0; waited < timeout_ms; waited += 100) {
      if (stop_ && stop_->load(std::memory_order_relaxed)) {
        error = "stopped";
        return false;
      }
      pollfd p{fd_, events, 0};
      if (poll(&p, 1, 100) > 0) return true;
    }
    error = "i/o timeout";
    return false;
  }

  static bool fail(std::string& error, const char* what) {
    error = std::string(what) + ": " + std::strerror(errno);
    return false;
  }

  int fd_ = -1;
  const std::atomic<bool>* stop_;
};

std::vector<uint8_t> make_query(const dns::Name& zone, uint16_t qtype, uint16_t& id) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  id = static_cast<uint16_t>(rng());
  std::vector<uint8_t> out;
  dns::MessageWriter w(out);
  dns::Header h;
  h.id = id;
  w.start(h);
  w.question(zone, qtype, dns::cls::IN);
  return out;
}

// Checks that `msg` answers query `id` without error.
bool answer_ok(std::span<const uint8_t> msg, uint16_t id, std::string& error) {
  if (msg.size() < dns::kHeaderSize) {
    error = "short message";
    return false;
  }
  const dns::Header h = dns::Header::read(msg.data());
  if (h.id != id || !(h.flags & dns::flag::QR)) {
    error = "not an answer to the query";
    return false;
  }
  if (h.rcode() != dns::rcode::NOERROR) {
    char buf[16];
    error = "rcode " + std::string(dns::rcode_name(h.rcode(), buf));
    return false;
  }
  return true;
}

// Reads the answer records of one AXFR message into `b`; `state`: 0 before the first SOA, 1
// inside the zone, 2 after the closing SOA.
bool take_message(std::span<const uint8_t> msg, ZoneBuilder& b, int& state, size_t& records,
                  std::string& error) {
  std::vector<uint8_t> rdata;
  const bool walked = dns::walk_records(msg, [&](const dns::RecordRef& r) {
    if (r.section != dns::Section::answer || state == 2) return false;
    RecordView v;
    size_t off = r.offset;
    rdata.clear();
    if (!dns::read_name(msg, off, v.owner) || !read_rdata(msg, r, rdata)) {
      error = "bad record";
      return false;
    }
    if (state == 0 && r.type != dns::type::SOA) {
      error = "first record is not SOA";
      return false;
    }
    if (state == 1 && r.type == dns::type::SOA) {  // the closing SOA
      state = 2;
      return false;
    }
    state = 1;
    v.type = r.type;
    v.klass = r.klass;
    v.ttl = r.ttl;
    v.rdata = rdata;
    error = b.add(v);
    ++records;
    return error.empty();
  });
  if (!walked && error.empty()) error = "malformed message";
  return error.empty();
}

}  // namespace

bool query_serial(const IpEndpoint& server, const dns::Name& zone, uint32_t& serial,
                  std::string& error, const std::atomic<bool>* stop) {
  Conn c(stop);
  uint16_t id = 0;
  std::vector<uint8_t> msg;
  if (!c.open(server, error) || !c.send(make_query(zone, dns::type::SOA, id), error) ||
      !c.recv(msg, error) || !answer_ok(msg, id, error)) {
    return false;
  }
  bool found = false;
  std::vector<uint8_t> rdata;
  dns::walk_records(msg, [&](const dns::RecordRef& r) {
    if (r.section != dns::Section::answer) return false;
    if (r.type != dns::type::SOA) return true;
    SoaFields f;
    found = read_rdata(msg, r, rdata) && read_soa(rdata, f);
    serial = f.serial;
    return false;
  });
  if (!found) error = "no SOA in the answer";
  return found;
}

XfrInResult axfr_in(const IpEndpoint& server, const dns::Name& zone,
                    const std::atomic<bool>* stop) {
  XfrInResult out;
  Conn c(stop);
  uint16_t id = 0;
  if (!c.open(server, out.error) || !c.send(make_query(zone, type::AXFR, id), out.error)) {
    return out;
  }
  ZoneBuilder b(zone);
  int state = 0;
  std::vector<uint8_t> msg;
  while (state != 2) {
    if (!c.recv(msg, out.error) || !answer_ok(msg, id, out.error) ||
        !take_message(msg, b, state, out.records, out.error)) {
      return out;
    }
  }
  out.zone = b.build(out.error);
  return out;
}

}  // namespace cxxdns::pkg::zone
