#include "plugins/template/gotmpl_lex.h"

#include <cstdint>

namespace cxxdns::plugins::gotmpl {

namespace {

constexpr std::string_view kLeft = "{{", kRight = "}}";

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool is_alnum(char c) {
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

bool hex_value(std::string_view s, size_t n, uint32_t& v) {
  if (s.size() < n) return false;
  v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[i];
    int d;
    if (is_digit(c)) {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return false;
    }
    v = v * 16 + static_cast<uint32_t>(d);
  }
  return true;
}

// One escape after a backslash in a double-quoted string; `s` starts after the backslash.
bool unescape(std::string_view& s, std::string& out) {
  if (s.empty()) return false;
  const char c = s[0];
  s.remove_prefix(1);
  switch (c) {
    case 'a':
      out += '\a';
      return true;
    case 'b':
      out += '\b';
      return true;
    case 'f':
      out += '\f';
      return true;
    case 'n':
      out += '\n';
      return true;
    case 'r':
      out += '\r';
      return true;
    case 't':
      out += '\t';
      return true;
    case 'v':
      out += '\v';
      return true;
    case '\\':
      out += '\\';
      return true;
    case '"':
      out += '"';
      return true;
    case '\'':
      out += '\'';
      return true;
    default:
      break;
  }
  uint32_t v = 0;
  const size_t n = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
  if (n != 0) {
    if (!hex_value(s, n, v)) return false;
    s.remove_prefix(n);
    if (c == 'x') {
      out += static_cast<char>(v);
    } else {
      append_utf8(out, v);
    }
    return true;
  }
  if (c >= '0' && c <= '7' && s.size() >= 2 && s[0] >= '0' && s[0] <= '7' && s[1] >= '0' &&
      s[1] <= '7') {
    out += static_cast<char>(((c - '0') << 6) | ((s[0] - '0') << 3) | (s[1] - '0'));
    s.remove_prefix(2);
    return true;
  }
  return false;
}

class Lexer {
 public:
  Lexer(std::string_view in, std::vector<Token>& out) : in_(in), out_(out) {}

  bool run(std::string& error, size_t& error_pos) {
    while (!done_) {
      if (!(in_action_ ? action() : text())) {
        error = error_;
        error_pos = error_pos_;
        return false;
      }
    }
    emit(Token::Kind::eof, pos_, pos_);
    return true;
  }

 private:
  bool fail(std::string msg, size_t at) {
    error_ = std::move(msg);
    error_pos_ = at;
    return false;
  }

  void emit(Token::Kind k, size_t begin, size_t end) {
    Token t;
    t.kind = k;
    t.text = std::string(in_.substr(begin, end - begin));
    t.pos = begin;
    t.space_before = space_before_;
    space_before_ = false;
    out_.push_back(std::move(t));
  }

  // Text up to the next "{{" (trimmed as its markers say), then the delimiter.
  bool text() {
    const size_t at = in_.find(kLeft, pos_);
    size_t end = at == std::string_view::npos ? in_.size() : at;
    std::string_view chunk = in_.substr(pos_, end - pos_);
    if (trim_next_) {
      while (!chunk.empty() && is_space(chunk.front())) chunk.remove_prefix(1);
      trim_next_ = false;
    }
    const bool trim_left = at != std::string_view::npos && at + 3 < in_.size() &&
                           in_[at + 2] == '-' && is_space(in_[at + 3]);
    if (trim_left) {
      while (!chunk.empty() && is_space(chunk.back())) chunk.remove_suffix(1);
    }
    if (!chunk.empty()) {
      Token t;
      t.kind = Token::Kind::text;
      t.text = std::string(chunk);
      t.pos = static_cast<size_t>(chunk.data() - in_.data());
      out_.push_back(std::move(t));
    }
    if (at == std::string_view::npos) {
      pos_ = in_.size();
      done_ = true;
      return true;
    }
    pos_ = at + kLeft.size() + (trim_left ? 2 : 0);
    if (in_.substr(pos_, 2) == "/*") return comment(at);
    emit(Token::Kind::left, at, at + 2);
    in_action_ = true;
    return true;
  }

  // {{/* ... */}}: dropped, as Go's parser drops comments.
  bool comment(size_t left_at) {
    const size_t close = in_.find("*/", pos_ + 2);
    if (close == std::string_view::npos) return fail("unclosed comment", left_at);
    size_t p = close + 2;
    if (in_.substr(p, 2) == kRight) {
      pos_ = p + 2;
      return true;
    }
    if (p + 4 <= in_.size() && is_space(in_[p]) && in_.substr(p + 1, 3) == "-}}") {
      pos_ = p + 4;
      trim_next_ = true;
      return true;
    }
    return fail("comment ends before closing delimiter", left_at);
  }

