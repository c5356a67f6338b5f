#include "plugins/view/expression.h"

#include <cctype>
#include <charconv>

#include "plugins/pkg/regex.h"
#include "plugins/view/functions.h"

namespace cxxdns::plugins::view {

enum class Op : uint8_t {
  literal,
  list,
  call,
  neg,
  not_,
  and_,
  or_,
  eq,
  ne,
  lt,
  gt,
  le,
  ge,
  add,
  sub,
  matches,
  contains,
  starts,
  ends,
  in
};

struct Node {
  Op op = Op::literal;
  Type type = Type::any;
  Value value;                   // a literal
  const Function* fn = nullptr;  // a call
  std::vector<std::unique_ptr<Node>> kids;
  bool negate = false;             // `not in`, `not matches`...
  std::unique_ptr<pkg::Regex> re;  // `matches` with a literal pattern, compiled once
  size_t pos_hint = 0;             // where a literal was written, for errors about it
};

namespace {

// ---- Lexer

enum class Tok : uint8_t { end, ident, number, string, punct };

struct Token {
  Tok kind = Tok::end;
  std::string text;  // an identifier, a punctuator, a number's digits, a string's value
  size_t pos = 0;
};

struct CompileError {
  std::string message;
  size_t pos;
};

[[noreturn]] void fail(std::string message, size_t pos) {
  throw CompileError{std::move(message), pos};
}

bool escape_char(char c, char& out) {
  switch (c) {
    case '\\':
    case '\'':
    case '"':
      out = c;
      return true;
    case 'n':
      out = '\n';
      return true;
    case 't':
      out = '\t';
      return true;
    case 'r':
      out = '\r';
      return true;
    default:
      return false;
  }
}

// A quoted string from text[i] (the quote); returns the index past the closing quote.
size_t lex_string(std::string_view text, size_t i, Token& t) {
  const char quote = text[i];
  t.kind = Tok::string;
  for (size_t j = i + 1; j < text.size(); ++j) {
    const char c = text[j];
    if (c == quote) return j + 1;
    if (c != '\\') {
      t.text += c;
      continue;
    }
    char e = 0;
    if (j + 1 >= text.size() || !escape_char(text[j + 1], e)) fail("invalid char escape", j);
    t.text += e;
    ++j;
  }
  fail("literal not terminated", i);
}

constexpr std::string_view kPuncts[] = {"==", "!=", "<=", ">=", "&&", "||", "(", ")",
                                        "[",  "]",  ",",  "<",  ">",  "!",  "+", "-"};

bool ident_char(char c, bool first) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
         (!first && std::isdigit(static_cast<unsigned char>(c)));
}

size_t lex_one(std::string_view text, size_t i, Token& t) {
  const char c = text[i];
  if (c == '\'' || c == '"') return lex_string(text, i, t);
  size_t j = i;
  if (std::isdigit(static_cast<unsigned char>(c))) {
    while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
    t.kind = Tok::number;
  } else if (ident_char(c, true)) {
    while (j < text.size() && ident_char(text[j], false)) ++j;
    t.kind = Tok::ident;
  } else {
    for (std::string_view p : kPuncts) {
      if (text.substr(i, p.size()) == p) {
        t.kind = Tok::punct;
        t.text = p;
        return i + p.size();
      }
    }
    fail(std::string("unexpected token \"") + c + "\"", i);
  }
  t.text = text.substr(i, j - i);
  return j;
}

std::vector<Token> lex(std::string_view text) {
  std::vector<Token> out;
  size_t i = 0;
  while (true) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    Token t;
    t.pos = i;
    if (i == text.size()) {
      out.push_back(t);
      return out;
    }
    i = lex_one(text, i, t);
    out.push_back(std::move(t));
  }
}

// ---- Parser: expr's precedence, lowest first: or ||; and &&; comparisons, in, matches,
// contains, startsWith, endsWith; + -; the unary not ! -.

struct BinaryOp {
  std::string_view word;
  Op op;
};
constexpr BinaryOp kComparisons[] = {{"==", Op::eq},
                                     {"!=", Op::ne},
                                     {"<", Op::lt},
                                     {">", Op::gt},
                                     {"<=", Op::le},
                                     {">=", Op::ge},
                                     {"matches", Op::matches},
                                     {"contains", Op::contains},
                                     {"startsWith", Op::starts},
                                     {"endsWith", Op::ends},
                                     {"in", Op::in}};

const BinaryOp* comparison(const Token& t) {
  if (t.kind != Tok::punct && t.kind != Tok::ident) return nullptr;
  for (const BinaryOp& b : kComparisons) {
    if (t.text == b.word) return &b;
  }
  return nullptr;
}

