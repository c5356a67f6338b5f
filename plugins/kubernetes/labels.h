// Kubernetes label selectors, as `labels` and `namespace_labels` take them:
// "a=b", "a==b", "a!=b", "a", "!a", "a in (x, y)", "a notin (x)", comma-separated.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "plugins/kubernetes/cluster_state.h"

namespace cxxdns::plugins::k8s {

class LabelSelector {
 public:
  enum class Op { eq, ne, exists, not_exists, in, notin };
  // One requirement of the selector (public for the parser's helpers).
  struct Req {
    std::string key;
    Op op = Op::exists;
    std::vector<std::string> values;
  };

  // False (and `error` set) on bad syntax.
  bool parse(std::string_view text, std::string& error);
  bool matches(const Labels& labels) const;
  bool empty() const { return reqs_.empty(); }

 private:
  std::vector<Req> reqs_;
};

}  // namespace cxxdns::plugins::k8s
