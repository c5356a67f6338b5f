// etcd: answers from SkyDNS records in etcd v3 (what external-dns writes), as CoreDNS's etcd
// plugin. The query path never waits on etcd: a thread of the plugin keeps a copy of every
// key under the path, read whole and read again whenever etcd's watch says a key changed;
// queries read the current copy (README.md says why this and not a request per query).
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/plugin/config.h"
#include "core/plugin/context.h"
#include "core/plugin/snapshot.h"
#include "plugins/etcd/client.h"
#include "plugins/etcd/lookup.h"
#include "plugins/etcd/store.h"
#include "plugins/pkg/fall.h"
#include "plugins/pkg/zones.h"

namespace cxxdns::plugins::etcd {

struct EtcdConfig {
  std::vector<std::string> zones;
  std::string path = "/skydns";
  pkg::Fallthrough fallthrough;
  ClientConfig client;
};

class Etcd final : public Plugin {
 public:
  // `services`: for following CNAMEs out of the zone through the server (may be null).
  Etcd(EtcdConfig cfg, int workers, const Services* services = nullptr);
  ~Etcd() override;
  std::string_view name() const override { return "etcd"; }
  Verdict serve(QueryContext& ctx) override;

  void start();  // the reading thread
  void stop();
  // A first copy of the keys has been read.
  bool ready() const { return loaded_.load(std::memory_order_acquire); }
  std::shared_ptr<const Store> store() const { return store_.current(); }
  // For tests: answers from `store` instead of etcd.
  void publish(std::shared_ptr<const Store> store);

 private:
  void run();
  void pause(std::chrono::milliseconds d);
  Verdict write(QueryContext& ctx, const Answer& a, const std::string& zone);

  EtcdConfig cfg_;
  const Services* services_;
  pkg::Zones zones_;
  Snapshot<Store> store_;
  std::atomic<bool> loaded_{false};
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace cxxdns::plugins::etcd
