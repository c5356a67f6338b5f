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

// Splits on commas outside parentheses; false when they do not balance.
bool split_requirements(std::string_view text, std::vector<std::string_view>& parts) {
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
  return depth == 0;
}

// "KEY in (A, B)" or "KEY notin (A)": the operator and the values; false when malformed.
bool parse_set_requirement(std::string_view p, size_t space, LabelSelector::Req& r) {
  r.key = p.substr(0, space);
  std::string_view rest = trim(p.substr(space));
  if (rest.rfind("notin", 0) == 0) {
    r.op = LabelSelector::Op::notin;
    rest = trim(rest.substr(5));
  } else if (rest.rfind("in", 0) == 0) {
    r.op = LabelSelector::Op::in;
    rest = trim(rest.substr(2));
  } else {
    return false;
  }
  if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')') return false;
  rest = rest.substr(1, rest.size() - 2);
  size_t s = 0;
  for (size_t i = 0; i <= rest.size(); ++i) {
    if (i == rest.size() || rest[i] == ',') {
      auto v = trim(rest.substr(s, i - s));
      if (!v.empty()) r.values.emplace_back(v);
      s = i + 1;
    }
  }
  return true;
}

// One requirement: "!KEY", "KEY!=V", "KEY=V", "KEY==V", a set requirement, or "KEY".
bool parse_requirement(std::string_view p, LabelSelector::Req& r) {
  using Op = LabelSelector::Op;
  if (p.empty()) return false;
  size_t op = 0;
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
    if (!parse_set_requirement(p, sp, r)) return false;
  } else {
    r.op = Op::exists;
    r.key = p;
  }
  if (!valid_part(r.key)) return false;
  return std::all_of(r.values.begin(), r.values.end(),
                     [](const std::string& v) { return v.empty() || valid_part(v); });
}

}  // namespace

bool LabelSelector::parse(std::string_view text, std::string& error) {
  reqs_.clear();
  std::vector<std::string_view> parts;
  if (!split_requirements(text, parts)) {
    error = "unbalanced parentheses in label selector '" + std::string(text) + "'";
    return false;
  }
  for (auto p : parts) {
    Req r;
    if (!parse_requirement(p, r)) {
      error = "invalid label selector requirement '" + std::string(p) + "'";
      return false;
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
