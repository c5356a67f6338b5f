// The parser of Go templates (text/template/parse for the subset gotmpl.h lists).
#include <cerrno>
#include <cstdlib>
#include <utility>

#include "plugins/template/gotmpl.h"
#include "plugins/template/gotmpl_ast.h"
#include "plugins/template/gotmpl_lex.h"

namespace cxxdns::plugins::gotmpl {

namespace {

using ast::Arg;
using ast::Command;
using ast::Node;
using ast::Pipe;
using Kind = Token::Kind;

// The base of an integer literal's digits (0x, 0o, 0b, 0-octal), which it strips; 0 when
// the literal is a float.
int literal_base(std::string& digits) {
  const bool is_float = digits.find_first_of(".eEpP") != std::string::npos &&
                        !(digits.size() > 1 && (digits[1] | 0x20) == 'x' &&
                          digits.find_first_of(".pP") == std::string::npos);
  if (digits.size() > 1 && digits[0] == '0') {
    const char p = static_cast<char>(digits[1] | 0x20);
    if (p == 'x' || p == 'o' || p == 'b') {
      digits = digits.substr(2);
      return p == 'x' ? 16 : p == 'o' ? 8 : 2;
    }
    if (!is_float) {
      digits = digits.substr(1);
      return 8;
    }
  }
  return is_float ? 0 : 10;
}

// A number literal as Go's parser reads it: an integer (decimal, 0x, 0o, 0b, 0-octal, with
// underscores) or a float.
bool parse_number(const std::string& text, Value& out) {
  std::string s;
  for (char c : text) {
    if (c != '_') s += c;
  }
  if (s.empty()) return false;
  const bool neg = s[0] == '-';
  std::string digits = (s[0] == '-' || s[0] == '+') ? s.substr(1) : s;
  const int base = literal_base(digits);
  if (base != 0) {
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(digits.c_str(), &end, base);
    if (digits.empty() || *end != '\0' || errno != 0) return false;
    if (neg) {
      out = Value::integer(-static_cast<int64_t>(v));
    } else if (v <= static_cast<unsigned long long>(INT64_MAX)) {
      out = Value::integer(static_cast<int64_t>(v));
    } else {
      out = Value::unsigned_integer(v);
    }
    return true;
  }
  char* end = nullptr;
  const double f = std::strtod(s.c_str(), &end);
  if (*end != '\0') return false;
  out = Value::floating(f);
  return true;
}

// A character constant ('a', '\n') as the number of its first code point.
bool parse_char(const std::string& text, Value& out) {
  if (text.size() < 3) return false;
  std::string body = "\"" + text.substr(1, text.size() - 2) + "\"";
  std::string v;
  if (!unquote(body, v) || v.empty()) return false;
  const auto c0 = static_cast<unsigned char>(v[0]);
  uint32_t cp = c0;
  if (c0 >= 0xc0 && v.size() > 1) {
    const int n = c0 >= 0xf0 ? 3 : c0 >= 0xe0 ? 2 : 1;
    cp = c0 & (0x3f >> n);
    for (int i = 1; i <= n && i < static_cast<int>(v.size()); ++i) {
      cp = (cp << 6) | (static_cast<unsigned char>(v[static_cast<size_t>(i)]) & 0x3f);
    }
  }
  out = Value::integer(cp);
  return true;
}

std::vector<std::string> split_fields(const std::string& text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    const size_t j = text.find('.', i + 1);
    out.push_back(text.substr(i + 1, (j == std::string::npos ? text.size() : j) - i - 1));
    i = j == std::string::npos ? text.size() : j;
  }
  return out;
}

class Parser {
 public:
  Parser(const std::string& name, std::string_view text, std::vector<Token> toks)
      : name_(name), text_(text), toks_(std::move(toks)) {
    vars_.emplace_back("$");
  }

  bool parse(Node& root, std::string& error) {
    root.kind = Node::Kind::list;
    End ended = End::eof;
    const bool ok = list(root.list, ended) && (ended == End::eof || unexpected_end(ended));
    if (!ok) error = error_;
    return ok;
  }

 private:
  enum class End { eof, else_, end };

  bool fail(const std::string& msg, size_t pos) {
    if (error_.empty()) {
      int line = 1;
      for (size_t i = 0; i < pos && i < text_.size(); ++i) line += text_[i] == '\n';
      error_ = "template: " + name_ + ":" + std::to_string(line) + ": " + msg;
    }
    return false;
  }
  bool unexpected_end(End e) {
    return fail(e == End::end ? "unexpected {{end}}" : "unexpected {{else}}", peek().pos);
  }

