#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/corefile/corefile.h"

using namespace cxxdns::corefile;

namespace {

std::vector<std::string> words(const std::vector<Token>& toks) {
  std::vector<std::string> out;
  for (const Token& t : toks) out.push_back(t.text);
  return out;
}

std::vector<int> lines(const std::vector<Token>& toks) {
  std::vector<int> out;
  for (const Token& t : toks) out.push_back(t.line);
  return out;
}

}  // namespace

TEST_CASE("lexer splits on whitespace and numbers lines from 1", "[corefile][lexer]") {
  auto toks = tokenize("a b\tc\n\n  d  e\n", "Corefile");
  CHECK(words(toks) == std::vector<std::string>{"a", "b", "c", "d", "e"});
  CHECK(lines(toks) == std::vector<int>{1, 1, 1, 3, 3});
  CHECK(toks[0].file == "Corefile");
  CHECK_FALSE(toks[0].quoted);
}

TEST_CASE("lexer handles empty and blank input", "[corefile][lexer]") {
  CHECK(tokenize("", "f").empty());
  CHECK(tokenize("\n", "f").empty());
  CHECK(tokenize(" \t\n", "f").empty());
}

TEST_CASE("lexer makes braces separate words only when written apart", "[corefile][lexer]") {
  auto toks = tokenize(". {\n}\n", "f");
  CHECK(words(toks) == std::vector<std::string>{".", "{", "}"});
  CHECK(lines(toks) == std::vector<int>{1, 1, 2});
  // Placeholders are words, not braces.
  CHECK(words(tokenize("{$HOME} {args[0]}", "f")) ==
        std::vector<std::string>{"{$HOME}", "{args[0]}"});
}

TEST_CASE("lexer drops comments that start a word", "[corefile][lexer]") {
  auto toks = tokenize("# header\nlog # trailing { }\nfoo#bar x\n", "f");
  CHECK(words(toks) == std::vector<std::string>{"log", "foo#bar", "x"});
  CHECK(lines(toks) == std::vector<int>{2, 3, 3});
}

TEST_CASE("lexer reads quoted words", "[corefile][lexer]") {
  auto toks = tokenize(R"(answer "a b {c}" "" "say \"hi\"" "C:\dir\n" x)", "f");
  REQUIRE(toks.size() == 6);
  CHECK(toks[1].text == "a b {c}");
  CHECK(toks[1].quoted);
  CHECK(toks[2].text.empty());
  CHECK(toks[2].quoted);
  CHECK(toks[3].text == "say \"hi\"");
  // Only \" is an escape; other backslashes stay, as in Caddy.
  CHECK(toks[4].text == "C:\\dir\\n");
  CHECK(toks[5].text == "x");
  CHECK_FALSE(toks[5].quoted);
}

TEST_CASE("lexer keeps # and quotes inside quoted words and mid-word", "[corefile][lexer]") {
  auto toks = tokenize("\"# not a comment\" a\"b\n", "f");
  CHECK(words(toks) == std::vector<std::string>{"# not a comment", "a\"b"});
}

TEST_CASE("lexer lets quoted words span lines", "[corefile][lexer]") {
  auto toks = tokenize("a \"one\ntwo\" b\nc\n", "f");
  CHECK(words(toks) == std::vector<std::string>{"a", "one\ntwo", "b", "c"});
  // A token has the line it starts on; lines after it keep counting.
  CHECK(lines(toks) == std::vector<int>{1, 1, 2, 3});
}

TEST_CASE("lexer ignores a byte order mark and CRLF line ends", "[corefile][lexer]") {
  auto toks = tokenize("\xEF\xBB\xBF. {\r\n  log\r\n}\r\n", "f");
  CHECK(words(toks) == std::vector<std::string>{".", "{", "log", "}"});
  CHECK(lines(toks) == std::vector<int>{1, 1, 2, 3});
}

TEST_CASE("lexer rejects an unterminated quote at its opening line", "[corefile][lexer]") {
  try {
    tokenize("log\nforward . \"8.8.8.8\n\n", "Corefile");
    FAIL("no error");
  } catch (const ParseError& e) {
    CHECK(std::string(e.what()) == "Corefile:2 - Error during parsing: Unterminated quoted string");
    CHECK(e.file() == "Corefile");
    CHECK(e.line() == 2);
    CHECK(e.message() == "Unterminated quoted string");
  }
  CHECK_THROWS_AS(tokenize("\"abc\\\"", "f"), ParseError);
}
