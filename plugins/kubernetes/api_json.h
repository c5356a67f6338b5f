// API responses (a List page, a watch event line) read with simdjson into the DNS fields of
// their objects (object_fields.h, as the state file reads them).
//
// Why simdjson here: the API source parses every watch event (about 2 KB each) and, at a
// sync, every list page (1 MB each): nlohmann's DOM took 100 us and more an event and most
// of a 10,000-service sync. simdjson reads the same text several times faster and allocates
// almost nothing; only the fields DNS reads are copied out.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/kubernetes/cluster_state.h"

namespace cxxdns::plugins::k8s {

struct ApiItem {
  std::string key;  // "ns/name" ("/name" for a namespace)
  ClusterState frag;
};

struct ListPage {
  std::vector<ApiItem> items;
  std::vector<std::string> bad;  // "KIND KEY: why" for items not shaped as expected
  std::string resource_version, cont;
};

struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED, BOOKMARK, ERROR, ...
  std::string key, resource_version;
  int code = 0;              // ERROR: the Status's code
  std::string status;        // ERROR: the Status object as JSON
  std::string object_error;  // ADDED/MODIFIED: why the object could not be read (then no frag)
  ClusterState frag;
};

// One a thread: it keeps its buffers between documents (as big as the largest one read).
class ApiJson {
 public:
  ApiJson();
  ~ApiJson();
  // False with `error` when `body` is not JSON or not a List; bad items go to out.bad.
  // `body` may gain capacity: the parser reads past its end, and copies a body that has no
  // room for that.
  bool list(std::string& body, std::string_view kind, ListPage& out, std::string& error);
  // False with `error` when `line` is not JSON or has no type or object.
  bool event(std::string_view line, std::string_view kind, WatchEvent& out, std::string& error);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cxxdns::plugins::k8s