  const Token& peek() const { return toks_[i_]; }
  const Token& peek2() const { return toks_[i_ + 1 < toks_.size() ? i_ + 1 : i_]; }
  const Token& next() { return toks_[i_ < toks_.size() - 1 ? i_++ : i_]; }
  bool is_word(const Token& t, std::string_view w) const {
    return t.kind == Kind::identifier && t.text == w;
  }
  bool expect(Kind k, const char* context) {
    const Token& t = next();
    if (t.kind == k) return true;
    return fail(std::string("unexpected \"") + t.text + "\" in " + context, t.pos);
  }

  bool list(std::vector<Node>& out, End& ended) {
    while (true) {
      const Token& t = next();
      if (t.kind == Kind::eof) {
        ended = End::eof;
        return true;
      }
      if (t.kind == Kind::text) {
        Node n;
        n.kind = Node::Kind::text;
        n.pos = t.pos;
        n.text = t.text;
        out.push_back(std::move(n));
        continue;
      }
      bool stop = false;
      if (!action(out, ended, stop)) return false;
      if (stop) return true;
    }
  }

  // After "{{": a control word, or an action's pipeline.
  bool action(std::vector<Node>& out, End& ended, bool& stop) {
    const Token& t = peek();
    if (is_word(t, "end") || is_word(t, "else")) {
      next();
      ended = t.text == "end" ? End::end : End::else_;
      stop = true;
      return ended == End::else_ || expect(Kind::right, "end");
    }
    if (is_word(t, "if") || is_word(t, "range") || is_word(t, "with")) {
      next();
      Node n;
      n.kind = t.text == "if"      ? Node::Kind::if_
               : t.text == "range" ? Node::Kind::range
                                   : Node::Kind::with;
      n.pos = t.pos;
      if (!control(n)) return false;
      out.push_back(std::move(n));
      return true;
    }
    if (is_word(t, "define") || is_word(t, "template") || is_word(t, "block") ||
        is_word(t, "break") || is_word(t, "continue")) {
      return fail("{{" + t.text + "}} is not supported by cxxdns's template plugin", t.pos);
    }
    Node n;
    n.kind = Node::Kind::action;
    n.pos = t.pos;
    n.pipe = std::make_shared<Pipe>();
    if (!pipeline(*n.pipe, true, Kind::right, "command")) return false;
    out.push_back(std::move(n));
    return true;
  }

  // {{if|range|with PIPELINE}} LIST [{{else}} LIST | {{else if ...}}] {{end}}
  bool control(Node& n) {
    const size_t mark = vars_.size();
    n.pipe = std::make_shared<Pipe>();
    const char* context = n.kind == Node::Kind::if_     ? "if"
                          : n.kind == Node::Kind::range ? "range"
                                                        : "with";
    if (!pipeline(*n.pipe, true, Kind::right, context)) return false;
    End ended = End::eof;
    if (!list(n.list, ended)) return false;
    if (ended == End::eof) return fail("unexpected EOF", peek().pos);
    if (ended == End::else_) {
      n.has_else = true;
      if (!else_part(n)) return false;
    }
    vars_.resize(mark);
    return true;
  }

  bool else_part(Node& n) {
    if (n.kind == Node::Kind::if_ && is_word(peek(), "if")) {
      // {{else if X}} is {{else}}{{if X}}...{{end}}: the nested if ends with the same {{end}}.
      Node nested;
      nested.kind = Node::Kind::if_;
      nested.pos = next().pos;
      if (!control(nested)) return false;
      n.else_list.push_back(std::move(nested));
      return true;
    }
    if (!expect(Kind::right, "else")) return false;
    End ended = End::eof;
    if (!list(n.else_list, ended)) return false;
    if (ended == End::eof) return fail("unexpected EOF", peek().pos);
    if (ended == End::else_) return fail("expected end; found {{else}}", peek().pos);
    return true;
  }

  bool declarations(Pipe& p) {
    // $x := / $x = / $i, $e := (range)
    const Token& a = peek();
    if (a.kind != Kind::variable) return true;
    const Token& b = peek2();
    if (b.kind != Kind::declare && b.kind != Kind::assign && b.kind != Kind::comma) return true;
    p.decl.push_back(next().text);
    if (next().kind == Kind::comma) {
      if (peek().kind != Kind::variable) return fail("too many declarations", peek().pos);
      p.decl.push_back(next().text);
      if (!expect(Kind::declare, "declaration")) return false;
    } else {
      p.is_assign = toks_[i_ - 1].kind == Kind::assign;
    }
    for (auto& v : p.decl) {
      if (!p.is_assign) {
        vars_.push_back(v);
      } else if (!defined(v)) {
        return fail("undefined variable \"" + v + "\"", a.pos);
      }
    }
    return true;
  }

