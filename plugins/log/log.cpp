#include "plugins/log/log.h"

#include <arpa/inet.h>

#include <cstring>

#include "core/dns/name.h"
#include "core/dns/response.h"
#include "core/dns/text.h"
#include "core/log/log.h"
#include "plugins/pkg/trace.h"

namespace cxxdns::plugins {

namespace {

struct Placeholder {
  std::string_view token;
  LogFormat::Field field;
};
constexpr Placeholder kPlaceholders[] = {
    {"{type}", LogFormat::Field::type},
    {"{name}", LogFormat::Field::name},
    {"{class}", LogFormat::Field::klass},
    {"{proto}", LogFormat::Field::proto},
    {"{remote}", LogFormat::Field::remote},
    {"{local}", LogFormat::Field::local},
    {"{size}", LogFormat::Field::size},
    {"{port}", LogFormat::Field::port},
    {"{duration}", LogFormat::Field::duration},
    {"{rcode}", LogFormat::Field::rcode},
    {"{rsize}", LogFormat::Field::rsize},
    {"{>rflags}", LogFormat::Field::rflags},
    {"{>bufsize}", LogFormat::Field::bufsize},
    {"{>do}", LogFormat::Field::do_bit},
    {"{>id}", LogFormat::Field::id},
    {"{>opcode}", LogFormat::Field::opcode},
    {"{>explain}", LogFormat::Field::explain},
};

// Go's strconv.FormatFloat(seconds, 'f', -1, 64): no exponent, no trailing zeros.
void append_seconds(std::string& out, uint64_t ns) {
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%llu.%09llu",
                        static_cast<unsigned long long>(ns / 1000000000ull),
                        static_cast<unsigned long long>(ns % 1000000000ull));
  while (n > 0 && buf[n - 1] == '0') --n;
  if (n > 0 && buf[n - 1] == '.') --n;
  out.append(buf, n);
  out.push_back('s');
}

void append_ip(std::string& out, const sockaddr_storage& ss, socklen_t len) {
  ClientAddress a;
  a.storage = ss;
  a.len = len;
  char buf[INET6_ADDRSTRLEN];
  size_t n = a.format_ip(buf, sizeof buf);
  if (a.family() == AF_INET6) out.push_back('[');
  out.append(buf, n);
  if (a.family() == AF_INET6) out.push_back(']');
}

// The placeholder `rest` starts with ("{type}", "{/LABEL}") into `part`; returns its length,
// or 0 when there is none.
size_t match_placeholder(std::string_view rest, LogFormat::Part& part) {
  for (const auto& p : kPlaceholders) {
    if (rest.substr(0, p.token.size()) == p.token) {
      part = {p.field, {}};
      return p.token.size();
    }
  }
  if (rest.substr(0, 2) != "{/") return 0;
  size_t end = rest.find('}');
  if (end == std::string_view::npos) return 0;
  part = {LogFormat::Field::metadata, std::string(rest.substr(2, end - 2))};
  return end + 1;
}

// The response's flags as "qr,aa,rd,ra".
void append_rflags(std::string& out, const std::vector<uint8_t>& resp) {
  static constexpr std::pair<uint16_t, std::string_view> kFlags[] = {
      {dns::flag::QR, "qr"}, {dns::flag::AA, "aa"}, {dns::flag::TC, "tc"}, {dns::flag::RD, "rd"},
      {dns::flag::RA, "ra"}, {dns::flag::Z, "z"},   {dns::flag::AD, "ad"}, {dns::flag::CD, "cd"}};
  uint16_t f = resp.size() >= 4 ? dns::get16(resp.data() + 2) : 0;
  bool first = true;
  for (const auto& [bit, text] : kFlags) {
    if (!(f & bit)) continue;
    if (!first) out.push_back(',');
    out += text;
    first = false;
  }
}

// The explain plugin's steps, when the query asked for them; "-" otherwise.
void append_explain(std::string& out, QueryContext& ctx) {
  const pkg::Trace* t = ctx.find_slot<pkg::Trace>();
  if (!t || t->notes.empty()) {
    out += "-";
    return;
  }
  for (size_t i = 0; i < t->notes.size(); ++i) {
    if (i) out += " | ";
    out += t->notes[i];
  }
}

}  // namespace

