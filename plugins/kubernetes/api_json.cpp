#include "plugins/kubernetes/api_json.h"

#include <simdjson.h>

#include <optional>

#include "plugins/kubernetes/object_fields.h"

namespace cxxdns::plugins::k8s {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// object_fields.h's view of a simdjson DOM element.
class SView {
 public:
  explicit SView(element e) : e_(e) {}
  bool is_object() const { return e_.type() == element_type::OBJECT; }
  bool is_array() const { return e_.type() == element_type::ARRAY; }
  bool is_string() const { return e_.type() == element_type::STRING; }
  bool is_int() const {
    return e_.type() == element_type::INT64 || e_.type() == element_type::UINT64;
  }
  bool is_bool() const { return e_.type() == element_type::BOOL; }
  std::optional<SView> find(const char* key) const {
    simdjson::dom::object o;
    element v;
    if (e_.get(o) != simdjson::SUCCESS || o.at_key(key).get(v) != simdjson::SUCCESS) {
      return std::nullopt;
    }
    if (v.type() == element_type::NULL_VALUE) return std::nullopt;
    return SView(v);
  }
  std::string_view text() const {
    std::string_view s;
    return e_.get(s) == simdjson::SUCCESS ? s : std::string_view();
  }
  int64_t int_value() const {
    int64_t v = 0;
    if (e_.get(v) == simdjson::SUCCESS) return v;
    uint64_t u = 0;
    return e_.get(u) == simdjson::SUCCESS ? static_cast<int64_t>(u) : 0;
  }
  bool bool_value() const {
    bool b = false;
    return e_.get(b) == simdjson::SUCCESS && b;
  }
  template <typename F>
  void each(F&& f) const {
    simdjson::dom::array a;
    if (e_.get(a) != simdjson::SUCCESS) return;
    for (element x : a) f(SView(x));
  }
  template <typename F>
  void each_member(F&& f) const {
    simdjson::dom::object o;
    if (e_.get(o) != simdjson::SUCCESS) return;
    for (auto field : o) f(field.key, SView(field.value));
  }
  element raw() const { return e_; }

 private:
  element e_;
};

std::string meta_field(const SView& obj, const char* key) {
  auto m = obj.find("metadata");
  auto v = m && m->is_object() ? m->find(key) : std::nullopt;
  return v && v->is_string() ? std::string(v->text()) : std::string();
}

std::string object_key(const SView& obj) {
  return meta_field(obj, "namespace") + "/" + meta_field(obj, "name");
}

// The DNS fields of one object; false with `error` when it is not shaped as expected.
bool read_object(const SView& obj, std::string_view kind, ClusterState& out, std::string& error) {
  try {
    fields::add_item(obj, 0, out, kind);
    return true;
  } catch (const fields::ShapeError& e) {
    error = e.what();
  }
  return false;
}

}  // namespace

struct ApiJson::Impl {
  simdjson::dom::parser parser;
};

ApiJson::ApiJson() : impl_(std::make_unique<Impl>()) {}
ApiJson::~ApiJson() = default;

bool ApiJson::list(std::string& body, std::string_view kind, ListPage& out, std::string& error) {
  element doc;
  if (body.capacity() - body.size() < simdjson::SIMDJSON_PADDING)
    body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  if (auto err = impl_->parser.parse(body.data(), body.size(), false).get(doc)) {
    error = simdjson::error_message(err);
    return false;
  }
  SView d(doc);
  auto items = d.is_object() ? d.find("items") : std::nullopt;
  if (!items || !items->is_array()) {
    error = "not a list";
    return false;
  }
  items->each([&](const SView& item) {
    ApiItem a;
    a.key = object_key(item);
    std::string why;
    if (read_object(item, kind, a.frag, why))
      out.items.push_back(std::move(a));
    else
      out.bad.push_back(std::string(kind) + " " + a.key + ": " + why);
  });
  out.resource_version = meta_field(d, "resourceVersion");
  out.cont = meta_field(d, "continue");
  return true;
}

bool ApiJson::event(std::string_view line, std::string_view kind, WatchEvent& out,
                    std::string& error) {
  element doc;
  if (auto err = impl_->parser.parse(line.data(), line.size()).get(doc)) {
    error = simdjson::error_message(err);
    return false;
  }
  SView ev(doc);
  auto type = ev.is_object() ? ev.find("type") : std::nullopt;
  auto obj = ev.is_object() ? ev.find("object") : std::nullopt;
  if (!type || !type->is_string() || !obj || !obj->is_object()) {
    error = "event without type or object";
    return false;
  }
  out.type = std::string(type->text());
  if (out.type == "ERROR") {
    auto code = obj->find("code");
    out.code = code && code->is_int() ? static_cast<int>(code->int_value()) : 0;
    out.status = simdjson::minify(obj->raw());
    return true;
  }
  out.resource_version = meta_field(*obj, "resourceVersion");
  out.key = object_key(*obj);
  if (out.type == "ADDED" || out.type == "MODIFIED")
    read_object(*obj, kind, out.frag, out.object_error);
  return true;
}

}  // namespace cxxdns::plugins::k8s
