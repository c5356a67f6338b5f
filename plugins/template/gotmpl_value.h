// The values a Go text/template sees, for the subset the template plugin runs: strings,
// numbers, booleans, lists ([]string), maps (map[string]string), structs (the template's
// data, the DNS message and its question) and methods (.Meta). Printed as Go's fmt.Print
// prints them, so that a template renders here what it renders in CoreDNS.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace cxxdns::plugins::gotmpl {

struct Value;
using List = std::vector<Value>;
using Map = std::map<std::string, Value>;
// A method value (.Meta "name"): the arguments, an error out; returns the result.
using Method = std::function<Value(const std::vector<Value>& args, std::string* error)>;

struct Struct {
  std::string type_name;  // for errors, as Go names it: "*template.templateData"
  std::vector<std::pair<std::string, Value>> fields;
  std::string text;  // what printing it shows (Go: its String() method), when has_text
  bool has_text = false;

  const Value* field(const std::string& name) const;
};

struct Value {
  enum class Kind : uint8_t {
    invalid,
    nil,
    boolean,
    integer,
    unsigned_integer,
    floating,
    string,
    list,
    map,
    structure,
    method
  };
  Kind kind = Kind::invalid;  // invalid: Go's "<no value>" (a missing map key)
  bool b = false;
  int64_t i = 0;
  uint64_t u = 0;
  double f = 0;
  std::string s;
  std::shared_ptr<const List> list;
  std::shared_ptr<const Map> map;
  std::shared_ptr<const Struct> structure;
  std::shared_ptr<const Method> method;

  static Value nil() { return make(Kind::nil); }
  static Value boolean(bool v) {
    Value x = make(Kind::boolean);
    x.b = v;
    return x;
  }
  static Value integer(int64_t v) {
    Value x = make(Kind::integer);
    x.i = v;
    return x;
  }
  static Value unsigned_integer(uint64_t v) {
    Value x = make(Kind::unsigned_integer);
    x.u = v;
    return x;
  }
  static Value floating(double v) {
    Value x = make(Kind::floating);
    x.f = v;
    return x;
  }
  static Value string(std::string v) {
    Value x = make(Kind::string);
    x.s = std::move(v);
    return x;
  }
  static Value of_list(List v) {
    Value x = make(Kind::list);
    x.list = std::make_shared<const List>(std::move(v));
    return x;
  }
  static Value of_map(Map v) {
    Value x = make(Kind::map);
    x.map = std::make_shared<const Map>(std::move(v));
    return x;
  }
  static Value of_struct(Struct v) {
    Value x = make(Kind::structure);
    x.structure = std::make_shared<const Struct>(std::move(v));
    return x;
  }
  static Value of_method(Method m) {
    Value x = make(Kind::method);
    x.method = std::make_shared<const Method>(std::move(m));
    return x;
  }

  bool valid() const { return kind != Kind::invalid; }
  bool is_number() const {
    return kind == Kind::integer || kind == Kind::unsigned_integer || kind == Kind::floating;
  }

 private:
  static Value make(Kind k) {
    Value x;
    x.kind = k;
    return x;
  }
};

// fmt.Print of the value: "abc", "42", "true", "[a b]", "map[a:1 b:2]", "<nil>", "<no value>".
std::string print(const Value& v);
// Go's name of the value's type, for errors: "string", "int", "[]string", "map[string]string".
std::string type_name(const Value& v);
// Go template truth: false, 0, nil, "", empty list or map are false.
bool truth(const Value& v);

}  // namespace cxxdns::plugins::gotmpl
