// The Corefile lexer, following Caddy v1's rules (words split on whitespace, "..." quoting
// where only \" is an escape, # comments) so that CoreDNS configs tokenize identically.
#include <string>
#include <string_view>
#include <vector>

#include "core/corefile/corefile.h"

namespace cxxdns::corefile {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// A "..." word from text[i] (its opening quote); `i` and `line` move past it.
Token quoted_word(std::string_view text, size_t& i, int& line, const std::string& file) {
  Token tok{.text = {}, .file = file, .line = line};
  tok.quoted = true;
  ++i;
  while (i < text.size()) {
    char q = text[i++];
    if (q == '"') return tok;
    // Caddy keeps the backslash of any escape but \" so Windows paths and regexps survive.
    if (q == '\\' && i < text.size()) {
      const char e = text[i++];
      if (e != '"') tok.text += '\\';
      q = e;
    }
    if (q == '\n') ++line;
    tok.text += q;
  }
  // Caddy silently takes the rest of the file as the word; that always hides a mistake.
  throw ParseError(file, tok.line, "Unterminated quoted string");
}

}  // namespace

std::vector<Token> tokenize(std::string_view text, const std::string& file) {
  // Editors on Windows like to prepend a byte order mark; it is not part of the first word.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);

  std::vector<Token> out;
  int line = 1;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '\n') {
      ++line;
      ++i;
      continue;
    }
    if (is_space(c)) {
      ++i;
      continue;
    }
    // Only at the start of a word: `foo#bar` is one word (Caddy v2 rule; v1 cut it at #).
    if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }

    if (c == '"') {
      out.push_back(quoted_word(text, i, line, file));
      continue;
    }
    Token tok{.text = {}, .file = file, .line = line};
    while (i < text.size() && !is_space(text[i])) tok.text += text[i++];
    out.push_back(std::move(tok));
  }
  return out;
}

}  // namespace cxxdns::corefile
