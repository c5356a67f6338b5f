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

    Token tok{.text = {}, .file = file, .line = line};
    if (c != '"') {
      while (i < text.size() && !is_space(text[i])) tok.text += text[i++];
      out.push_back(std::move(tok));
      continue;
    }

    tok.quoted = true;
    ++i;
    bool closed = false;
    while (i < text.size()) {
      char q = text[i++];
      if (q == '"') {
        closed = true;
        break;
      }
      // Caddy keeps the backslash of any escape but \" so Windows paths and regexps survive.
      if (q == '\\' && i < text.size()) {
        char e = text[i++];
        if (e != '"') tok.text += '\\';
        q = e;
      }
      if (q == '\n') ++line;
      tok.text += q;
    }
    // Caddy silently takes the rest of the file as the word; that always hides a mistake.
    if (!closed) throw ParseError(file, tok.line, "Unterminated quoted string");
    out.push_back(std::move(tok));
  }
  return out;
}

}  // namespace cxxdns::corefile
