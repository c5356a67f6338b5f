// The values of view expressions and the functions they may call: CoreDNS's
// plugin/pkg/expression environment (the query's name, type, client address...).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/view/expression.h"

namespace cxxdns::plugins::view {

// `any`: not known before the expression runs (nothing yields it today but list items).
enum class Type : uint8_t { boolean, integer, string, list, any };

// expr's names for them, for errors: bool, int, string, array.
std::string type_name(Type t);

struct Value {
  Type type = Type::boolean;
  bool b = false;
  int64_t i = 0;
  std::string s;
  std::vector<Value> items;

  static Value of(bool v) {
    Value x;
    x.b = v;
    return x;
  }
  static Value of(int64_t v) {
    Value x;
    x.type = Type::integer;
    x.i = v;
    return x;
  }
  static Value of(std::string v) {
    Value x;
    x.type = Type::string;
    x.s = std::move(v);
    return x;
  }
};

struct Function {
  std::string_view name;
  std::vector<Type> args;
  Type result;
  // False on an error (incidr of something that is not an address, no query to read).
  bool (*call)(const Facts& f, const std::vector<Value>& args, Value& out);
};

// The function called `name`, or null.
const Function* find_function(std::string_view name);

// incidr(ip, cidr): false in `error` when `ip` is not an address (one in brackets, as
// client_ip() gives IPv6 ones, is taken too) or `cidr` is not a network.
bool in_cidr(std::string_view ip, std::string_view cidr, bool& error);

}  // namespace cxxdns::plugins::view
