#include "plugins/kubernetes/labels.h"

#include <algorithm>

namespace cxxdns::plugins::k8s {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool valid_part(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '/';
  });
}

}  // namespace

bool LabelSelector::parse(std::string_view text, std::string& error) {
  reqs_.clear();
  // Split on commas outside parentheses.
  std::vector<std::string_view> parts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || (text[i] == ',' && depth == 0)) {
      parts.push_back(trim(text.substr(start, i - start)));
      start = i + 1;
    } else if (text[i] == '(') {
      ++depth;
    } else if (text[i] == ')') {
      --depth;
    }
  }
  if (depth != 0) {
    error = "unbalanced parentheses in label selector '" + std::string(text) + "'";
    return false;
  }
  for (auto p : parts) {
    Req r;
    auto bad = [&] {
      error = "invalid label selector requirement '" + std::string(p) + "'";
      return false;
    };
    if (p.empty()) return bad();
    size_t op;
    if (p.front() == '!') {
      r.op = Op::not_exists;
      r.key = trim(p.substr(1));
    } else if ((op = p.find("!=")) != std::string_view::npos) {
      r.op = Op::ne;
      r.key = trim(p.substr(0, op));
      r.values.emplace_back(trim(p.substr(op + 2)));
    } else if ((op = p.find('=')) != std::string_view::npos) {
      r.op = Op::eq;
      size_t vstart = op + 1 + (op + 1 < p.size() && p[op + 1] == '=' ? 1 : 0);
      r.key = trim(p.substr(0, op));
      r.values.emplace_back(trim(p.substr(vstart)));
    } else if (auto sp = p.find_first_of(" \t"); sp != std::string_view::npos) {
      r.key = p.substr(0, sp);
      std::string_view rest = trim(p.substr(sp));
      if (rest.rfind("notin", 0) == 0) {
        r.op = Op::notin;
        rest = trim(rest.substr(5));
      } else if (rest.rfind("in", 0) == 0) {
        r.op = Op::in;
        rest = trim(rest.substr(2));
      } else {
        return bad();
      }
      if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')') return bad();
      rest = rest.substr(1, rest.size() - 2);
      size_t s = 0;
      for (size_t i = 0; i <= rest.size(); ++i) {
        if (i == rest.size() || rest[i] == ',') {
          auto v = trim(rest.substr(s, i - s));
          if (!v.empty() && !valid_part(v)) return bad();
          if (!v.empty()) r.values.emplace_back(v);
          s = i + 1;
        }
      }
    } else {
      r.op = Op::exists;
      r.key = p;
    }
    if (!valid_part(r.key)) return bad();
    for (auto& v : r.values) {
      if (!v.empty() && !valid_part(v)) return bad();
    }
    reqs_.push_back(std::move(r));
  }
  return true;
}

bool LabelSelector::matches(const Labels& labels) const {
  for (auto& r : reqs_) {
    auto it = labels.find(r.key);
    bool has = it != labels.end();
    bool in_values =
        has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
    switch (r.op) {
      case Op::exists:
        if (!has) return false;
        break;
      case Op::not_exists:
        if (has) return false;
        break;
      case Op::eq:
      case Op::in:
        if (!in_values) return false;
        break;
      case Op::ne:
      case Op::notin:
        if (in_values) return false;
        break;
    }
  }
  return true;
}

}  // namespace cxxdns::plugins::k8s
