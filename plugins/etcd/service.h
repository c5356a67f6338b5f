// A SkyDNS service record as external-dns and SkyDNS write it into etcd: the JSON value under
// a key that is a domain name reversed (/skydns/org/example/www/x1 holds a record of
// x1.www.example.org or, read recursively, of www.example.org). CoreDNS's plugin/etcd/msg.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/plugin/parsed.h"
#include "plugins/pkg/ip.h"

namespace cxxdns::plugins::etcd {

struct Service {
  std::string host;  // an IP address (A/AAAA) or a name (CNAME, SRV/MX target)
  int port = 0;
  int priority = 0;
  int weight = 0;
  std::string text;   // TXT
  bool mail = false;  // also an MX record: priority is its preference
  uint32_t ttl = 0;
  int target_strip = 0;  // labels to strip from the left of a synthesized target name
  std::string group;
  std::string key;  // the etcd key it was read from
};

// The JSON value of one key, as Go's encoding/json reads it into CoreDNS's msg.Service:
// field names case-insensitive, unknown fields ignored, a wrong type an error.
Parsed<Service> decode_service(std::string_view json);

// What a service's host says it is (msg.Service.HostType): an address, a name, or (a name
// or nothing, with text) a TXT record.
enum class HostKind : uint8_t { a, aaaa, name, text };
HostKind host_kind(const Service& s, pkg::IpAddress& ip);

// "www.example.org." under "/skydns" -> "/skydns/org/example/www" (msg.Path).
std::string name_to_path(std::string_view name, std::string_view prefix);
// The same, cut before the first "*" or "any" label (a wildcard query reads the subtree
// above it and matches the keys after); `star` says whether it was cut.
std::string wildcard_path(std::string_view name, std::string_view prefix, bool& star);
// The name a key stands for ("/skydns/org/example/www/x1" -> "x1.www.example.org.").
std::string key_to_name(std::string_view key, std::string_view prefix);
// `name` without its `n` leftmost labels; `name` itself when it has no more (targetstrip).
std::string strip_labels(const std::string& name, int n);
// `name` with the final dot it may lack.
std::string fqdn(std::string_view name);

// Services of one answer narrowed to a group (msg.Group): the group of the shortest keys
// that have one wins, unless those disagree; services without a group always stay.
std::vector<Service> group(std::vector<Service> sx);

// The labels of a presentation-form name, root last dropped ("a.b." -> {"a", "b"}).
std::vector<std::string> split_labels(std::string_view name);

}  // namespace cxxdns::plugins::etcd
