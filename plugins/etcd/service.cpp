#include "plugins/etcd/service.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

namespace cxxdns::plugins::etcd {
namespace {

using json = nlohmann::json;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Go's encoding/json into an int field: an integer literal that fits.
bool read_int(const json& v, int64_t min, int64_t max, int64_t& out) {
  if (v.is_number_unsigned()) {
    auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(max)) return false;
    out = static_cast<int64_t>(u);
    return true;
  }
  if (!v.is_number_integer()) return false;
  out = v.get<int64_t>();
  return out >= min && out <= max;
}

bool set_int(const json& v, int& out) {
  int64_t x = 0;
  if (!read_int(v, std::numeric_limits<int>::min(), std::numeric_limits<int>::max(), x)) {
    return false;
  }
  out = static_cast<int>(x);
  return true;
}

bool set_string(const json& v, std::string& out) {
  if (!v.is_string()) return false;
  out = v.get<std::string>();
  return true;
}

// One field of the object; false on a value of the wrong type.
bool set_field(const std::string& name, const json& v, Service& s) {
  if (v.is_null()) return true;  // Go leaves the zero value
  if (name == "host") return set_string(v, s.host);
  if (name == "text") return set_string(v, s.text);
  if (name == "group") return set_string(v, s.group);
  if (name == "port") return set_int(v, s.port);
  if (name == "priority") return set_int(v, s.priority);
  if (name == "weight") return set_int(v, s.weight);
  if (name == "targetstrip") return set_int(v, s.target_strip);
  if (name == "ttl") {
    int64_t x = 0;
    if (!read_int(v, 0, std::numeric_limits<uint32_t>::max(), x)) return false;
    s.ttl = static_cast<uint32_t>(x);
    return true;
  }
  if (name == "mail") {
    if (!v.is_boolean()) return false;
    s.mail = v.get<bool>();
    return true;
  }
  return true;  // unknown fields are ignored
}

}  // namespace

Parsed<Service> decode_service(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return Parsed<Service>::failure("invalid JSON");
  if (!j.is_object()) return Parsed<Service>::failure("not a JSON object");
  Service s;
  for (const auto& [k, v] : j.items()) {
    if (!set_field(lower(k), v, s)) {
      return Parsed<Service>::failure("cannot unmarshal " + std::string(v.type_name()) +
                                      " into field " + k);
    }
  }
  return s;
}

HostKind host_kind(const Service& s, pkg::IpAddress& ip) {
  auto parsed = pkg::IpAddress::parse(s.host);
  if (!parsed) return s.text.empty() ? HostKind::name : HostKind::text;
  ip = *parsed;
  // Go's To4(): an IPv4-mapped IPv6 address is an IPv4 one.
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (ip.len == 16 && std::equal(kMapped, kMapped + 12, ip.bytes.begin())) {
    std::copy(ip.bytes.begin() + 12, ip.bytes.end(), ip.bytes.begin());
    ip.len = 4;
  }
  return ip.len == 4 ? HostKind::a : HostKind::aaaa;
}

std::vector<std::string> split_labels(std::string_view name) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '\\' && i + 1 < name.size()) {
      cur += c;
      cur += name[++i];
    } else if (c == '.') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

namespace {

// The prefix as path.Join leaves it: "/skydns" for "skydns", "/skydns/", "//skydns".
std::string clean_prefix(std::string_view prefix) {
  std::string out;
  size_t i = 0;
  while (i < prefix.size()) {
    size_t j = prefix.find('/', i);
    if (j == std::string_view::npos) j = prefix.size();
    if (j > i) out.append("/").append(prefix.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string join_path(std::string_view prefix, const std::vector<std::string>& rev_labels,
                      size_t count) {
  std::string p = clean_prefix(prefix);
  for (size_t i = 0; i < count; ++i) p.append("/").append(rev_labels[i]);
  return p.empty() ? "/" : p;
}

std::vector<std::string> reversed_labels(std::string_view name) {
  auto l = split_labels(name);
  std::reverse(l.begin(), l.end());
  return l;
}

}  // namespace

std::string name_to_path(std::string_view name, std::string_view prefix) {
  auto l = reversed_labels(name);
  return join_path(prefix, l, l.size());
}

std::string wildcard_path(std::string_view name, std::string_view prefix, bool& star) {
  auto l = reversed_labels(name);
  for (size_t i = 0; i < l.size(); ++i) {
    if (l[i] == "*" || l[i] == "any") {
      star = true;
      return join_path(prefix, l, i);
    }
  }
  star = false;
  return join_path(prefix, l, l.size());
}

std::string key_to_name(std::string_view key, std::string_view prefix) {
  std::string p = clean_prefix(prefix);
  if (key.substr(0, p.size()) == p) key.remove_prefix(p.size());
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= key.size()) {
    size_t j = key.find('/', i);
    if (j == std::string_view::npos) j = key.size();
    if (j > i) parts.emplace_back(key.substr(i, j - i));
    i = j + 1;
  }
  std::string name;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) name.append(*it).append(".");
  return name.empty() ? "." : name;
}

std::string fqdn(std::string_view name) {
  std::string n(name);
  if (n.empty() || n.back() != '.') n += '.';
  return n;
}

std::string strip_labels(const std::string& name, int n) {
  auto labels = split_labels(name);
  if (n <= 0 || static_cast<size_t>(n) >= labels.size()) return name;  // overshot: as is
  std::string out;
  for (size_t i = static_cast<size_t>(n); i < labels.size(); ++i) out.append(labels[i]).append(".");
  return out;
}

std::vector<Service> group(std::vector<Service> sx) {
  if (sx.empty()) return sx;
  auto slashes = [](const Service& s) { return std::count(s.key.begin(), s.key.end(), '/'); };
  std::string grp = sx[0].group;
  auto shortest = slashes(sx[0]);
  for (const auto& s : sx) {
    auto x = slashes(s);
    if (x < shortest) {
      if (s.group.empty()) break;
      shortest = x;
      grp = s.group;
    }
  }
  if (grp.empty()) return sx;
  std::vector<Service> ret;
  for (const auto& s : sx) {
    if (s.group.empty()) {
      ret.push_back(s);
      continue;
    }
    if (slashes(s) == shortest && s.group != grp) return sx;  // disagreement on one level
    if (s.group == grp) ret.push_back(s);
  }
  return ret;
}

}  // namespace cxxdns::plugins::etcd
