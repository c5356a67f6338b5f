// bufsize: caps the EDNS0 UDP size of queries for the plugins after it, as CoreDNS's bufsize.
#pragma once

#include <cstdint>

#include "core/plugin/context.h"

namespace cxxdns::plugins {

class Bufsize final : public Plugin {
 public:
  explicit Bufsize(uint16_t size) : size_(size) {}
  std::string_view name() const override { return "bufsize"; }
  Verdict serve(QueryContext& ctx) override {
    // Lowered, never raised; a query without OPT is left as it is.
    if (ctx.q().edns.present && ctx.q().edns.udp_size > size_) ctx.set_query_udp_size(size_);
    return ctx.next();
  }
  uint16_t size() const { return size_; }

 private:
  uint16_t size_;
};

}  // namespace cxxdns::plugins
