// The parse tree of a Go template (text/template/parse's nodes, for the supported subset).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "plugins/template/gotmpl_value.h"

namespace cxxdns::plugins::gotmpl::ast {

struct Pipe;

// One word of a command: an operand or a function name.
struct Arg {
  enum class Kind { field, variable, dot, nil, boolean, number, string, identifier, pipe, chain };
  Kind kind = Kind::dot;
  size_t pos = 0;                   // byte offset in the template text
  std::vector<std::string> idents;  // field: {"Group","b"}; variable: {"$x","F"}; chain: fields
  std::string text;                 // a literal as written; a function's name
  Value literal;                    // a literal's value
  std::shared_ptr<Pipe> pipe;       // (pipeline)
  std::shared_ptr<Arg> head;        // a chain's operand: (pipeline).Field
};

struct Command {
  size_t pos = 0;
  std::vector<Arg> args;
};

struct Pipe {
  size_t pos = 0;
  bool is_assign = false;         // $x = ... (not :=)
  std::vector<std::string> decl;  // the variables it declares or assigns
  std::vector<Command> cmds;
};

struct Node {
  enum class Kind { list, text, action, if_, range, with };
  Kind kind = Kind::list;
  size_t pos = 0;
  std::string text;            // text
  std::shared_ptr<Pipe> pipe;  // action, if, range, with
  std::vector<Node> list;      // list; the body of if, range, with
  std::vector<Node> else_list;
  bool has_else = false;
};

// Go's String() of each node: the template printed back in canonical form.
std::string to_string(const Node& n);
std::string to_string(const Pipe& p);
std::string to_string(const Command& c);
std::string to_string(const Arg& a);

// The functions a template may call: Go's builtins this engine implements, and parseInt.
bool is_function(const std::string& name);
// Go's builtins it does not implement (a parse error names them as unsupported).
bool is_unsupported_builtin(const std::string& name);

}  // namespace cxxdns::plugins::gotmpl::ast
