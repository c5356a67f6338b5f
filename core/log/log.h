// Log lines as CoreDNS prints them: "[INFO] ...", "[WARNING] ...", "[ERROR] ...", one
// write(2) per line so lines from several workers never interleave.
#pragma once

#include <fmt/format.h>

#include <string_view>

namespace cxxdns::log {

// Writes `line` plus a newline to stdout in one call.
void write_line(std::string_view line);

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

}  // namespace cxxdns::log
