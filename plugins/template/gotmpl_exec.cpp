// Runs a parsed Go template (text/template's exec.go for the supported subset).
#include <utility>

#include "plugins/template/gotmpl.h"
#include "plugins/template/gotmpl_ast.h"
#include "plugins/template/gotmpl_funcs.h"

namespace cxxdns::plugins::gotmpl {

namespace {

using ast::Arg;
using ast::Command;
using ast::Node;
using ast::Pipe;

class Exec {
 public:
  Exec(const std::string& name, std::string_view text, std::string& out)
      : name_(name), text_(text), out_(out) {}

  bool run(const Node& root, const Value& data) {
    vars_.emplace_back("$", data);
    return walk(data, root);
  }
  const std::string& error() const { return error_; }

 private:
  // Go's "template: NAME:LINE:COL: executing \"NAME\" at <NODE>: MSG".
  bool fail(size_t pos, const std::string& node, const std::string& msg) {
    if (!error_.empty()) return false;
    int line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < pos && i < text_.size(); ++i) {
      if (text_[i] == '\n') ++line, line_start = i + 1;
    }
    error_ = "template: " + name_ + ":" + std::to_string(line) + ":" +
             std::to_string(pos - line_start) + ": executing \"" + name_ + "\" at <" + node +
             ">: " + msg;
    return false;
  }

  bool walk(const Value& dot, const Node& n) {
    switch (n.kind) {
      case Node::Kind::list:
        return walk_list(dot, n.list);
      case Node::Kind::text:
        out_ += n.text;
        return true;
      case Node::Kind::action: {
        Value v;
        if (!pipeline(dot, *n.pipe, v)) return false;
        if (n.pipe->decl.empty()) out_ += print(v);
        return true;
      }
      case Node::Kind::range:
        return range(dot, n);
      default:
        return if_or_with(dot, n);
    }
  }

  bool walk_list(const Value& dot, const std::vector<Node>& list) {
    for (const Node& c : list) {
      if (!walk(dot, c)) return false;
    }
    return true;
  }

  bool if_or_with(const Value& dot, const Node& n) {
    const size_t mark = vars_.size();
    Value v;
    bool ok = pipeline(dot, *n.pipe, v);
    if (ok) {
      if (truth(v)) {
        ok = walk_list(n.kind == Node::Kind::with ? v : dot, n.list);
      } else if (n.has_else) {
        ok = walk_list(dot, n.else_list);
      }
    }
    vars_.resize(mark);
    return ok;
  }

  bool range_item(const Node& n, const Value& key, const Value& elem) {
    const size_t mark = vars_.size();
    if (n.pipe->decl.size() == 1) vars_.emplace_back(n.pipe->decl[0], elem);
    if (n.pipe->decl.size() == 2) {
      vars_.emplace_back(n.pipe->decl[0], key);
      vars_.emplace_back(n.pipe->decl[1], elem);
    }
    const bool ok = walk_list(elem, n.list);
    vars_.resize(mark);
    return ok;
  }

  bool range(const Value& dot, const Node& n) {
    const size_t mark = vars_.size();
    Value v;
    if (!pipeline_value(dot, *n.pipe, v)) return false;
    bool ok = true;
    bool any = false;
    if (v.kind == Value::Kind::list) {
      for (size_t i = 0; ok && i < v.list->size(); ++i, any = true) {
        ok = range_item(n, Value::integer(static_cast<int64_t>(i)), (*v.list)[i]);
      }
    } else if (v.kind == Value::Kind::map) {
      for (auto it = v.map->begin(); ok && it != v.map->end(); ++it, any = true) {
        ok = range_item(n, Value::string(it->first), it->second);
      }
    } else if (v.valid() && v.kind != Value::Kind::nil) {
      ok = fail(n.pipe->pos, ast::to_string(*n.pipe), "range can't iterate over " + print(v));
    }
    if (ok && !any && n.has_else) ok = walk_list(dot, n.else_list);
    vars_.resize(mark);
    return ok;
  }

  // A range's pipeline: its value without declaring its variables (range_item does).
  bool pipeline_value(const Value& dot, const Pipe& p, Value& out) {
    Value v;
    for (const Command& c : p.cmds) {
      const bool has_final = &c != &p.cmds.front();
      if (!command(dot, c, has_final ? &v : nullptr, v)) return false;
    }
    out = std::move(v);
    return true;
  }

  bool pipeline(const Value& dot, const Pipe& p, Value& out) {
    if (!pipeline_value(dot, p, out)) return false;
    for (const auto& name : p.decl) {
      if (p.is_assign) {
        for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
          if (it->first == name) {
            it->second = out;
            break;
          }
        }
      } else {
        vars_.emplace_back(name, out);
      }
    }
    return true;
  }