LogFormat::LogFormat(std::string_view format) {
  std::string literal;
  size_t i = 0;
  while (i < format.size()) {
    Part part;
    const size_t len = format[i] == '{' ? match_placeholder(format.substr(i), part) : 0;
    if (len == 0) {
      literal.push_back(format[i++]);
      continue;
    }
    if (!literal.empty()) parts_.push_back({Field::literal, std::move(literal)});
    literal.clear();
    parts_.push_back(std::move(part));
    i += len;
  }
  if (!literal.empty()) parts_.push_back({Field::literal, std::move(literal)});
}

void LogFormat::render(QueryContext& ctx, std::string& out) const {
  const dns::QueryView& q = ctx.q();
  char buf[32];
  for (const Part& p : parts_) {
    switch (p.field) {
      case Field::literal:
        out += p.text;
        break;
      case Field::type:
        out += dns::type_name(q.qtype, buf);
        break;
      case Field::klass:
        out += dns::class_name(q.qclass, buf);
        break;
      case Field::name:
        out += ctx.qname_text();
        break;  // lower-cased, as request.Name()
      case Field::proto:
        out += ctx.transport() == Transport::tcp ? "tcp" : "udp";
        break;
      case Field::remote:
        append_ip(out, ctx.client().storage, ctx.client().len);
        break;
      case Field::local:
        out += "-";
        break;  // the local address is not tracked per query
      case Field::size:
        out += std::to_string(ctx.query_wire().size());
        break;
      case Field::port:
        out += std::to_string(ctx.client().port());
        break;
      case Field::duration:
        append_seconds(out, QueryContext::now_ns() - ctx.start_ns());
        break;
      case Field::rcode:
        out += dns::rcode_name(ctx.shape().rcode, buf);
        break;
      case Field::rsize:
        out += std::to_string(ctx.response().size());
        break;
      case Field::rflags:
        append_rflags(out, ctx.response());
        break;
      case Field::bufsize:  // request.Size(): TCP messages may be as large as 64 KiB
        out += std::to_string(ctx.transport() == Transport::tcp ? 65535 : q.udp_size());
        break;
      case Field::do_bit:
        out += q.edns.do_bit ? "true" : "false";
        break;
      case Field::id:
        out += std::to_string(q.hdr.id);
        break;
      case Field::opcode:
        out += std::to_string(q.hdr.opcode());
        break;
      case Field::metadata:
        out += "-";
        break;
      case Field::explain:
        append_explain(out, ctx);
        break;
    }
  }
}

ResponseClass classify_response(const dns::AnswerShape& shape) {
  if (!shape.valid) return ResponseClass::error;
  if (shape.rcode == dns::rcode::NXDOMAIN) return ResponseClass::denial;
  if (shape.rcode != dns::rcode::NOERROR) return ResponseClass::error;
  if (shape.hdr.ancount > 0) return ResponseClass::success;
  // NODATA, or a delegation
  return shape.soa_in_authority ? ResponseClass::denial : ResponseClass::success;
}

Verdict Log::serve(QueryContext& ctx) {
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (dns::is_subdomain(ctx.q().qname_lower, rules_[i].zone)) {
      ctx.on_reply(this, i);
      break;
    }
  }
  return ctx.next();
}

void Log::on_reply(QueryContext& ctx, uint64_t index) {
  const LogRule& rule = rules_[index];
  if (rule.classes != static_cast<uint8_t>(ResponseClass::all)) {
    bool wanted = rule.classes & static_cast<uint8_t>(classify_response(ctx.shape()));
    bool slow = rule.min_duration.count() > 0 &&
                QueryContext::now_ns() - ctx.start_ns() >= uint64_t(rule.min_duration.count());
    if (!wanted && !slow) return;
  }
  std::string line = "[INFO] ";
  rule.format.render(ctx, line);
  log::write_line(line);
}

}  // namespace cxxdns::plugins
