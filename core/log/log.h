// Log lines as CoreDNS prints them: "[INFO] ...", "[WARNING] ...", "[ERROR] ...", one
// write(2) per line so lines from several workers never interleave. "[DEBUG] ..." lines are
// written only while debug output is on (CoreDNS's log.D): off by default, switched on by a
// configuration that asks for it (the debug plugin) for as long as it runs.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace cxxdns::log {

// Writes `line` plus a newline to stdout in one call.
void write_line(std::string_view line);

// Whether [DEBUG] lines are written: one relaxed load, for the query path.
bool debug_enabled();
// Counted: debug output is on while more debug_on() than debug_off() calls were made, so a
// reload that keeps it on never turns it off between the new configuration's start and the
// old one's stop.
void debug_on();
void debug_off();

template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  write_line("[INFO] " + fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warning(fmt::format_string<Args...> f, Args&&... args) {
  write_line("[WARNING] " + fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  write_line("[ERROR] " + fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (!debug_enabled()) return;
  write_line("[DEBUG] " + fmt::format(f, std::forward<Args>(args)...));
}

// A message in the form Wireshark's text2pcap reads back (`text2pcap -i 17 -u 53,53`), as
// CoreDNS's debug plugin prints it: lines of "debug: OFFSET" and 16 hex bytes, then a last
// "debug: LENGTH" line, joined with newlines (no final one).
std::string hexdump(std::span<const uint8_t> data);

// A [DEBUG] line `what` followed by the hex dump of `data` (nothing while debug is off).
void debug_hexdump(std::string_view what, std::span<const uint8_t> data);

}  // namespace cxxdns::log
