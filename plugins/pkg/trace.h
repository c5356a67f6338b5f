// Query tracing for the explain plugin: when a query asks to be explained, the plugins it
// goes through each leave one short note ("cache: miss", "forward: 127.0.0.1:53 NOERROR in
// 1.2ms") in a per-query slot. For any other query a note costs one branch: check
// tracing() before building an expensive text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/plugin/context.h"

namespace cxxdns::pkg {

struct Trace {
  std::vector<std::string> notes;
  void clear() { notes.clear(); }
};

// Starts tracing this query (explain does, for a query that asks).
inline void start_trace(QueryContext& ctx) {
  ctx.slot<Trace>();
}

inline bool tracing(QueryContext& ctx) {
  return ctx.find_slot<Trace>() != nullptr;
}

inline void note(QueryContext& ctx, std::string_view plugin, std::string_view what) {
  Trace* t = ctx.find_slot<Trace>();
  if (!t) return;
  std::string n(plugin);
  n += ": ";
  n += what;
  t->notes.push_back(std::move(n));
}

}  // namespace cxxdns::pkg
