// The expressions of the view plugin: the part of the expr language (github.com/expr-lang/expr)
// that CoreDNS's view expressions use, compiled once at setup (a bad expression is a setup
// error, with its column) and evaluated per query against the query's facts.
//
//   literals      'text' "text" (with \\ \' \" \n \t escapes), 42, true, false, [a, b, ...]
//   functions     name() type() class() client_ip() port() server_ip() server_port() proto()
//                 id() opcode() size() bufsize() do() incidr(ip, cidr) metadata(label)
//   comparisons   == != < > <= >=, matches (RE2: Go's regexp syntax), contains, startsWith,
//                 endsWith, in, each of the last five also after `not`
//   logic         ! not && and || or, ( ), + (numbers, or strings joined)
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cxxdns {
class QueryContext;
struct ListenerSpec;
}  // namespace cxxdns

namespace cxxdns::plugins::view {

// What the functions read: the query and the listener it came to.
struct Facts {
  QueryContext* ctx = nullptr;
  const ListenerSpec* at = nullptr;
};

struct Node;

class Expression {
 public:
  ~Expression();
  Expression(Expression&&) noexcept;
  Expression& operator=(Expression&&) noexcept;

  // Compiles `text`; on a syntax or type error returns null and sets `error` (with the
  // line:column of the fault, as expr does: "unknown name foo (1:1)").
  static std::unique_ptr<Expression> compile(std::string_view text, std::string& error);

  // True only when the expression evaluates to the boolean true; any other value, or an
  // error while evaluating (incidr of something that is no address), is false, as CoreDNS's
  // view filter.
  bool accepts(const Facts& facts) const;

  const std::string& text() const { return text_; }

 private:
  Expression() = default;
  std::string text_;
  std::unique_ptr<Node> root_;
};

}  // namespace cxxdns::plugins::view
