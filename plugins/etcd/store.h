// A copy of the keys under the plugin's path, as etcd held them at one revision: what the
// query path reads (etcd's Get with or without WithPrefix, answered from memory).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/etcd/service.h"

namespace cxxdns::plugins::etcd {

struct StoredKey {
  std::optional<Service> service;  // decoded once, when the copy is made
  std::string error;               // why the value does not decode (then no service)
};

struct KeyRef {
  const std::string* key;
  const StoredKey* value;
};

class Store {
 public:
  int64_t revision = 0;

  // Adds the value of `key` (decoding it).
  void put(std::string key, std::string_view value);
  size_t size() const { return keys_.size(); }

  // CoreDNS's etcd get(): with `recursive`, every key under "PATH/", else (or when there is
  // none) the key PATH itself. Empty: the name is not there at all.
  std::vector<KeyRef> get(const std::string& path, bool recursive) const;

 private:
  std::map<std::string, StoredKey, std::less<>> keys_;
};

}  // namespace cxxdns::plugins::etcd
