// timeouts { read DURATION; write DURATION; idle DURATION }, as CoreDNS's timeouts: the TCP
// connection timeouts of the block's listeners. It builds no handler.
#include <chrono>

#include "core/plugin/config.h"
#include "core/plugin/registry.h"
#include "core/plugin/setup.h"

void cxxdns_register_timeouts(cxxdns::Registry& r) {
  r.add("timeouts", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    using namespace std::chrono;
    const auto& d = sc.only_one();
    if (!d.args.empty()) sc.arg_error(d.args.front());
    if (d.block.empty()) sc.error(d.name, "timeouts requires at least one of read, write or idle");
    cxxdns::TcpTimeouts& t = sc.tcp_timeouts();
    for (const auto& line : d.block) {
      if (line.args.size() != 1) sc.arg_error(line.name);
      nanoseconds v = sc.parse_duration(line.args[0]);
      // As CoreDNS: between 1 second and 24 hours.
      if (v < seconds(1) || v > hours(24)) {
        sc.error(line.args[0], "timeout provided '" + line.args[0].text +
                                   "' needs to be between 1 second and 24 hours");
      }
      uint64_t ms = static_cast<uint64_t>(duration_cast<milliseconds>(v).count());
      if (line.name.text == "read")
        t.read_ms = ms;
      else if (line.name.text == "write")
        t.write_ms = ms;
      else if (line.name.text == "idle")
        t.idle_ms = ms;
      else
        sc.unknown_property(line.name);
    }
    return nullptr;
  });
}
