// nsid: the server's identifier in the NSID EDNS0 option (RFC 5001) of answers to queries
// that ask for it, as CoreDNS's nsid.
#pragma once

#include <string>

#include "core/plugin/context.h"

namespace cxxdns::plugins {

constexpr uint16_t kNsidOption = 3;  // RFC 5001

class Nsid final : public Plugin, public ReplyHook {
 public:
  explicit Nsid(std::string data) : data_(std::move(data)) {}
  std::string_view name() const override { return "nsid"; }
  Verdict serve(QueryContext& ctx) override;
  void on_reply(QueryContext& ctx, uint64_t cookie) override;
  const std::string& data() const { return data_; }

 private:
  std::string data_;  // the bytes the option carries (CoreDNS keeps them hex-encoded)
};

}  // namespace cxxdns::plugins
