#include "plugins/template/gotmpl_value.h"

#include "core/metrics/metrics.h"

namespace cxxdns::plugins::gotmpl {

const Value* Struct::field(const std::string& name) const {
  for (const auto& [n, v] : fields) {
    if (n == name) return &v;
  }
  return nullptr;
}

std::string print(const Value& v) {
  switch (v.kind) {
    case Value::Kind::invalid:
      return "<no value>";
    case Value::Kind::nil:
      return "<nil>";
    case Value::Kind::boolean:
      return v.b ? "true" : "false";
    case Value::Kind::integer:
      return std::to_string(v.i);
    case Value::Kind::unsigned_integer:
      return std::to_string(v.u);
    case Value::Kind::floating:
      return metrics::format_value(v.f);  // strconv.FormatFloat(f, 'g', -1, 64), as %v
    case Value::Kind::string:
      return v.s;
    case Value::Kind::list: {
      std::string out = "[";
      for (size_t i = 0; i < v.list->size(); ++i) out += (i ? " " : "") + print((*v.list)[i]);
      return out + "]";
    }
    case Value::Kind::map: {
      std::string out = "map[";
      bool first = true;
      for (const auto& [k, x] : *v.map) {
        out += (first ? "" : " ") + k + ":" + print(x);
        first = false;
      }
      return out + "]";
    }
    case Value::Kind::structure: {
      if (v.structure->has_text) return v.structure->text;
      std::string out = "&{";
      for (size_t i = 0; i < v.structure->fields.size(); ++i) {
        out += (i ? " " : "") + print(v.structure->fields[i].second);
      }
      return out + "}";
    }
    case Value::Kind::method:
      return "<method>";
  }
  return "";
}

std::string type_name(const Value& v) {
  switch (v.kind) {
    case Value::Kind::invalid:
      return "<invalid reflect.Value>";
    case Value::Kind::nil:
      return "<nil>";
    case Value::Kind::boolean:
      return "bool";
    case Value::Kind::integer:
      return "int";
    case Value::Kind::unsigned_integer:
      return "uint64";
    case Value::Kind::floating:
      return "float64";
    case Value::Kind::string:
      return "string";
    case Value::Kind::list:
      return "[]string";
    case Value::Kind::map:
      return "map[string]string";
    case Value::Kind::structure:
      return v.structure->type_name;
    case Value::Kind::method:
      return "func";
  }
  return "";
}

bool truth(const Value& v) {
  switch (v.kind) {
    case Value::Kind::invalid:
    case Value::Kind::nil:
      return false;
    case Value::Kind::boolean:
      return v.b;
    case Value::Kind::integer:
      return v.i != 0;
    case Value::Kind::unsigned_integer:
      return v.u != 0;
    case Value::Kind::floating:
      return v.f != 0;
    case Value::Kind::string:
      return !v.s.empty();
    case Value::Kind::list:
      return !v.list->empty();
    case Value::Kind::map:
      return !v.map->empty();
    default:
      return true;
  }
}

}  // namespace cxxdns::plugins::gotmpl
