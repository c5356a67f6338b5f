// log: one line per query on stdout, in CoreDNS's formats and with its placeholders.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/plugin/context.h"

namespace cxxdns::plugins {

// A log format compiled once at setup: literal text and placeholders.
class LogFormat {
 public:
  enum class Field : uint8_t {
    literal,
    type,
    name,
    klass,
    proto,
    remote,
    local,
    size,
    port,
    duration,
    rcode,
    rsize,
    rflags,
    bufsize,
    do_bit,
    id,
    opcode,
    metadata,
    explain
  };
  struct Part {
    Field field;
    std::string text;  // the literal, or the metadata label
  };

  explicit LogFormat(std::string_view format);
  // Appends the line for a finished query (answer in ctx.response()) to `out`.
  void render(QueryContext& ctx, std::string& out) const;

  static constexpr std::string_view kCommon =
      "{remote}:{port} - {>id} \"{type} {class} {name} {proto} {size} {>do} {>bufsize}\" "
      "{rcode} {>rflags} {rsize} {duration}";
  static constexpr std::string_view kCombined =
      "{remote}:{port} - {>id} \"{type} {class} {name} {proto} {size} {>do} {>bufsize}\" "
      "{rcode} {>rflags} {rsize} {duration} \"{>opcode}\"";

 private:
  std::vector<Part> parts_;
};

// Response classes of the `class` option (CoreDNS's plugin/pkg/response).
enum class ResponseClass : uint8_t { success = 1, denial = 2, error = 4, all = 7 };
ResponseClass classify_response(const dns::AnswerShape& shape);

struct LogRule {
  dns::Name zone;  // lower-case name scope
  LogFormat format;
  uint8_t classes = static_cast<uint8_t>(ResponseClass::all);
  std::chrono::nanoseconds min_duration{0};  // 0: off
};

class Log final : public Plugin, public ReplyHook {
 public:
  explicit Log(std::vector<LogRule> rules) : rules_(std::move(rules)) {}
  std::string_view name() const override { return "log"; }
  Verdict serve(QueryContext& ctx) override;
  void on_reply(QueryContext& ctx, uint64_t rule) override;

 private:
  std::vector<LogRule> rules_;
};

}  // namespace cxxdns::plugins