std::unique_ptr<Node> make(Op op, Type type) {
  auto n = std::make_unique<Node>();
  n->op = op;
  n->type = type;
  return n;
}

bool is(Type t, Type want) {
  return t == want || t == Type::any;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : toks_(std::move(toks)) {}

  std::unique_ptr<Node> parse() {
    auto n = parse_or();
    if (peek().kind != Tok::end) fail("unexpected token \"" + peek().text + "\"", peek().pos);
    return n;
  }

 private:
  const Token& peek(size_t ahead = 0) const {
    return toks_[std::min(at_ + ahead, toks_.size() - 1)];
  }
  const Token& take() {
    const Token& t = peek();
    if (at_ < toks_.size() - 1) ++at_;
    return t;
  }
  bool accept(std::string_view a, std::string_view b = {}) {
    const Token& t = peek();
    if ((t.kind == Tok::punct || t.kind == Tok::ident) &&
        (t.text == a || (!b.empty() && t.text == b))) {
      take();
      return true;
    }
    return false;
  }
  void expect(std::string_view p) {
    if (!accept(p))
      fail("unexpected token \"" + peek().text + "\" (expected " + std::string(p) + ")",
           peek().pos);
  }

  std::unique_ptr<Node> logic(Op op, std::unique_ptr<Node> l, std::unique_ptr<Node> r,
                              std::string_view word, size_t pos) {
    if (!is(l->type, Type::boolean) || !is(r->type, Type::boolean)) {
      fail("invalid operation: " + std::string(word) + " (mismatched types " + type_name(l->type) +
               " and " + type_name(r->type) + ")",
           pos);
    }
    auto n = make(op, Type::boolean);
    n->kids.push_back(std::move(l));
    n->kids.push_back(std::move(r));
    return n;
  }

  std::unique_ptr<Node> parse_or() {
    auto l = parse_and();
    while (true) {
      const Token t = peek();
      if (!accept("||", "or")) return l;
      l = logic(Op::or_, std::move(l), parse_and(), t.text, t.pos);
    }
  }

  std::unique_ptr<Node> parse_and() {
    auto l = parse_comparison();
    while (true) {
      const Token t = peek();
      if (!accept("&&", "and")) return l;
      l = logic(Op::and_, std::move(l), parse_comparison(), t.text, t.pos);
    }
  }

  // The operator after `not`, when the next tokens are `not in`, `not matches`...
  const BinaryOp* negated_comparison() const {
    if (peek().kind != Tok::ident || peek().text != "not") return nullptr;
    const BinaryOp* b = comparison(peek(1));
    return b && b->op >= Op::matches ? b : nullptr;
  }

  std::unique_ptr<Node> parse_comparison() {
    auto l = parse_additive();
    while (true) {
      const Token t = peek();
      bool negate = false;
      const BinaryOp* b = negated_comparison();
      if (b) {
        take();
        negate = true;
      } else {
        b = comparison(t);
      }
      if (!b) return l;
      take();
      l = compare(b, std::move(l), parse_additive(), t.pos);
      l->negate = negate;
    }
  }

  std::unique_ptr<Node> compare(const BinaryOp* b, std::unique_ptr<Node> l, std::unique_ptr<Node> r,
                                size_t pos) {
    const std::string mismatch = "invalid operation: " + std::string(b->word) +
                                 " (mismatched types " + type_name(l->type) + " and " +
                                 type_name(r->type) + ")";
    const bool any = l->type == Type::any || r->type == Type::any;
    switch (b->op) {
      case Op::eq:
      case Op::ne:
        if (!any && l->type != r->type) fail(mismatch, pos);
        break;
      case Op::lt:
      case Op::gt:
      case Op::le:
      case Op::ge:
        if (!any && (l->type != r->type || (l->type != Type::integer && l->type != Type::string))) {
          fail(mismatch, pos);
        }
        break;
      case Op::in:
        if (!is(r->type, Type::list)) fail(mismatch, pos);
        break;
      default:  // matches, contains, startsWith, endsWith: strings
        if (!is(l->type, Type::string) || !is(r->type, Type::string)) fail(mismatch, pos);
    }
    auto n = make(b->op, Type::boolean);
    if (b->op == Op::matches && r->op == Op::literal) {
      std::string err;
      n->re = pkg::Regex::compile(r->value.s, &err);
      if (!n->re) fail(err, r->pos_hint);
    }
    n->kids.push_back(std::move(l));
    n->kids.push_back(std::move(r));
    return n;
  }

  std::unique_ptr<Node> parse_additive() {
    auto l = parse_unary();
    while (true) {
      const Token t = peek();
      if (!accept("+", "-")) return l;
      auto r = parse_unary();
      const bool plus = t.text == "+";
      const bool ints = is(l->type, Type::integer) && is(r->type, Type::integer);
      const bool strings = plus && is(l->type, Type::string) && is(r->type, Type::string);
      if (!ints && !strings) {
        fail("invalid operation: " + t.text + " (mismatched types " + type_name(l->type) + " and " +
                 type_name(r->type) + ")",
             t.pos);
      }
      auto n = make(plus ? Op::add : Op::sub, l->type == Type::any ? r->type : l->type);
      n->kids.push_back(std::move(l));
      n->kids.push_back(std::move(r));
      l = std::move(n);
    }
  }

  std::unique_ptr<Node> parse_unary() {
    const Token t = peek();
    if (!negated_comparison() && accept("!", "not")) {
      auto operand = parse_unary();
      if (!is(operand->type, Type::boolean)) {
        fail("invalid operation: " + t.text + " (mismatched type " + type_name(operand->type) + ")",
             t.pos);
      }
      auto n = make(Op::not_, Type::boolean);
      n->kids.push_back(std::move(operand));
      return n;
    }
    if (accept("-")) {
      auto operand = parse_unary();
      if (!is(operand->type, Type::integer)) {
        fail("invalid operation: - (mismatched type " + type_name(operand->type) + ")", t.pos);
      }
      auto n = make(Op::neg, Type::integer);
      n->kids.push_back(std::move(operand));
      return n;
    }
    return parse_primary();
  }

  std::unique_ptr<Node> literal(Value v, size_t pos) {
    auto n = make(Op::literal, v.type);
    n->value = std::move(v);
    n->pos_hint = pos;
    return n;
  }

  std::unique_ptr<Node> parse_primary() {
    const Token t = take();
    switch (t.kind) {
      case Tok::string:
        return literal(Value::of(t.text), t.pos);
      case Tok::number:
        return number(t);
      case Tok::ident:
        return identifier(t);
      case Tok::punct:
        if (t.text == "(") {
          auto n = parse_or();
          expect(")");
          return n;
        }
        if (t.text == "[") return list();
        break;
      case Tok::end:
        fail("unexpected end of expression", t.pos);
    }
    fail("unexpected token \"" + t.text + "\"", t.pos);
  }

  std::unique_ptr<Node> number(const Token& t) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
    if (ec != std::errc()) fail("invalid number " + t.text, t.pos);
    return literal(Value::of(v), t.pos);
  }

  std::unique_ptr<Node> list() {
    auto n = make(Op::list, Type::list);
    if (accept("]")) return n;
    do {
      n->kids.push_back(parse_or());
    } while (accept(","));
    expect("]");
    return n;
  }

  std::unique_ptr<Node> identifier(const Token& t) {
    if (t.text == "true" || t.text == "false") return literal(Value::of(t.text == "true"), t.pos);
    const Function* fn = find_function(t.text);
    if (!fn || peek().text != "(") fail("unknown name " + t.text, t.pos);
    take();
    auto n = make(Op::call, fn->result);
    n->fn = fn;
    if (!accept(")")) {
      do {
        n->kids.push_back(parse_or());
      } while (accept(","));
      expect(")");
    }
    check_arguments(*fn, *n, t.pos);
    return n;
  }

  static void check_arguments(const Function& fn, const Node& call, size_t pos) {
    if (call.kids.size() != fn.args.size()) {
      fail(std::string(call.kids.size() < fn.args.size() ? "not enough" : "too many") +
               " arguments to call " + std::string(fn.name),
           pos);
    }
    for (size_t i = 0; i < fn.args.size(); ++i) {
      if (!is(call.kids[i]->type, fn.args[i])) {
        fail("cannot use " + type_name(call.kids[i]->type) + " as argument (type " +
                 type_name(fn.args[i]) + ") to call " + std::string(fn.name),
             pos);
      }
    }
  }

  std::vector<Token> toks_;
  size_t at_ = 0;
};

