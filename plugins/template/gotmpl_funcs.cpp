#include "plugins/template/gotmpl_funcs.h"

#include <charconv>
#include <cstdio>
#include <limits>

namespace cxxdns::plugins::gotmpl {

namespace {

bool wrong_args(const std::string& name, size_t want, size_t got, bool at_least, CallError& e) {
  e.text = "wrong number of args for " + name + ": want " + (at_least ? "at least " : "") +
           std::to_string(want) + " got " + std::to_string(got);
  return false;
}

bool fn_error(std::string text, CallError& e) {
  e.text = std::move(text);
  e.from_function = true;
  return false;
}

// An argument for a Go `int` parameter.
bool as_int(const Value& v, int64_t& out, CallError& e) {
  if (v.kind == Value::Kind::integer) {
    out = v.i;
    return true;
  }
  if (v.kind == Value::Kind::unsigned_integer && v.u <= uint64_t(INT64_MAX)) {
    out = static_cast<int64_t>(v.u);
    return true;
  }
  e.text = v.valid() ? "wrong type for value; expected int; got " + type_name(v)
                     : "invalid value; expected int";
  return false;
}

bool as_string(const Value& v, std::string& out, CallError& e) {
  if (v.kind == Value::Kind::string) {
    out = v.s;
    return true;
  }
  e.text = v.valid() ? "wrong type for value; expected string; got " + type_name(v)
                     : "invalid value; expected string";
  return false;
}

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

// Go's underscoreOK: underscores only between digits (or after a base prefix).
bool underscores_ok(const std::string& s) {
  char saw = '^';
  size_t i = 0;
  if (s.size() >= 2 && s[0] == '0' && digit_value(s[1]) >= 11 && digit_value(s[1]) <= 33) {
    const char p = static_cast<char>(s[1] | 0x20);
    if (p == 'b' || p == 'o' || p == 'x') {
      i = 2;
      saw = '0';
    }
  }
  for (; i < s.size(); ++i) {
    if (s[i] == '_') {
      if (saw != '0') return false;
      saw = '_';
      continue;
    }
    if (saw == '_') saw = '0';
    saw = '0';
  }
  return saw != '_';
}

// strconv.ParseUint's base: 2 to 36, or 0 for the prefix's (0b, 0o, 0x, 0 for octal, else
// 10), which it strips from `s`.
bool uint_base(std::string& s, int64_t base_in, int& base) {
  if (base_in != 0) {
    base = static_cast<int>(base_in);
    return base_in >= 2 && base_in <= 36;
  }
  base = 10;
  if (s[0] != '0') return true;
  const char p = s.size() >= 3 ? static_cast<char>(s[1] | 0x20) : 0;
  const bool prefix = p == 'b' || p == 'o' || p == 'x';
  base = p == 'b' ? 2 : p == 'o' ? 8 : p == 'x' ? 16 : 8;
  s = s.substr(prefix ? 2 : 1);
  return true;
}

// The digits of `s` in `base` up to `max`: 0 ok, 1 bad syntax, 2 out of range.
int uint_digits(const std::string& s, int base, bool underscores_allowed, uint64_t max, uint64_t& n,
                bool& underscores) {
  n = 0;
  const auto b = static_cast<uint64_t>(base);
  for (char c : s) {
    if (c == '_' && underscores_allowed) {
      underscores = true;
      continue;
    }
    const int d = digit_value(c);
    if (d >= base) return 1;
    const auto ud = static_cast<uint64_t>(d);
    if (n > (UINT64_MAX - ud) / b || n * b + ud > max) return 2;
    n = n * b + ud;
  }
  return 0;
}

// strconv.ParseUint(s, base, bitSize).
bool parse_uint(const std::string& s0, int64_t base_in, int64_t bit_size, uint64_t& out,
                std::string& err) {
  std::string prefix = "strconv.ParseUint: parsing ";
  prefix += quote(s0);
  prefix += ": ";
  if (s0.empty()) return err = prefix + "invalid syntax", false;
  std::string s = s0;
  int base = 10;
  if (!uint_base(s, base_in, base))
    return err = prefix + "invalid base " + std::to_string(base_in), false;
  if (bit_size == 0) bit_size = 64;
  if (bit_size < 0 || bit_size > 64) {
    return err = prefix + "invalid bit size " + std::to_string(bit_size), false;
  }
  const uint64_t max = bit_size == 64 ? UINT64_MAX : (uint64_t(1) << bit_size) - 1;
  bool underscores = false;
  uint64_t n = 0;
  const int r = uint_digits(s, base, base_in == 0, max, n, underscores);
  if (r == 2) return err = prefix + "value out of range", false;
  if (r == 1 || (underscores && !underscores_ok(s0))) return err = prefix + "invalid syntax", false;
  out = n;
  return true;
}

bool fn_parse_int(const std::vector<Value>& args, Value& out, CallError& e) {
  if (args.size() != 3) return wrong_args("parseInt", 3, args.size(), false, e);
  std::string s;
  int64_t base = 0, bits = 0;
  if (!as_string(args[0], s, e) || !as_int(args[1], base, e) || !as_int(args[2], bits, e))
    return false;
  uint64_t v = 0;
  std::string err;
  if (!parse_uint(s, base, bits, v, err)) return fn_error(err, e);
  out = Value::unsigned_integer(v);
  return true;
}

bool fn_len(const std::vector<Value>& args, Value& out, CallError& e) {
  if (args.size() != 1) return wrong_args("len", 1, args.size(), false, e);
  const Value& v = args[0];
  switch (v.kind) {
    case Value::Kind::string:
      out = Value::integer(static_cast<int64_t>(v.s.size()));
      return true;
    case Value::Kind::list:
      out = Value::integer(static_cast<int64_t>(v.list->size()));
      return true;
    case Value::Kind::map:
      out = Value::integer(static_cast<int64_t>(v.map->size()));
      return true;
    default:
      return fn_error("len of type " + type_name(v), e);
  }
}

bool index_once(const Value& item, const Value& index, Value& out, CallError& e) {
  if (item.kind == Value::Kind::map) {
    if (index.kind != Value::Kind::string) {
      return fn_error("value has type " + type_name(index) + "; should be string", e);
    }
    auto it = item.map->find(index.s);
    out = it == item.map->end() ? Value::string("") : it->second;
    return true;
  }
  if (item.kind != Value::Kind::list && item.kind != Value::Kind::string) {
    if (!item.valid() || item.kind == Value::Kind::nil) return fn_error("index of untyped nil", e);
    return fn_error("can't index item of type " + type_name(item), e);
  }
  int64_t i = 0;
  if (index.kind == Value::Kind::integer) {
    i = index.i;
  } else if (index.kind == Value::Kind::unsigned_integer) {
    i = index.u > uint64_t(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(index.u);
  } else {
    return fn_error("cannot index slice/array with type " + type_name(index), e);
  }
  const size_t size = item.kind == Value::Kind::list ? item.list->size() : item.s.size();
  if (i < 0 || static_cast<size_t>(i) >= size) {
    return fn_error("index out of range: " + std::to_string(i), e);
  }
  out = item.kind == Value::Kind::list
            ? (*item.list)[static_cast<size_t>(i)]
            : Value::unsigned_integer(static_cast<unsigned char>(item.s[static_cast<size_t>(i)]));
  return true;
}

bool fn_index(const std::vector<Value>& args, Value& out, CallError& e) {
  if (args.empty()) return wrong_args("index", 1, 0, true, e);
  Value cur = args[0];
  for (size_t k = 1; k < args.size(); ++k) {
    Value next;
    if (!index_once(cur, args[k], next, e)) return false;
    cur = std::move(next);
  }
  out = std::move(cur);
  return true;
}

// Go's basicKind classes for comparisons.
enum class Basic { invalid, boolean, integer, uinteger, floating, string, other };
Basic basic(const Value& v) {
  switch (v.kind) {
    case Value::Kind::boolean:
      return Basic::boolean;
    case Value::Kind::integer:
      return Basic::integer;
    case Value::Kind::unsigned_integer:
      return Basic::uinteger;
    case Value::Kind::floating:
      return Basic::floating;
    case Value::Kind::string:
      return Basic::string;
    case Value::Kind::invalid:
      return Basic::invalid;
    default:
      return Basic::other;
  }
}

// -1, 0, 1; false (with `e`) when the two cannot be compared. `ordered`: lt/le/gt/ge.
bool compare(const Value& a, const Value& b, bool ordered, int& result, CallError& e) {
  const Basic ka = basic(a), kb = basic(b);
  auto cmp = [&](auto x, auto y) { result = x < y ? -1 : x > y ? 1 : 0; };
  if (ka == Basic::integer && kb == Basic::uinteger) {
    if (a.i < 0) return result = -1, true;
    return cmp(uint64_t(a.i), b.u), true;
  }
  if (ka == Basic::uinteger && kb == Basic::integer) {
    if (b.i < 0) return result = 1, true;
    return cmp(a.u, uint64_t(b.i)), true;
  }
  if (ka != kb) return fn_error("incompatible types for comparison", e);
  switch (ka) {
    case Basic::boolean:
      if (ordered) return fn_error("invalid type for comparison", e);
      return result = a.b == b.b ? 0 : 1, true;
    case Basic::integer:
      return cmp(a.i, b.i), true;
    case Basic::uinteger:
      return cmp(a.u, b.u), true;
    case Basic::floating:
      return cmp(a.f, b.f), true;
    case Basic::string:
      return cmp(a.s, b.s), true;
    default:
      return fn_error(ordered ? "invalid type for comparison" : "non-comparable types", e);
  }
}

bool fn_eq(const std::vector<Value>& args, bool negate, Value& out, CallError& e) {
  const char* name = negate ? "ne" : "eq";
  if (args.size() < 2) {
    if (negate || args.size() != 1) return wrong_args(name, 2, args.size(), false, e);
    return fn_error("missing argument for comparison", e);
  }
  if (negate && args.size() != 2) return wrong_args(name, 2, args.size(), false, e);
  bool any = false;
  for (size_t i = 1; i < args.size() && !any; ++i) {
    int r = 0;
    if (!compare(args[0], args[i], false, r, e)) return false;
    any = r == 0;
  }
  out = Value::boolean(negate ? !any : any);
  return true;
}

bool fn_order(const std::string& name, const std::vector<Value>& args, Value& out, CallError& e) {
  if (args.size() != 2) return wrong_args(name, 2, args.size(), false, e);
  int r = 0;
  if (!compare(args[0], args[1], true, r, e)) return false;
  const bool v = name == "lt" ? r < 0 : name == "le" ? r <= 0 : name == "gt" ? r > 0 : r >= 0;
  out = Value::boolean(v);
  return true;
}

std::string sprint(const std::vector<Value>& args, bool ln) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    const bool strings =
        i > 0 && (args[i].kind == Value::Kind::string || args[i - 1].kind == Value::Kind::string);
    if (i > 0 && (ln || !strings)) out += ' ';
    out += print(args[i]);
  }
  return ln ? out + "\n" : out;
}

bool fn_print(const std::string& name, const std::vector<Value>& args, Value& out, CallError& e) {
  if (name == "printf") {
    std::string format;
    if (args.empty()) return wrong_args(name, 1, 0, true, e);
    if (!as_string(args[0], format, e)) return false;
    out = Value::string(sprintf(format, std::vector<Value>(args.begin() + 1, args.end())));
    return true;
  }
  out = Value::string(sprint(args, name == "println"));
  return true;
}

// ---- fmt.Sprintf

struct Spec {
  bool minus = false, plus = false, sharp = false, space = false, zero = false;
  int width = -1, prec = -1;
  char verb = 'v';
};

std::string pad(std::string s, const Spec& sp, bool numeric) {
  const int w = sp.width;
  if (w < 0 || static_cast<int>(s.size()) >= w) return s;
  const size_t fill = static_cast<size_t>(w) - s.size();
  if (sp.minus) return s + std::string(fill, ' ');
  if (sp.zero && numeric) {
    const size_t sign = !s.empty() && (s[0] == '-' || s[0] == '+' || s[0] == ' ') ? 1 : 0;
    return s.substr(0, sign) + std::string(fill, '0') + s.substr(sign);
  }
  return std::string(fill, ' ') + s;
}

std::string bad_verb(const Spec& sp, const Value& v) {
  return std::string("%!") + sp.verb + "(" + type_name(v) + "=" + print(v) + ")";
}

// The base of an integer verb; 0 for a verb that does not print integers as digits.
int integer_base(char verb) {
  switch (verb) {
    case 'd':
    case 'v':
      return 10;
    case 'x':
    case 'X':
      return 16;
    case 'o':
      return 8;
    case 'b':
      return 2;
    default:
      return 0;
  }
}

std::string integer_digits(const Spec& sp, int base, uint64_t mag) {
  char buf[72];
  auto r = std::to_chars(buf, buf + sizeof buf, mag, base);
  std::string digits(buf, r.ptr);
  if (sp.verb == 'X') {
    for (char& c : digits) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  }
  if (sp.prec >= 0 && static_cast<int>(digits.size()) < sp.prec) {
    digits.insert(0, static_cast<size_t>(sp.prec) - digits.size(), '0');
  }
  if (sp.sharp && base != 10) {
    const char* p = base == 16 ? (sp.verb == 'X' ? "0X" : "0x") : base == 8 ? "0" : "0b";
    digits.insert(0, p);
  }
  return digits;
}

std::string format_integer(const Spec& sp, bool negative, uint64_t mag, const Value& v) {
  if (sp.verb == 'c')
    return pad(mag < 0x80 ? std::string(1, static_cast<char>(mag)) : "", sp, false);
  if (sp.verb == 'q') {
    return pad(mag < 0x80 ? "'" + std::string(1, static_cast<char>(mag)) + "'" : "'?'", sp, false);
  }
  const int base = integer_base(sp.verb);
  if (base == 0) return bad_verb(sp, v);
  const char* sign = negative ? "-" : sp.plus ? "+" : sp.space ? " " : "";
  return pad(sign + integer_digits(sp, base, mag), sp, sp.prec < 0);
}

std::string format_float(const Spec& sp, double f, const Value& v) {
  if (sp.verb == 'v' && sp.prec < 0 && sp.width < 0) return print(v);
  char conv = sp.verb == 'v' ? 'g' : sp.verb;
  if (conv != 'f' && conv != 'F' && conv != 'e' && conv != 'E' && conv != 'g' && conv != 'G')
    return bad_verb(sp, v);
  std::string fmt = "%";
  if (sp.plus) fmt += '+';
  if (sp.space) fmt += ' ';
  if (sp.sharp) fmt += '#';
  fmt += ".*";
  fmt += conv;
  char buf[512];
  const int prec = sp.prec >= 0 ? sp.prec : (conv == 'g' || conv == 'G') ? 17 : 6;
  std::snprintf(buf, sizeof buf, fmt.c_str(), prec, f);
  return pad(buf, sp, true);
}

std::string format_string(const Spec& sp, const std::string& s, const Value& v) {
  std::string t = sp.prec >= 0 && static_cast<int>(s.size()) > sp.prec
                      ? s.substr(0, static_cast<size_t>(sp.prec))
                      : s;
  switch (sp.verb) {
    case 's':
    case 'v':
      return pad(t, sp, false);
    case 'q':
      return pad(quote(t), sp, false);
    case 'x':
    case 'X': {
      static const char* kLower = "0123456789abcdef";
      static const char* kUpper = "0123456789ABCDEF";
      const char* digits = sp.verb == 'x' ? kLower : kUpper;
      std::string h;
      for (unsigned char c : t) {
        h += digits[c >> 4];
        h += digits[c & 15];
      }
      return pad(h, sp, false);
    }
    default:
      return bad_verb(sp, v);
  }
}

std::string format_one(const Spec& sp, const Value& v) {
  switch (v.kind) {
    case Value::Kind::string:
      return format_string(sp, v.s, v);
    case Value::Kind::integer:
      return format_integer(sp, v.i < 0, v.i < 0 ? 0 - static_cast<uint64_t>(v.i) : uint64_t(v.i),
                            v);
    case Value::Kind::unsigned_integer:
      return format_integer(sp, false, v.u, v);
    case Value::Kind::floating:
      return format_float(sp, v.f, v);
    case Value::Kind::boolean:
      if (sp.verb != 't' && sp.verb != 'v') return bad_verb(sp, v);
      return pad(v.b ? "true" : "false", sp, false);
    default:
      if (sp.verb != 'v' && sp.verb != 's') return bad_verb(sp, v);
      return pad(print(v), sp, false);
  }
}

// Reads the flags, width and precision after a '%' at `i`; `i` ends on the verb.
void read_spec(const std::string& f, size_t& i, Spec& sp) {
  for (; i < f.size(); ++i) {
    const char c = f[i];
    if (c == '-') {
      sp.minus = true;
    } else if (c == '+') {
      sp.plus = true;
    } else if (c == '#') {
      sp.sharp = true;
    } else if (c == ' ') {
      sp.space = true;
    } else if (c == '0') {
      sp.zero = true;
    } else {
      break;
    }
  }
  auto number = [&](int& out) {
    if (i >= f.size() || f[i] < '0' || f[i] > '9') return;
    out = 0;
    while (i < f.size() && f[i] >= '0' && f[i] <= '9') out = out * 10 + (f[i++] - '0');
  };
  number(sp.width);
  if (i < f.size() && f[i] == '.') {
    ++i;
    sp.prec = 0;
    number(sp.prec);
  }
}

}  // namespace

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string sprintf(const std::string& f, const std::vector<Value>& args) {
  std::string out;
  size_t arg = 0;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%') {
      out += f[i];
      continue;
    }
    ++i;
    Spec sp;
    read_spec(f, i, sp);
    if (i >= f.size()) {
      out += "%!(NOVERB)";
      break;
    }
    sp.verb = f[i];
    if (sp.verb == '%') {
      out += '%';
      continue;
    }
    if (arg >= args.size()) {
      out += std::string("%!") + sp.verb + "(MISSING)";
      continue;
    }
    out += format_one(sp, args[arg++]);
  }
  if (arg < args.size()) {
    out += "%!(EXTRA ";
    for (size_t k = arg; k < args.size(); ++k) {
      out += (k > arg ? ", " : "") + type_name(args[k]) + "=" + print(args[k]);
    }
    out += ")";
  }
  return out;
}

bool call_function(const std::string& name, const std::vector<Value>& args, Value& out,
                   CallError& e) {
  if (name == "parseInt") return fn_parse_int(args, out, e);
  if (name == "len") return fn_len(args, out, e);
  if (name == "index") return fn_index(args, out, e);
  if (name == "not") {
    if (args.size() != 1) return wrong_args(name, 1, args.size(), false, e);
    out = Value::boolean(!truth(args[0]));
    return true;
  }
  if (name == "eq" || name == "ne") return fn_eq(args, name == "ne", out, e);
  if (name == "lt" || name == "le" || name == "gt" || name == "ge")
    return fn_order(name, args, out, e);
  if (name == "print" || name == "printf" || name == "println") return fn_print(name, args, out, e);
  e.text = "function \"" + name + "\" not defined";
  return false;
}

}  // namespace cxxdns::plugins::gotmpl
