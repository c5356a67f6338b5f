#include <catch2/catch.hpp>

#include <string>

#include "core/corefile/corefile.h"

#ifndef CXXDNS_TEST_DATA
#define CXXDNS_TEST_DATA "test/data"
#endif

using namespace cxxdns::corefile;

namespace {

const std::string kData = std::string(CXXDNS_TEST_DATA) + "/corefile";

std::string error_of(const std::string& text, const std::string& file = "Corefile",
                     const ParseOptions& opts = {}) {
  try {
    parse(text, file, opts);
  } catch (const ParseError& e) {
    return e.what();
  }
  return "<no error>";
}

ParseOptions known_directives() {
  ParseOptions opts;
  opts.is_directive = [](std::string_view name) {
    return name == "cache" || name == "forward" || name == "log";
  };
  return opts;
}

}  // namespace

TEST_CASE("errors: ParseError carries file, line and message", "[corefile][errors]") {
  ParseError e("dir/Corefile", 12, "boom");
  CHECK(std::string(e.what()) == "dir/Corefile:12 - Error during parsing: boom");
  CHECK(e.file() == "dir/Corefile");
  CHECK(e.line() == 12);
  CHECK(e.message() == "boom");
}

TEST_CASE("errors: unknown directive", "[corefile][errors]") {
  CHECK(error_of(". {\n  cache\n  cahce 30\n}\n", "Corefile", known_directives()) ==
        "Corefile:3 - Error during parsing: Unknown directive 'cahce'");
  // Also in the brace-less form and after env substitution.
  CHECK(error_of(".\nlog\nwhoami\n", "Corefile", known_directives()) ==
        "Corefile:3 - Error during parsing: Unknown directive 'whoami'");
  // From a snippet: the line the word was written on.
  CHECK(error_of("(s) {\n  bogus\n}\n. {\n  import s\n}\n", "Corefile", known_directives()) ==
        "Corefile:2 - Error during parsing: Unknown directive 'bogus'");
}

TEST_CASE("errors: unmatched closing brace", "[corefile][errors]") {
  const std::string msg =
      " - Error during parsing: Unexpected '}' because no matching opening brace";
  CHECK(error_of(". {\n  log\n}\n}\n") == "Corefile:4" + msg);
  // Caddy v1 does not allow a server block to close on a directive's line.
  CHECK(error_of(". { whoami }\n") == "Corefile:1" + msg);
  CHECK(error_of(". {\n  forward . 1.1.1.1 {\n    max_fails 1\n  } }\n") == "Corefile:4" + msg);
  CHECK(error_of("example.org\nlog\n}\n") == "Corefile:3" + msg);
}

TEST_CASE("errors: unexpected end of input", "[corefile][errors]") {
  const std::string msg = " - Error during parsing: Unexpected EOF";
  CHECK(error_of(". {\n  log\n") == "Corefile:2" + msg);
  CHECK(error_of(". {\n  forward . 1.1.1.1 {\n    max_fails 1\n}\n") == "Corefile:4" + msg);
  CHECK(error_of("a.example,\n") == "Corefile:1" + msg);
  CHECK(error_of("(snip) {\n  log\n") == "Corefile:2" + msg);
  CHECK(error_of("(snip)\n") == "Corefile:1" + msg);
}

TEST_CASE("errors: unterminated quote", "[corefile][errors]") {
  CHECK(error_of(". {\n  log \"abc\n}\n") ==
        "Corefile:2 - Error during parsing: Unterminated quoted string");
  // In an imported file, at that file's line.
  CHECK(error_of(". {\n  import badquote.conf\n}\n", kData + "/Corefile") ==
        kData + "/badquote.conf:2 - Error during parsing: Unterminated quoted string");
}

TEST_CASE("errors: keys", "[corefile][errors]") {
  CHECK(error_of("a.example, {\n}\n") ==
        "Corefile:1 - Error during parsing: Expected another address but had '{' - check for "
        "extra comma");
  CHECK(error_of("{\n  log\n}\n") ==
        "Corefile:1 - Error during parsing: Expected a server block key before '{'");
  CHECK(error_of("# c\nexample.org:99999 {\n}\n") ==
        "Corefile:2 - Error during parsing: invalid port \"99999\" in \"example.org:99999\"");
  CHECK(error_of("a.example,\n  example.org:dns {\n}\n") ==
        "Corefile:2 - Error during parsing: invalid port \"dns\" in \"example.org:dns\"");
  CHECK(error_of("udp://example.org {\n}\n") ==
        "Corefile:1 - Error during parsing: unknown scheme \"udp\" in \"udp://example.org\"");
  CHECK(error_of("\"\" {\n}\n") == "Corefile:1 - Error during parsing: empty server block key");
  // An unset variable gives an empty key (CoreDNS silently drops such a block).
  CHECK(error_of("\n{$NOT_SET_ANYWHERE_42} {\n}\n") ==
        "Corefile:2 - Error during parsing: empty server block key");
}

TEST_CASE("errors: stray braces and words after a block", "[corefile][errors]") {
  CHECK(error_of(". {\n  {\n  }\n}\n") == "Corefile:2 - Error during parsing: Unexpected '{'");
  CHECK(error_of(". {\n  log {\n  } extra\n}\n") ==
        "Corefile:3 - Error during parsing: Unexpected 'extra' after '}'");
}