  bool pipeline(Pipe& p, bool allow_decl, Kind end, const char* context) {
    p.pos = peek().pos;
    if (allow_decl && !declarations(p)) return false;
    while (true) {
      Command c;
      c.pos = peek().pos;
      if (!command(c)) return false;
      if (c.args.empty()) return fail(std::string("missing value for ") + context, peek().pos);
      p.cmds.push_back(std::move(c));
      const Token& t = next();
      if (t.kind == Kind::pipe) continue;
      if (t.kind == end) return true;
      return fail("unexpected \"" + t.text + "\" in " + context, t.pos);
    }
  }

  bool command(Command& c) {
    while (true) {
      Arg a;
      bool found = false;
      if (!operand(a, found)) return false;
      if (!found) return true;
      c.args.push_back(std::move(a));
    }
  }

  bool operand(Arg& a, bool& found) {
    if (!term(a, found)) return false;
    if (!found) return true;
    if (peek().kind != Kind::field || peek().space_before) return true;
    std::vector<std::string> fields;
    while (peek().kind == Kind::field && !peek().space_before) {
      for (auto& f : split_fields(next().text)) fields.push_back(f);
    }
    switch (a.kind) {
      case Arg::Kind::field:
      case Arg::Kind::variable:
        a.idents.insert(a.idents.end(), fields.begin(), fields.end());
        return true;
      case Arg::Kind::boolean:
      case Arg::Kind::string:
      case Arg::Kind::number:
      case Arg::Kind::nil:
      case Arg::Kind::dot:
        return fail("unexpected . after term \"" + ast::to_string(a) + "\"", a.pos);
      default: {
        Arg chain;
        chain.kind = Arg::Kind::chain;
        chain.pos = a.pos;
        chain.head = std::make_shared<Arg>(std::move(a));
        chain.idents = std::move(fields);
        a = std::move(chain);
        return true;
      }
    }
  }

  bool defined(const std::string& v) const {
    for (const auto& x : vars_) {
      if (x == v) return true;
    }
    return false;
  }

  bool identifier(const Token& t, Arg& a) {
    a.pos = t.pos;
    if (t.text == "true" || t.text == "false") {
      a.kind = Arg::Kind::boolean;
      a.text = t.text;
      a.literal = Value::boolean(t.text == "true");
      return true;
    }
    if (t.text == "nil") {
      a.kind = Arg::Kind::nil;
      return true;
    }
    if (ast::is_unsupported_builtin(t.text)) {
      return fail("function \"" + t.text + "\" is not supported by cxxdns's template plugin",
                  t.pos);
    }
    if (!ast::is_function(t.text)) return fail("function \"" + t.text + "\" not defined", t.pos);
    a.kind = Arg::Kind::identifier;
    a.text = t.text;
    return true;
  }

  bool literal(const Token& t, Arg& a) {
    a.pos = t.pos;
    a.text = t.text;
    if (t.kind == Kind::string) {
      a.kind = Arg::Kind::string;
      a.literal = Value::string(t.value);
      return true;
    }
    a.kind = Arg::Kind::number;
    const bool ok = t.kind == Kind::char_const ? parse_char(t.text, a.literal)
                                               : parse_number(t.text, a.literal);
    return ok || fail("illegal number syntax: \"" + t.text + "\"", t.pos);
  }

  bool term(Arg& a, bool& found) {
    const Token& t = peek();
    found = true;
    switch (t.kind) {
      case Kind::identifier:
        return identifier(next(), a);
      case Kind::dot:
        a.kind = Arg::Kind::dot;
        a.pos = next().pos;
        return true;
      case Kind::field:
        a.kind = Arg::Kind::field;
        a.pos = t.pos;
        a.idents = split_fields(next().text);
        return true;
      case Kind::variable:
        if (!defined(t.text)) return fail("undefined variable \"" + t.text + "\"", t.pos);
        a.kind = Arg::Kind::variable;
        a.pos = t.pos;
        a.idents = {next().text};
        return true;
      case Kind::string:
      case Kind::number:
      case Kind::char_const:
        return literal(next(), a);
      case Kind::lparen:
        a.kind = Arg::Kind::pipe;
        a.pos = next().pos;
        a.pipe = std::make_shared<Pipe>();
        return pipeline(*a.pipe, false, Kind::rparen, "parenthesized pipeline");
      case Kind::right:
      case Kind::rparen:
      case Kind::pipe:
        found = false;
        return true;
      case Kind::eof:
        found = false;
        return fail("unclosed action", t.pos);
      default:
        return fail("unexpected \"" + t.text + "\" in operand", t.pos);
    }
  }

