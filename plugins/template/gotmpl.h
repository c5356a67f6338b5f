// A Go text/template engine for the template plugin: CoreDNS's templates are Go templates,
// so a Corefile's `answer "{{ .Name }} 60 IN A {{ .Group.a }}..."` must render here as it
// renders there. Supported: text and actions with their trim markers ({{- -}}) and comments;
// fields and chains (.Group.a, (index .Match 1).X), variables ($, $x := ..., $x = ...),
// literals, parenthesized pipelines and pipes; if / else if / else, with, range; the
// functions and, or, not, len, index, print, printf, println, eq, ne, lt, le, gt, ge and
// CoreDNS's parseInt (strconv.ParseUint). Anything else (define, template, block, break,
// continue, html, js, urlquery, slice, call, an unknown function) is a parse error, so a
// Corefile that needs it fails at setup rather than render differently.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "plugins/template/gotmpl_value.h"

namespace cxxdns::plugins::gotmpl {

namespace ast {
struct Node;
}

class Template {
 public:
  ~Template();
  Template(const Template&) = delete;
  Template& operator=(const Template&) = delete;

  // Parses `text` as gotmpl.New(name).Funcs({"parseInt": ...}).Parse(text) does; on error
  // returns null with Go's message in `error` ("template: answer:1: function \"x\" not
  // defined").
  static std::unique_ptr<Template> parse(std::string name, std::string_view text,
                                         std::string* error);

  // Runs the template on `data` into `out`. False with Go's message in `error` when
  // execution fails ("template: answer:1:26: executing \"answer\" at <index .Match 2>:
  // error calling index: index out of range: 2").
  bool execute(const Value& data, std::string& out, std::string* error) const;

  // The parse tree printed back, as Go's Tree.Root.String() (CoreDNS's `template` label).
  const std::string& source() const { return source_; }
  const std::string& name() const { return name_; }

 private:
  Template() = default;
  std::string name_;
  std::string text_;
  std::string source_;
  std::unique_ptr<ast::Node> root_;
};

}  // namespace cxxdns::plugins::gotmpl