TEST_CASE("errors: snippets", "[corefile][errors]") {
  CHECK(error_of("(s) {\n  log\n}\n(s) {\n  errors\n}\n") ==
        "Corefile:4 - Error during parsing: redeclaration of previously declared snippet s");
  CHECK(error_of("(s)\nlog\n") ==
        "Corefile:2 - Error during parsing: Syntax error: Unexpected token 'log', expecting '{'");
  CHECK(error_of("(loop) {\n  import loop\n}\n. {\n  import loop\n}\n") ==
        "Corefile:2 - Error during parsing: import cycle: Corefile -> (loop) -> (loop)");
  CHECK(error_of("(a) {\n  import b\n}\n(b) {\n  import a\n}\n. {\n  import a\n}\n") ==
        "Corefile:5 - Error during parsing: import cycle: Corefile -> (a) -> (b) -> (a)");
}

TEST_CASE("errors: import arguments", "[corefile][errors]") {
  CHECK(error_of(". {\n  import\n}\n") ==
        "Corefile:2 - Error during parsing: Wrong argument count or unexpected line ending after "
        "'import'");
  CHECK(error_of("import\n") ==
        "Corefile:1 - Error during parsing: Wrong argument count or unexpected line ending after "
        "'import'");
  CHECK(error_of(". {\n  import \"\"\n}\n") ==
        "Corefile:2 - Error during parsing: Import requires a non-empty filepath");
}

TEST_CASE("errors: missing and unreadable imports", "[corefile][errors]") {
  CHECK(error_of(". {\n  log\n  import missing.conf\n}\n", kData + "/Corefile") ==
        kData + "/Corefile:3 - Error during parsing: File to import not found: missing.conf");
  CHECK(error_of("import zones\n", kData + "/Corefile") ==
        kData + "/Corefile:1 - Error during parsing: Could not import " + kData +
            "/zones: is a directory");
}

TEST_CASE("errors: file import cycles", "[corefile][errors]") {
  CHECK(error_of("import cycle/self.conf\n", kData + "/Corefile") ==
        kData + "/cycle/self.conf:1 - Error during parsing: import cycle: " + kData +
            "/Corefile -> " + kData + "/cycle/self.conf -> " + kData + "/cycle/self.conf");
  CHECK(error_of(". {\n  import cycle/a.conf\n}\n", kData + "/Corefile") ==
        kData + "/cycle/b.conf:1 - Error during parsing: import cycle: " + kData + "/Corefile -> " +
            kData + "/cycle/a.conf -> " + kData + "/cycle/b.conf -> " + kData + "/cycle/a.conf");
  // A file importing itself, even under another spelling of its path.
  CHECK(error_of("import ./Corefile\n", kData + "/Corefile") ==
        kData + "/Corefile:1 - Error during parsing: import cycle: " + kData + "/Corefile -> " +
            kData + "/Corefile");
  CHECK(error_of("import *\n", kData + "/cycle/a.conf") ==
        kData + "/cycle/a.conf:1 - Error during parsing: import cycle: " + kData +
            "/cycle/a.conf -> " + kData + "/cycle/a.conf");
}

TEST_CASE("errors: runaway snippet expansion is capped", "[corefile][errors]") {
  // Not a cycle, but 2^20 expansions.
  std::string text = "(s0) {\n  log\n}\n";
  for (int i = 1; i <= 20; ++i)
    text += "(s" + std::to_string(i) + ") {\n  import s" + std::to_string(i - 1) + "\n  import s" +
            std::to_string(i - 1) + "\n}\n";
  text += ". {\n  import s20\n}\n";
  CHECK_THAT(
      error_of(text),
      Catch::EndsWith(" - Error during parsing: maximum number of imports (10000) exceeded"));
}

TEST_CASE("errors: parse_file on a missing or unreadable file", "[corefile][errors]") {
  try {
    parse_file("/nonexistent/dir/Corefile");
    FAIL("no error");
  } catch (const ParseError& e) {
    CHECK(std::string(e.what()) ==
          "/nonexistent/dir/Corefile:0 - Error during parsing: open /nonexistent/dir/Corefile: no "
          "such file or directory");
    CHECK(e.file() == "/nonexistent/dir/Corefile");
    CHECK(e.line() == 0);
  }
  try {
    parse_file(kData + "/zones");
    FAIL("no error");
  } catch (const ParseError& e) {
    CHECK(std::string(e.what()) ==
          kData + "/zones:0 - Error during parsing: read " + kData + "/zones: is a directory");
  }
}

TEST_CASE("errors: parse_file reports errors in the file by its path", "[corefile][errors]") {
  try {
    parse_file(kData + "/cycle/self.conf");
    FAIL("no error");
  } catch (const ParseError& e) {
    CHECK(e.file() == kData + "/cycle/self.conf");
    CHECK(e.line() == 1);
    CHECK(e.message() ==
          "import cycle: " + kData + "/cycle/self.conf -> " + kData + "/cycle/self.conf");
  }
}
