// NOTIFY (RFC 1996) to a zone's secondaries, as CoreDNS's transfer sends them: a NOTIFY for
// the zone's SOA over UDP to each address, up to three tries of 2 s each until one is
// answered NOERROR. Sent from a thread of its own, so a secondary that does not answer never
// holds up the control loop that noticed the change.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "plugins/pkg/ip.h"

namespace cxxdns::plugins {

class NotifySender {
 public:
  NotifySender() = default;
  ~NotifySender() { stop(); }
  NotifySender(const NotifySender&) = delete;
  NotifySender& operator=(const NotifySender&) = delete;

  void start();
  // Ends the thread; notifies not sent yet are dropped.
  void stop();
  // Queues NOTIFYs for `zone` to `to`; returns at once.
  void send(std::string zone, std::vector<pkg::IpEndpoint> to);

  // One NOTIFY to one address, with its retries; empty on success, else why not. `stop`
  // cuts the waits short.
  static std::string notify(const std::string& zone, const pkg::IpEndpoint& to,
                            const std::atomic<bool>* stop = nullptr);

 private:
  struct Job {
    std::string zone;
    std::vector<pkg::IpEndpoint> to;
  };
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::atomic<bool> stop_flag_{false};  // the same, read by notify()'s waits
  std::thread thread_;
};

}  // namespace cxxdns::plugins
