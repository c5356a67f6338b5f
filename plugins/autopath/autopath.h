// autopath: the server walks the client's search path itself, as CoreDNS's autopath. A query
// for NAME.FIRST (FIRST the first domain of the client's search path) is tried as NAME under
// each domain of the path in turn, through the plugins after autopath, and the first answer
// that is not NXDOMAIN is returned, with a CNAME from the name asked to the name found.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/metrics/metrics.h"
#include "core/plugin/config.h"
#include "core/plugin/context.h"
#include "plugins/pkg/search_path.h"
#include "plugins/pkg/zones.h"

namespace cxxdns::plugins {

struct AutopathConfig {
  std::vector<std::string> zones;  // canonical
  // From RESOLV-CONF: its search list, then "" (the name as asked). Empty with `@PLUGIN`.
  std::vector<std::string> search;
  std::string plugin;  // the name after '@' ("kubernetes"), or empty
  std::string server;  // the metric's server label ("dns://:53")
};

class Autopath final : public Plugin {
 public:
  explicit Autopath(AutopathConfig cfg);
  std::string_view name() const override { return "autopath"; }
  Verdict serve(QueryContext& ctx) override;
  // Finds the plugin named after '@' in `block` (CoreDNS: at startup, so every plugin exists);
  // throws when it does not offer search paths.
  void start(const BlockConfig& block);

 private:
  struct Walk;
  void try_candidate(const std::shared_ptr<Walk>& w);
  void candidate_answered(const std::shared_ptr<Walk>& w, QueryContext& answered);

  AutopathConfig cfg_;
  pkg::Zones zones_;
  pkg::SearchPathSource* source_ = nullptr;
  metrics::Counter& success_;
};

// Whether `name` is `first` or below it (CoreDNS's firstInSearchPath); both canonical.
bool first_in_search_path(std::string_view name, std::string_view first);

// The answer to give for `original` (the client's question, its case kept) from `answer`,
// the answer to one of its search-path names: the question restored and, when
// `cname`, a CNAME from `original` to the owner of the first answer record not owned by
// `original` (CoreDNS's cnamer, with its TTL). False when `answer` does not walk.
bool answer_for_original(std::span<const uint8_t> answer, const dns::QueryView& original,
                         bool cname, std::vector<uint8_t>& out);

}  // namespace cxxdns::plugins
