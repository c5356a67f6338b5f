// reload [INTERVAL] [JITTER], as CoreDNS's reload: defaults 30s and 15s; the interval is at
// least 2s, the jitter at least 1s and at most half the interval.
#include "core/plugin/setup.h"
#include "core/plugin/config.h"
#include "core/plugin/registry.h"
#include "plugins/reload/reload.h"

void cxxdns_register_reload(cxxdns::Registry& r) {
  using namespace std::chrono;
  r.add("reload", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    const auto& d = sc.only_one();
    if (d.args.size() > 2) sc.arg_error(d.args[2]);
    if (d.has_block) sc.error(d.name, "reload takes no block");
    nanoseconds interval = seconds(30), jitter = seconds(15);
    if (d.args.size() >= 1) {
      interval = sc.parse_duration(d.args[0]);
      if (interval < seconds(2))
        sc.error(d.args[0], "interval value must be greater or equal to 2s");
    }
    if (d.args.size() == 2) {
      jitter = sc.parse_duration(d.args[1]);
      if (jitter < seconds(1)) sc.error(d.args[1], "jitter value must be greater or equal to 1s");
    }
    if (jitter > interval / 2) jitter = interval / 2;
    auto& svc = sc.services();
    auto p = std::make_unique<cxxdns::plugins::Reload>(
        svc.corefile_path, interval, jitter,
        [&svc] {
          if (svc.request_reload) svc.request_reload();
        },
        svc.generation > 0);
    sc.on_startup([p = p.get()](cxxdns::ControlInfo& c) { p->start(c); });
    sc.on_shutdown([p = p.get()] { p->stop(); });
    return p;
  });
}
