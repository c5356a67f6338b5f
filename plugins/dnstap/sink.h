// Where the frames of one `dnstap` directive go: a framestream writer (libfstrm) to a unix
// socket or a TCP address, run by fstrm's own I/O thread. Each worker hands frames to a queue
// of its own and never waits: a full queue (a reader that is gone or slow) drops the frame
// and counts it, as CoreDNS drops above its 10,000-message buffer. fstrm reconnects by itself
// (every 5 s) and does the bidirectional handshake (READY, ACCEPT, START) dnstap readers
// expect.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "plugins/dnstap/encode.h"

struct fstrm_iothr;

namespace cxxdns::plugins::dnstap {

struct Endpoint {
  enum class Kind : uint8_t { unix_socket, tcp } kind = Kind::unix_socket;
  std::string path;           // unix
  std::string address, port;  // tcp: an IP address and a port number

  std::string text() const;  // "unix:///run/tap.sock", "tcp://127.0.0.1:6000"
};

class Sink {
 public:
  // One queue per worker; frames of other threads go to the last one.
  Sink(const Endpoint& endpoint, int workers);
  ~Sink();
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  // False when the writer could not be made (out of memory, a bad address).
  bool ok() const { return iothr_ != nullptr; }
  // Queues `frame` on `worker`'s queue; counts a drop when it is full.
  void submit(int worker, Frame frame, size_t size);
  // The frames dropped since the last call.
  uint64_t take_dropped() { return dropped_.exchange(0, std::memory_order_relaxed); }

 private:
  fstrm_iothr* iothr_ = nullptr;
  int queues_ = 0;
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace cxxdns::plugins::dnstap
