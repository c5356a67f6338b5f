// Metrics a plugin keeps itself (relaxed atomics on its query path) and hands over at scrape
// time: Plugin::collect_metrics fills Samples, the prometheus plugin renders them after the
// registry's families. Samples of the same name and labels from several blocks are summed.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace cxxdns::metrics {

struct Sample {
  std::string name;
  std::string help;
  bool counter = true;  // false: a gauge
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};

// Prometheus text for the samples: grouped by name (sorted), HELP and TYPE once a name.
std::string render_samples(std::vector<Sample> samples);

}  // namespace cxxdns::metrics
