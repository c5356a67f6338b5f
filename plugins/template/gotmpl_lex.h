// The lexer of Go templates: text, the delimiters and the words inside actions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cxxdns::plugins::gotmpl {

struct Token {
  enum class Kind {
    text,
    left,   // {{
    right,  // }}
    field,  // .Name
    variable,
    dot,
    identifier,  // a function name or a keyword (if, else, end, range, with...)
    string,      // "..." or `...`, with its value decoded
    char_const,
    number,
    lparen,
    rparen,
    pipe,
    declare,  // :=
    assign,   // =
    comma,
    eof,
  };
  Kind kind = Kind::eof;
  std::string text;   // as written
  std::string value;  // a string's decoded value
  size_t pos = 0;
  bool space_before = false;  // whitespace right before it, inside an action
};

// Splits `in` into tokens; false with a message (Go's wording) and its position on error.
bool lex(std::string_view in, std::vector<Token>& out, std::string& error, size_t& error_pos);

// Decodes a Go quoted string ("a\tb", `raw`); false when it is not one.
bool unquote(std::string_view quoted, std::string& out);

}  // namespace cxxdns::plugins::gotmpl
