// The query as rewrite's rules see and change it (CoreDNS's request.Request over the
// request message): the question's name, type and class, the EDNS options. Nothing is
// copied until a rule changes something, so a query no rule matches costs no allocation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/plugin/context.h"

namespace cxxdns::plugins::rewrite {

struct EdnsOption {
  uint16_t code = 0;
  std::vector<uint8_t> data;
};

class Request {
 public:
  explicit Request(QueryContext& ctx) : ctx_(ctx) {}

  // The question's name in lower case (state.Name()), and as it stands (state.QName()).
  std::string_view name();
  std::string_view raw_name();
  uint16_t qtype() const { return changed_ ? qtype_ : ctx_.q().qtype; }
  uint16_t qclass() const { return changed_ ? qclass_ : ctx_.q().qclass; }
  const ClientAddress& client() const { return ctx_.client(); }
  Transport transport() const { return ctx_.transport(); }

  void set_name(std::string name);
  void set_type(uint16_t t);
  void set_class(uint16_t c);
  // The request's EDNS options; an OPT record (4096 bytes, no DO) is added when it had none,
  // as CoreDNS's setupEdns0Opt does.
  std::vector<EdnsOption>& options();
  // The options as the client sent them, and as the rules left them.
  std::vector<EdnsOption> client_options() const;
  const std::vector<EdnsOption>& current_options() const { return options_; }

  bool changed() const { return changed_; }
  // The query as the rules left it, in wire form; false (with the name) when the rewritten
  // name is not a domain name.
  bool build(std::vector<uint8_t>& out, std::string& bad_name) const;

 private:
  void materialize();

  QueryContext& ctx_;
  bool changed_ = false;
  std::string name_;  // as it stands
  std::string lower_;
  uint16_t qtype_ = 0, qclass_ = 0;
  bool edns_ = false;
  uint16_t udp_size_ = 0;
  uint32_t opt_ttl_ = 0;  // extended rcode, version, DO and the other flags
  std::vector<EdnsOption> options_;
};

// The options of an OPT record's RDATA.
std::vector<EdnsOption> parse_options(std::span<const uint8_t> rdata);
void write_options(const std::vector<EdnsOption>& options, std::vector<uint8_t>& rdata);

}  // namespace cxxdns::plugins::rewrite
