// template: answers queries from Go templates of resource records, as CoreDNS's template.
// Each `template CLASS TYPE [ZONES...] { ... }` of a server block is one rule; the first
// rule whose zone, class, type and one of its regexes match the query answers it.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/metrics/metrics.h"
#include "core/plugin/config.h"
#include "core/plugin/context.h"
#include "plugins/pkg/fall.h"
#include "plugins/pkg/records.h"
#include "plugins/pkg/regex.h"
#include "plugins/pkg/server_label.h"
#include "plugins/pkg/zones.h"
#include "plugins/template/gotmpl.h"

namespace cxxdns::plugins::tmpl {

enum class SectionKind { answer, additional, authority };
const char* section_name(SectionKind s);

struct RecordTemplate {
  SectionKind section = SectionKind::answer;
  std::unique_ptr<gotmpl::Template> tmpl;
};

// One `template` directive.
struct Rule {
  std::vector<std::string> zone_texts;
  pkg::Zones zones;
  uint16_t qclass = 0;
  uint16_t qtype = 0;
  std::vector<std::unique_ptr<pkg::Regex>> regexes;  // none: `.*`, everything matches
  std::vector<RecordTemplate> records;               // in the order written
  uint16_t rcode = 0;
  bool has_ede = false;
  uint16_t ede_code = 0;
  std::string ede_reason;
  pkg::Fallthrough fall;
};

// What matched: the regex (-1: the default `.*`) and its groups.
struct Match {
  int regex = -1;
  std::vector<std::string_view> groups;
};

class Template final : public Plugin {
 public:
  Template(std::vector<Rule> rules, pkg::ServerLabels labels, const Services* services,
           int workers);
  std::string_view name() const override { return "template"; }
  Verdict serve(QueryContext& ctx) override;

  const std::vector<Rule>& rules() const { return rules_; }

 private:
  bool class_and_type_match(const Rule& r, const dns::QueryView& q) const;
  void count_match(QueryContext& ctx, size_t rule, int zone);
  void count_failure(QueryContext& ctx, const Rule& r, int zone, const RecordTemplate& t,
                     bool rr_failure);
  Verdict answer(QueryContext& ctx, size_t rule, int zone, const Match& m);
  // Renders every record template; false (the query answered SERVFAIL) on a failure.
  bool render(QueryContext& ctx, const Rule& r, int zone, const Match& m, pkg::Message& msg,
              std::string& error);
  Verdict lookup_targets(QueryContext& ctx, pkg::Message msg);

  std::vector<Rule> rules_;
  pkg::Zones zones_;  // every rule's
  pkg::ServerLabels labels_;
  const Services* services_;
  metrics::CounterFamily& matches_;
  metrics::CounterFamily& template_failures_;
  metrics::CounterFamily& rr_failures_;
  // Per worker: the matches counter of each (label, rule, zone, class, type) seen.
  std::vector<std::unordered_map<uint64_t, metrics::Counter*>> match_counters_;
};

}  // namespace cxxdns::plugins::tmpl
