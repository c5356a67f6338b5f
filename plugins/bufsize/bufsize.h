// bufsize: lowers the EDNS UDP size a client announces to SIZE, as CoreDNS's bufsize, so
// that UDP answers are truncated to SIZE (no IP fragmentation; a bounded amplification).
#pragma once

#include <cstdint>

#include "core/plugin/context.h"

namespace cxxdns::plugins {

class Bufsize final : public Plugin {
 public:
  explicit Bufsize(uint16_t size) : size_(size) {}
  std::string_view name() const override { return "bufsize"; }
  Verdict serve(QueryContext& ctx) override {
    ctx.limit_udp_size(size_);
    return ctx.next();
  }
  uint16_t size() const { return size_; }

 private:
  uint16_t size_;
};

}  // namespace cxxdns::plugins
