#include "core/metrics/sample.h"

#include <algorithm>
#include <map>

#include "core/metrics/metrics.h"

namespace cxxdns::metrics {

std::string render_samples(std::vector<Sample> samples) {
  // name -> (help, counter, labels -> value)
  struct Family {
    std::string help;
    bool counter;
    std::map<std::vector<std::pair<std::string, std::string>>, double> values;
  };
  std::map<std::string, Family> families;
  for (auto& s : samples) {
    auto [it, fresh] = families.try_emplace(s.name, Family{s.help, s.counter, {}});
    it->second.values[s.labels] += s.value;
  }
  std::string out;
  for (auto& [name, f] : families) {
    out += "# HELP " + name + " " + f.help + "\n";
    out += "# TYPE " + name + (f.counter ? " counter\n" : " gauge\n");
    for (auto& [labels, v] : f.values) {
      out += name;
      if (!labels.empty()) {
        out += "{";
        for (size_t i = 0; i < labels.size(); ++i) {
          if (i) out += ",";
          out += labels[i].first + "=\"" + escape_label(labels[i].second) + "\"";
        }
        out += "}";
      }
      out += " " + format_value(v) + "\n";
    }
  }
  return out;
}

}  // namespace cxxdns::metrics
