#include "plugins/kubernetes/state_file.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <stdexcept>

#include <string_view>
#include "plugins/kubernetes/object_fields.h"

namespace cxxdns::plugins::k8s {
namespace {

using json = nlohmann::json;
using fields::ShapeError;

// object_fields.h's view of an nlohmann DOM.
class NView {
 public:
  explicit NView(const json& j) : j_(&j) {}
  bool is_object() const { return j_->is_object(); }
  bool is_array() const { return j_->is_array(); }
  bool is_string() const { return j_->is_string(); }
  bool is_int() const { return j_->is_number_integer(); }
  bool is_bool() const { return j_->is_boolean(); }
  std::optional<NView> find(const char* key) const {
    auto it = j_->find(key);
    if (it == j_->end() || it->is_null()) return std::nullopt;
    return NView(*it);
  }
  std::string_view text() const { return j_->get_ref<const std::string&>(); }
  int64_t int_value() const { return j_->get<int64_t>(); }
  bool bool_value() const { return j_->get<bool>(); }
  template <typename F>
  void each(F&& f) const {
    for (auto& x : *j_) f(NView(x));
  }
  template <typename F>
  void each_member(F&& f) const {
    for (auto& [k, v] : j_->items()) f(std::string_view(k), NView(v));
  }

 private:
  const json* j_;
};

void add_item(const json& item, size_t index, ClusterState& st, std::string_view kind = {}) {
  fields::add_item(NView(item), index, st, kind);
}

std::string line_column(std::string_view text, size_t byte) {
  if (byte > 0) --byte;  // nlohmann counts from 1
  if (byte > text.size()) byte = text.size();
  size_t line = 1, col = 1;
  for (size_t i = 0; i < byte; ++i) {
    if (text[i] == '\n')
      ++line, col = 1;
    else
      ++col;
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

// Runs `f`, which reads JSON into a ClusterState; false with `error` set when the JSON is not
// shaped like the Kubernetes objects it reads (a missing field, a wrong type).
template <typename F>
bool shape_checked(std::string& error, F&& f) {
  try {
    f();
    return true;
  } catch (const ShapeError& e) {
    error = e.what();
  } catch (const json::exception& e) {
    error = e.what();
  }
  return false;
}

}  // namespace

bool parse_state(std::string_view text, ClusterState& out, std::string& error) {
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    // nlohmann (3.10+) reports "parse error at line L, column C: ..."; keep that, drop the
    // exception id, and add the byte offset for tools.
    std::string what = e.what();
    if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
    if (what.find("line ") == std::string::npos) what = line_column(text, e.byte) + ": " + what;
    error = what + " (byte " + std::to_string(e.byte) + ")";
    return false;
  } catch (const json::exception& e) {
    // Not only parse_error: a number too large for a double ("1e999") is out_of_range.
    std::string what = e.what();
    if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
    error = what;
    return false;
  }
  return shape_checked(error, [&] {
    ClusterState st;
    if (!doc.is_object()) fields::shape("document", "not a JSON object");
    if (doc.contains("items")) {
      static const json none = json::array();
      const json& items = doc["items"].is_null() ? none : doc["items"];
      if (!items.is_array()) fields::shape("document", "items is not an array");
      for (size_t i = 0; i < items.size(); ++i) add_item(items[i], i, st);
    } else {
      add_item(doc, 0, st);  // a single object, as `kubectl get svc x -o json` prints
    }
    out = std::move(st);
  });
}

bool parse_object(const nlohmann::json& item, std::string_view kind, ClusterState& out,
                  std::string& error) {
  return shape_checked(error, [&] { add_item(item, 0, out, kind); });
}

}  // namespace cxxdns::plugins::k8s