// ---- Evaluation: false when an operand could not be had (a function's error).

bool eval(const Node& n, const Facts& f, Value& out);

bool equal(const Value& a, const Value& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case Type::boolean:
      return a.b == b.b;
    case Type::integer:
      return a.i == b.i;
    case Type::string:
      return a.s == b.s;
    default:
      return false;
  }
}

template <typename T>
bool ordered(Op op, const T& a, const T& b) {
  switch (op) {
    case Op::lt:
      return a < b;
    case Op::gt:
      return a > b;
    case Op::le:
      return a <= b;
    default:
      return a >= b;
  }
}

bool string_test(const Node& n, const Value& l, const Value& r, bool& result) {
  if (l.type != Type::string || r.type != Type::string) return false;
  const std::string_view s = l.s;
  switch (n.op) {
    case Op::contains:
      result = s.find(r.s) != std::string_view::npos;
      return true;
    case Op::starts:
      result = s.starts_with(r.s);
      return true;
    case Op::ends:
      result = s.ends_with(r.s);
      return true;
    default: {  // matches
      if (n.re) {
        result = n.re->matches(s);
        return true;
      }
      std::string err;
      auto re = pkg::Regex::compile(r.s, &err);
      if (!re) return false;
      result = re->matches(s);
      return true;
    }
  }
}

