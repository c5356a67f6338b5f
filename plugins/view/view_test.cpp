// view: expressions compiled at setup (syntax and type errors with file:line), evaluated per
// query; several blocks on one zone and address, the first whose view accepts a query taking
// it, as CoreDNS's view and its README's examples (split DNS by client network, by type, by
// name).
#include <catch2/catch.hpp>

#include "core/plugin/testing.h"
#include "plugins/view/expression.h"

using cxxdns::plugins::view::Expression;
using cxxdns::testing::ChainTest;
using cxxdns::testing::QueryOptions;

namespace {

// An expression's value with no query to read (literals and incidr only); "error" when it
// does not compile.
std::string eval(const std::string& text) {
  std::string error;
  auto e = Expression::compile(text, error);
  if (!e) return "error: " + error;
  return e->accepts({}) ? "true" : "false";
}

std::string setup_error(const std::string& block) {
  try {
    ChainTest t(". {\n" + block + "\n  whoami\n}\n");
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}

// The A record `test.` gets from the block that took the query.
std::string answer(ChainTest& t, const std::string& name, const std::string& type,
                   const std::string& client, bool tcp = false) {
  QueryOptions o;
  o.client_ip = client;
  o.tcp = tcp;
  auto a = t.query(name, type, o);
  if (a.rcode != "NOERROR") return a.rcode;
  if (a.answer.empty()) return "NODATA";
  return a.answer[0].substr(a.answer[0].rfind('\t') + 1);
}

}  // namespace

TEST_CASE("view expressions: operators and literals", "[view]") {
  CHECK(eval("1 == 1") == "true");
  CHECK(eval("1 != 1") == "false");
  CHECK(eval("'a' + \"b\" == 'ab'") == "true");
  CHECK(eval("1 + 2 == 3 && 5 - 1 == 4") == "true");
  CHECK(eval("-1 < 0") == "true");
  CHECK(eval("'abc' matches '^a.c$'") == "true");
  CHECK(eval("'abc' not matches '^a.c$'") == "false");
  CHECK(eval("'a.b' matches '^a\\\\.b$' and 'axb' matches '^a\\\\.b$'") == "false");
  CHECK(eval("'x' in ['a', 'b']") == "false");
  CHECK(eval("'b' in ['a', 'b']") == "true");
  CHECK(eval("'x' not in ['a', 'b']") == "true");
  CHECK(eval("not ('x' in ['a'])") == "true");
  CHECK(eval("!false && (false || true)") == "true");
  CHECK(eval("true and not true or 2 >= 2") == "true");
  CHECK(eval("'abc' contains 'b' && 'abc' startsWith 'a' && 'abc' endsWith 'c'") == "true");
  CHECK(eval("'b' > 'a' and 1 <= 1") == "true");
  CHECK(eval("'it\\'s' == \"it's\"") == "true");
  // Anything but a true boolean is false (CoreDNS's filter).
  CHECK(eval("1") == "false");
  CHECK(eval("'true'") == "false");
}

TEST_CASE("view expressions: incidr", "[view]") {
  CHECK(eval("incidr('1.2.3.4', '1.2.0.0/16')") == "true");
  CHECK(eval("incidr('10.2.3.4', '1.2.0.0/16')") == "false");
  CHECK(eval("incidr('1:2::3:4', '1:2::/64')") == "true");
  CHECK(eval("incidr('A:2::3:4', '1:2::/64')") == "false");
  CHECK(eval("incidr('[::1]', '::1/128')") == "true");  // client_ip()'s form
  // An error while evaluating is false, whatever surrounds it.
  CHECK(eval("incidr('invalid', '1.2.0.0/16')") == "false");
  CHECK(eval("!incidr('1.2.3.4', 'invalid')") == "false");
}

TEST_CASE("view expressions: errors at compile time", "[view]") {
  CHECK(eval("name() == 1") ==
        "error: invalid operation: == (mismatched types string and int) (1:8)");
  CHECK(eval("invalid expression") == "error: unknown name invalid (1:1)");
  CHECK(eval("client_ip") == "error: unknown name client_ip (1:1)");
  CHECK(eval("foo() == 'a'") == "error: unknown name foo (1:1)");
  CHECK(eval("name('x') == 'a'") == "error: too many arguments to call name (1:1)");
  CHECK(eval("incidr('1.2.3.4')") == "error: not enough arguments to call incidr (1:1)");
  CHECK(eval("incidr(1, '1.2.0.0/16')").find("cannot use int as argument") != std::string::npos);
  CHECK(eval("name() == 'a").find("literal not terminated") != std::string::npos);
  CHECK(eval("name() == 'a\\.'").find("invalid char escape") != std::string::npos);
  CHECK(eval("name() matches '('").find("missing closing )") != std::string::npos);
  CHECK(eval("(name() == 'a'").find("unexpected token") != std::string::npos);
  CHECK(eval("type() in 'A'").find("mismatched types string and string") != std::string::npos);
  CHECK(eval("1 && true").find("invalid operation: &&") != std::string::npos);
  CHECK(eval("name() == 'a' ==").find("unexpected end") != std::string::npos);
  CHECK(eval("name() # 'a'").find("unexpected token") != std::string::npos);
}

TEST_CASE("view: split DNS by client network, the last block the default", "[view]") {
  ChainTest t(
      ". {\n view example1 {\n  expr incidr(client_ip(), '127.0.0.0/24')\n }\n"
      " hosts {\n  1.1.1.1 test\n }\n}\n"
      ". {\n view example2 {\n  expr incidr(client_ip(), '192.168.0.0/16')\n }\n"
      " hosts {\n  2.2.2.2 test\n }\n}\n"
      ". {\n hosts {\n  3.3.3.3 test\n }\n}\n");
  CHECK(answer(t, "test.", "A", "127.0.0.1") == "1.1.1.1");
  CHECK(answer(t, "test.", "A", "127.0.0.200") == "1.1.1.1");
  CHECK(answer(t, "test.", "A", "192.168.7.1") == "2.2.2.2");
  CHECK(answer(t, "test.", "A", "127.0.1.1") == "3.3.3.3");
  CHECK(answer(t, "test.", "A", "::1") == "3.3.3.3");
}

TEST_CASE("view: by type, by name, and every expr line must hold", "[view]") {
  ChainTest t(
      ". {\n view types {\n  expr type() in ['A', 'AAAA']\n  expr name() matches "
      "'^abc\\\\..*\\\\.example\\\\.com\\\\.$'\n }\n"
      " template IN ANY . {\n  answer \"{{ .Name }} 60 IN TXT viewed\"\n }\n}\n"
      ". {\n template IN ANY . {\n  answer \"{{ .Name }} 60 IN TXT default\"\n }\n}\n");
  CHECK(answer(t, "abc.x.y.example.com.", "A", "127.0.0.1") == "\"viewed\"");
  CHECK(answer(t, "ABC.x.example.com.", "AAAA", "127.0.0.1") == "\"viewed\"");
  CHECK(answer(t, "abc.x.example.com.", "MX", "127.0.0.1") == "\"default\"");
  CHECK(answer(t, "abc.example.com.", "A", "127.0.0.1") == "\"default\"");
}

TEST_CASE("view: proto(), port functions and a view with no expression", "[view]") {
  ChainTest t(
      ". {\n view tcp {\n  expr proto() == 'tcp' && server_port() == '53' && bufsize() == 65535\n"
      " }\n hosts {\n  1.1.1.1 test\n }\n}\n"
      "example.org {\n view all {\n }\n hosts {\n  4.4.4.4 test.example.org\n }\n}\n"
      ". {\n hosts {\n  3.3.3.3 test\n }\n}\n");
  CHECK(answer(t, "test.", "A", "127.0.0.1", true) == "1.1.1.1");
  CHECK(answer(t, "test.", "A", "127.0.0.1", false) == "3.3.3.3");
  CHECK(answer(t, "test.example.org.", "A", "127.0.0.1") == "4.4.4.4");
}

TEST_CASE("view: setup errors", "[view]") {
  CHECK(setup_error(" view v {\n  expr name() == 'example.com.'\n }") == "no error");
  CHECK(setup_error(" view").find("Wrong argument count") != std::string::npos);
  CHECK(setup_error(" view a b {\n }").find("Wrong argument count") != std::string::npos);
  CHECK(setup_error(" view v {\n  bogus 1\n }").find("unknown property 'bogus'") !=
        std::string::npos);
  CHECK(setup_error(" view v {\n  expr\n }").find("Wrong argument count") != std::string::npos);
  const std::string bad = setup_error(" view v {\n  expr invalid expression\n }");
  CHECK(bad.find("Corefile:3") != std::string::npos);
  CHECK(bad.find("unknown name invalid") != std::string::npos);
  CHECK(setup_error(" view a {\n }\n view b {\n }").find("Corefile:4") != std::string::npos);
}

TEST_CASE("view: IPv6 clients, EDNS and the query's header", "[view]") {
  ChainTest t(
      ". {\n view v6 {\n  expr incidr(client_ip(), 'fd00::/8') && client_ip() startsWith '['\n"
      " }\n hosts {\n  6.6.6.6 test\n }\n}\n"
      ". {\n view edns {\n  expr do() and bufsize() == 1232 and class() == 'IN' and opcode() == 0\n"
      " }\n hosts {\n  5.5.5.5 test\n }\n}\n"
      ". {\n hosts {\n  3.3.3.3 test\n }\n}\n");
  CHECK(answer(t, "test.", "A", "fd00::5") == "6.6.6.6");
  CHECK(answer(t, "test.", "A", "fe80::5") == "3.3.3.3");
  QueryOptions o;
  o.bufsize = 1232;
  o.do_bit = true;
  auto a = t.query("test.", "A", o);
  REQUIRE_FALSE(a.answer.empty());
  CHECK(a.answer[0].substr(a.answer[0].rfind('\t') + 1) == "5.5.5.5");
  o.do_bit = false;
  a = t.query("test.", "A", o);
  REQUIRE_FALSE(a.answer.empty());
  CHECK(a.answer[0].substr(a.answer[0].rfind('\t') + 1) == "3.3.3.3");
}
