#include "plugins/etcd/store.h"

namespace cxxdns::plugins::etcd {

void Store::put(std::string key, std::string_view value) {
  StoredKey k;
  auto s = decode_service(value);
  if (s) {
    k.service = std::move(*s);
    k.service->key = key;
  } else {
    k.error = key + ": " + s.error();
  }
  keys_[std::move(key)] = std::move(k);
}

std::vector<KeyRef> Store::get(const std::string& path, bool recursive) const {
  std::vector<KeyRef> out;
  if (recursive) {
    std::string dir = path.ends_with('/') ? path : path + "/";
    for (auto it = keys_.lower_bound(dir); it != keys_.end() && it->first.starts_with(dir); ++it) {
      out.push_back({&it->first, &it->second});
    }
    if (!out.empty()) return out;
  }
  std::string exact = path;
  if (exact.size() > 1 && exact.ends_with('/')) exact.pop_back();
  auto it = keys_.find(exact);
  if (it != keys_.end()) out.push_back({&it->first, &it->second});
  return out;
}

}  // namespace cxxdns::plugins::etcd