bool binary(const Node& n, const Value& l, const Value& r, Value& out) {
  bool result = false;
  switch (n.op) {
    case Op::eq:
    case Op::ne:
      result = equal(l, r) == (n.op == Op::eq);
      break;
    case Op::lt:
    case Op::gt:
    case Op::le:
    case Op::ge:
      if (l.type != r.type) return false;
      if (l.type == Type::integer) {
        result = ordered(n.op, l.i, r.i);
      } else if (l.type == Type::string) {
        result = ordered(n.op, l.s, r.s);
      } else {
        return false;
      }
      break;
    case Op::in:
      if (r.type != Type::list) return false;
      for (const Value& item : r.items) result = result || equal(l, item);
      break;
    default:
      if (!string_test(n, l, r, result)) return false;
  }
  out = Value::of(result != n.negate);
  return true;
}

bool arithmetic(const Node& n, const Value& l, const Value& r, Value& out) {
  if (l.type == Type::integer && r.type == Type::integer) {
    out = Value::of(n.op == Op::add ? l.i + r.i : l.i - r.i);
    return true;
  }
  if (n.op == Op::add && l.type == Type::string && r.type == Type::string) {
    out = Value::of(l.s + r.s);
    return true;
  }
  return false;
}

bool eval_logic(const Node& n, const Facts& f, Value& out) {
  Value l;
  if (!eval(*n.kids[0], f, l) || l.type != Type::boolean) return false;
  // Short-circuit as expr does: the right side runs only when it decides.
  if (l.b == (n.op == Op::or_)) {
    out = l;
    return true;
  }
  Value r;
  if (!eval(*n.kids[1], f, r) || r.type != Type::boolean) return false;
  out = r;
  return true;
}

bool eval_unary(const Node& n, const Facts& f, Value& out) {
  Value v;
  if (!eval(*n.kids[0], f, v)) return false;
  if (n.op == Op::not_ && v.type == Type::boolean) {
    out = Value::of(!v.b);
    return true;
  }
  if (n.op == Op::neg && v.type == Type::integer) {
    out = Value::of(-v.i);
    return true;
  }
  return false;
}

bool eval_kids(const Node& n, const Facts& f, std::vector<Value>& out) {
  out.resize(n.kids.size());
  for (size_t i = 0; i < n.kids.size(); ++i) {
    if (!eval(*n.kids[i], f, out[i])) return false;
  }
  return true;
}

bool eval(const Node& n, const Facts& f, Value& out) {
  switch (n.op) {
    case Op::literal:
      out = n.value;
      return true;
    case Op::list:
      out = Value{};
      out.type = Type::list;
      return eval_kids(n, f, out.items);
    case Op::call: {
      std::vector<Value> args;
      return eval_kids(n, f, args) && n.fn->call(f, args, out);
    }
    case Op::and_:
    case Op::or_:
      return eval_logic(n, f, out);
    case Op::not_:
    case Op::neg:
      return eval_unary(n, f, out);
    default: {
      Value l, r;
      if (!eval(*n.kids[0], f, l) || !eval(*n.kids[1], f, r)) return false;
      if (n.op == Op::add || n.op == Op::sub) return arithmetic(n, l, r, out);
      return binary(n, l, r, out);
    }
  }
}

}  // namespace

Expression::~Expression() = default;
Expression::Expression(Expression&&) noexcept = default;
Expression& Expression::operator=(Expression&&) noexcept = default;

std::unique_ptr<Expression> Expression::compile(std::string_view text, std::string& error) {
  try {
    Parser p(lex(text));
    auto root = p.parse();
    std::unique_ptr<Expression> e(new Expression());
    e->text_ = text;
    e->root_ = std::move(root);
    return e;
  } catch (const CompileError& err) {
    error = err.message + " (1:" + std::to_string(err.pos + 1) + ")";
    return nullptr;
  }
}

bool Expression::accepts(const Facts& facts) const {
  Value v;
  return eval(*root_, facts, v) && v.type == Type::boolean && v.b;
}

}  // namespace cxxdns::plugins::view