  const std::string& name_;
  std::string_view text_;
  std::vector<Token> toks_;
  size_t i_ = 0;
  std::vector<std::string> vars_;
  std::string error_;
};

std::string joined_list(const std::vector<Node>& list) {
  std::string out;
  for (const auto& n : list) out += ast::to_string(n);
  return out;
}

}  // namespace

namespace ast {

std::string to_string(const Arg& a) {
  switch (a.kind) {
    case Arg::Kind::field: {
      std::string s;
      for (const auto& f : a.idents) s += "." + f;
      return s;
    }
    case Arg::Kind::variable: {
      std::string s = a.idents.front();
      for (size_t i = 1; i < a.idents.size(); ++i) s += "." + a.idents[i];
      return s;
    }
    case Arg::Kind::dot:
      return ".";
    case Arg::Kind::nil:
      return "nil";
    case Arg::Kind::pipe:
      return "(" + to_string(*a.pipe) + ")";
    case Arg::Kind::chain: {
      std::string s = to_string(*a.head);
      for (const auto& f : a.idents) s += "." + f;
      return s;
    }
    default:
      return a.text;  // literals as written, function names
  }
}

std::string to_string(const Command& c) {
  std::string s;
  for (size_t i = 0; i < c.args.size(); ++i) {
    if (i) s += " ";
    s += to_string(c.args[i]);
  }
  return s;
}

std::string to_string(const Pipe& p) {
  std::string s;
  if (!p.decl.empty()) {
    for (size_t i = 0; i < p.decl.size(); ++i) {
      if (i) s += ", ";
      s += p.decl[i];
    }
    s += p.is_assign ? " = " : " := ";
  }
  for (size_t i = 0; i < p.cmds.size(); ++i) {
    if (i) s += " | ";
    s += to_string(p.cmds[i]);
  }
  return s;
}

std::string to_string(const Node& n) {
  switch (n.kind) {
    case Node::Kind::list:
      return joined_list(n.list);
    case Node::Kind::text:
      return n.text;
    case Node::Kind::action:
      return "{{" + to_string(*n.pipe) + "}}";
    default: {
      const char* word = n.kind == Node::Kind::if_     ? "if"
                         : n.kind == Node::Kind::range ? "range"
                                                       : "with";
      std::string s =
          std::string("{{") + word + " " + to_string(*n.pipe) + "}}" + joined_list(n.list);
      if (n.has_else) s += "{{else}}" + joined_list(n.else_list);
      return s + "{{end}}";
    }
  }
}

bool is_function(const std::string& name) {
  static const char* const kNames[] = {"and",   "or",     "not",     "len", "index",
                                       "print", "printf", "println", "eq",  "ne",
                                       "lt",    "le",     "gt",      "ge",  "parseInt"};
  for (const char* n : kNames) {
    if (name == n) return true;
  }
  return false;
}

bool is_unsupported_builtin(const std::string& name) {
  static const char* const kNames[] = {"html", "js", "urlquery", "slice", "call"};
  for (const char* n : kNames) {
    if (name == n) return true;
  }
  return false;
}

}  // namespace ast

Template::~Template() = default;

std::unique_ptr<Template> Template::parse(std::string name, std::string_view text,
                                          std::string* error) {
  std::vector<Token> toks;
  std::string lex_error;
  size_t lex_pos = 0;
  std::string err;
  std::unique_ptr<Template> t(new Template());
  t->name_ = std::move(name);
  t->text_ = std::string(text);
  t->root_ = std::make_unique<ast::Node>();
  if (!lex(t->text_, toks, lex_error, lex_pos)) {
    int line = 1;
    for (size_t i = 0; i < lex_pos && i < text.size(); ++i) line += text[i] == '\n';
    err = "template: " + t->name_ + ":" + std::to_string(line) + ": " + lex_error;
  } else {
    Parser p(t->name_, t->text_, std::move(toks));
    p.parse(*t->root_, err);
  }
  if (!err.empty()) {
    if (error) *error = err;
    return nullptr;
  }
  t->source_ = ast::to_string(*t->root_);
  return t;
}

}  // namespace cxxdns::plugins::gotmpl