  const Value* variable(const std::string& name) const {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->first == name) return &it->second;
    }
    return nullptr;
  }

  // One command of a pipeline; `final` is the previous command's value, its last argument.
  bool command(const Value& dot, const Command& c, const Value* final, Value& out) {
    const Arg& first = c.args.front();
    const std::string node = ast::to_string(c);
    switch (first.kind) {
      case Arg::Kind::identifier:
        return function(dot, c, final, out);
      case Arg::Kind::field:
        return fields(dot, dot, first.idents, 0, c, final, out);
      case Arg::Kind::variable: {
        const Value* v = variable(first.idents[0]);
        if (!v) return fail(first.pos, node, "undefined variable: " + first.idents[0]);
        if (first.idents.size() == 1) {
          if (c.args.size() > 1 || final) return not_a_function(first, node);
          out = *v;
          return true;
        }
        return fields(dot, *v, first.idents, 1, c, final, out);
      }
      case Arg::Kind::chain: {
        Value head;
        if (!operand(dot, *first.head, head)) return false;
        return fields(dot, head, first.idents, 0, c, final, out);
      }
      default:
        if (c.args.size() > 1 || final) return not_a_function(first, node);
        return operand(dot, first, out);
    }
  }

  bool not_a_function(const Arg& a, const std::string& node) {
    return fail(a.pos, node, "can't give argument to non-function " + ast::to_string(a));
  }

  // The value of an argument (not a function call).
  bool operand(const Value& dot, const Arg& a, Value& out) {
    switch (a.kind) {
      case Arg::Kind::dot:
        out = dot;
        return true;
      case Arg::Kind::nil:
        out = Value::nil();
        return true;
      case Arg::Kind::boolean:
      case Arg::Kind::number:
      case Arg::Kind::string:
        out = a.literal;
        return true;
      case Arg::Kind::pipe:
        return pipeline(dot, *a.pipe, out);
      case Arg::Kind::identifier: {
        // A function as an argument runs with no arguments of its own.
        Command c;
        c.pos = a.pos;
        c.args.push_back(a);
        return function(dot, c, nullptr, out);
      }
      default: {
        Command c;
        c.pos = a.pos;
        c.args.push_back(a);
        return command(dot, c, nullptr, out);
      }
    }
  }

  bool arguments(const Value& dot, const Command& c, size_t from, const Value* final,
                 std::vector<Value>& out) {
    for (size_t i = from; i < c.args.size(); ++i) {
      Value v;
      if (!operand(dot, c.args[i], v)) return false;
      out.push_back(std::move(v));
    }
    if (final) out.push_back(*final);
    return true;
  }

  // and/or: evaluated lazily, the first value that decides.
  bool and_or(const Value& dot, const Command& c, const Value* final, Value& out) {
    const bool is_and = c.args[0].text == "and";
    const size_t n = c.args.size() - 1 + (final ? 1 : 0);
    if (n == 0) {
      return fail(c.pos, ast::to_string(c),
                  "wrong number of args for " + c.args[0].text + ": want at least 1 got 0");
    }
    for (size_t i = 1; i <= n; ++i) {
      if (i < c.args.size()) {
        if (!operand(dot, c.args[i], out)) return false;
      } else {
        out = *final;
      }
      if (truth(out) != is_and) return true;
    }
    return true;
  }

  bool function(const Value& dot, const Command& c, const Value* final, Value& out) {
    const std::string& name = c.args[0].text;
    if (name == "and" || name == "or") return and_or(dot, c, final, out);
    std::vector<Value> args;
    if (!arguments(dot, c, 1, final, args)) return false;
    CallError e;
    if (call_function(name, args, out, e)) return true;
    return fail(c.args[0].pos, ast::to_string(c),
                e.from_function ? "error calling " + name + ": " + e.text : e.text);
  }

  // Walks .A.B.C from `receiver`; the last one gets the command's arguments (a method).
  bool fields(const Value& dot, Value receiver, const std::vector<std::string>& idents, size_t from,
              const Command& c, const Value* final, Value& out) {
    for (size_t i = from; i < idents.size(); ++i) {
      const bool last = i + 1 == idents.size();
      Value next;
      if (!field(dot, receiver, idents[i], last ? &c : nullptr, last ? final : nullptr, next))
        return false;
      receiver = std::move(next);
    }
    out = std::move(receiver);
    return true;
  }

  bool field(const Value& dot, const Value& receiver, const std::string& name, const Command* c,
             const Value* final, Value& out) {
    const std::string node = c ? ast::to_string(*c) : "." + name;
    const size_t pos = c ? c->pos : 0;
    const bool has_args = c && (c->args.size() > 1 || final);
    if (receiver.kind == Value::Kind::structure) {
      const Value* f = receiver.structure->field(name);
      if (!f) {
        return fail(pos, node,
                    "can't evaluate field " + name + " in type " + receiver.structure->type_name);
      }
      if (f->kind == Value::Kind::method) {
        std::vector<Value> args;
        if (c && !arguments(dot, *c, 1, final, args)) return false;
        std::string err;
        out = (*f->method)(args, &err);
        return err.empty() || fail(pos, node, "error calling " + name + ": " + err);
      }
      if (has_args)
        return fail(pos, node, name + " has arguments but cannot be invoked as function");
      out = *f;
      return true;
    }
    if (receiver.kind == Value::Kind::map) {
      if (has_args) return fail(pos, node, name + " is not a method but has arguments");
      auto it = receiver.map->find(name);
      out = it == receiver.map->end() ? Value() : it->second;  // missing: "<no value>"
      return true;
    }
    if (!receiver.valid() || receiver.kind == Value::Kind::nil) {
      return fail(pos, node, "nil pointer evaluating " + type_name(receiver) + "." + name);
    }
    return fail(pos, node, "can't evaluate field " + name + " in type " + type_name(receiver));
  }

  const std::string& name_;
  std::string_view text_;
  std::string& out_;
  std::vector<std::pair<std::string, Value>> vars_;
  std::string error_;
};

}  // namespace

bool Template::execute(const Value& data, std::string& out, std::string* error) const {
  out.clear();
  Exec e(name_, text_, out);
  if (e.run(*root_, data)) return true;
  if (error) *error = e.error();
  return false;
}

}  // namespace cxxdns::plugins::gotmpl