  bool right_delim() {
    // " -}}" trims the text after it.
    size_t p = pos_;
    while (p < in_.size() && is_space(in_[p])) ++p;
    if (p > pos_ && in_.substr(p, 3) == "-}}") {
      emit(Token::Kind::right, p, p + 3);
      pos_ = p + 3;
      trim_next_ = true;
      in_action_ = false;
      return true;
    }
    if (in_.substr(pos_, 2) == kRight) {
      emit(Token::Kind::right, pos_, pos_ + 2);
      pos_ += 2;
      in_action_ = false;
      return true;
    }
    return false;
  }

  bool action() {
    if (pos_ >= in_.size()) return fail("unclosed action", pos_);
    if (right_delim()) return true;
    const char c = in_[pos_];
    if (is_space(c)) {
      while (pos_ < in_.size() && is_space(in_[pos_])) ++pos_;
      space_before_ = true;
      return true;
    }
    return word(c);
  }

  bool single(Token::Kind k, size_t n) {
    emit(k, pos_, pos_ + n);
    pos_ += n;
    return true;
  }

  bool word(char c) {
    switch (c) {
      case '(':
        return single(Token::Kind::lparen, 1);
      case ')':
        return single(Token::Kind::rparen, 1);
      case '|':
        return single(Token::Kind::pipe, 1);
      case ',':
        return single(Token::Kind::comma, 1);
      case '=':
        return single(Token::Kind::assign, 1);
      case ':':
        if (in_.substr(pos_, 2) != ":=") return fail("expected :=", pos_);
        return single(Token::Kind::declare, 2);
      case '"':
        return quoted('"', Token::Kind::string);
      case '`':
        return quoted('`', Token::Kind::string);
      case '\'':
        return quoted('\'', Token::Kind::char_const);
      case '$':
        return name_word(Token::Kind::variable, 1);
      case '.':
        return dot();
      default:
        break;
    }
    if (is_digit(c) || ((c == '+' || c == '-') && pos_ + 1 < in_.size() && is_digit(in_[pos_ + 1])))
      return number();
    if (is_alnum(c)) return name_word(Token::Kind::identifier, 0);
    return fail(std::string("unrecognized character in action: '") + c + "'", pos_);
  }

  bool name_word(Token::Kind k, size_t skip) {
    size_t e = pos_ + skip;
    while (e < in_.size() && is_alnum(in_[e])) ++e;
    emit(k, pos_, e);
    pos_ = e;
    return true;
  }

  bool dot() {
    if (pos_ + 1 < in_.size() && is_digit(in_[pos_ + 1])) return number();
    if (pos_ + 1 < in_.size() && is_alnum(in_[pos_ + 1])) return name_word(Token::Kind::field, 1);
    return single(Token::Kind::dot, 1);
  }

  bool number() {
    size_t e = pos_ + 1;
    while (e < in_.size() &&
           (is_alnum(in_[e]) || in_[e] == '.' ||
            ((in_[e] == '+' || in_[e] == '-') &&
             (in_[e - 1] == 'e' || in_[e - 1] == 'E' || in_[e - 1] == 'p' || in_[e - 1] == 'P')))) {
      ++e;
    }
    emit(Token::Kind::number, pos_, e);
    pos_ = e;
    return true;
  }

  bool quoted(char q, Token::Kind k) {
    size_t e = pos_ + 1;
    while (e < in_.size() && in_[e] != q) {
      if (in_[e] == '\\' && q != '`') ++e;
      if (e < in_.size() && in_[e] == '\n' && q != '`')
        return fail("unterminated quoted string", pos_);
      ++e;
    }
    if (e >= in_.size()) {
      return fail(q == '`' ? "unterminated raw quoted string" : "unterminated quoted string", pos_);
    }
    emit(k, pos_, e + 1);
    Token& t = out_.back();
    if (k == Token::Kind::string && !unquote(t.text, t.value)) {
      return fail("bad string syntax: " + t.text, pos_);
    }
    pos_ = e + 1;
    return true;
  }

  std::string_view in_;
  std::vector<Token>& out_;
  size_t pos_ = 0;
  bool in_action_ = false;
  bool trim_next_ = false;
  bool space_before_ = false;
  bool done_ = false;
  std::string error_;
  size_t error_pos_ = 0;
};

}  // namespace

bool unquote(std::string_view q, std::string& out) {
  out.clear();
  if (q.size() < 2) return false;
  if (q.front() == '`' && q.back() == '`') {
    out = std::string(q.substr(1, q.size() - 2));
    return true;
  }
  if (q.front() != '"' || q.back() != '"') return false;
  std::string_view s = q.substr(1, q.size() - 2);
  while (!s.empty()) {
    const char c = s.front();
    s.remove_prefix(1);
    if (c != '\\') {
      out += c;
      continue;
    }
    if (!unescape(s, out)) return false;
  }
  return true;
}

bool lex(std::string_view in, std::vector<Token>& out, std::string& error, size_t& error_pos) {
  out.clear();
  Lexer l(in, out);
  return l.run(error, error_pos);
}

}  // namespace cxxdns::plugins::gotmpl
