#include <catch2/catch.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/corefile/corefile.h"

#ifndef CXXDNS_TEST_DATA
#define CXXDNS_TEST_DATA "test/data"
#endif

using namespace cxxdns::corefile;

namespace {

const std::string kData = std::string(CXXDNS_TEST_DATA) + "/corefile";

std::vector<std::string> args_of(const Directive& d) {
  std::vector<std::string> out;
  for (const Token& t : d.args) out.push_back(t.text);
  return out;
}

std::vector<std::string> names_of(const std::vector<Directive>& ds) {
  std::vector<std::string> out;
  for (const Directive& d : ds) out.push_back(d.name.text);
  return out;
}

std::vector<std::string> zones_of(const ServerBlock& b) {
  std::vector<std::string> out;
  for (const ServerKey& k : b.keys) out.push_back(k.zone);
  return out;
}

ParseOptions with_env(std::map<std::string, std::string> vars) {
  ParseOptions opts;
  opts.getenv = [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  return opts;
}

}  // namespace

TEST_CASE("parse: a server block with directives", "[corefile][parse]") {
  auto blocks = parse(". {\n    whoami\n    forward . 8.8.8.8 9.9.9.9\n}\n", "Corefile");
  REQUIRE(blocks.size() == 1);
  CHECK(zones_of(blocks[0]) == std::vector<std::string>{"."});
  REQUIRE(blocks[0].directives.size() == 2);
  const Directive& fwd = blocks[0].directives[1];
  CHECK(fwd.name.text == "forward");
  CHECK(fwd.name.line == 3);
  CHECK(fwd.name.file == "Corefile");
  CHECK(args_of(fwd) == std::vector<std::string>{".", "8.8.8.8", "9.9.9.9"});
  CHECK_FALSE(fwd.has_block);
  CHECK(blocks[0].directives[0].args.empty());
}

TEST_CASE("parse: empty input and comments only give no blocks", "[corefile][parse]") {
  CHECK(parse("", "Corefile").empty());
  CHECK(parse("# nothing\n\n", "Corefile").empty());
}

TEST_CASE("parse: several keys, with spaces, commas and continued lines", "[corefile][parse]") {
  auto blocks = parse(
      "example.org example.net:1053 {\n}\n"
      "a.example, b.example,\n  c.example {\n  log\n}\n"
      "d.example , e.example {\n}\n",
      "Corefile");
  REQUIRE(blocks.size() == 3);
  CHECK(zones_of(blocks[0]) == std::vector<std::string>{"example.org.", "example.net."});
  CHECK(blocks[0].keys[1].port == uint16_t{1053});
  CHECK(blocks[0].directives.empty());
  CHECK(zones_of(blocks[1]) == std::vector<std::string>{"a.example.", "b.example.", "c.example."});
  CHECK(blocks[1].keys[2].token.line == 4);
  CHECK(names_of(blocks[1].directives) == std::vector<std::string>{"log"});
  CHECK(zones_of(blocks[2]) == std::vector<std::string>{"d.example.", "e.example."});
}

TEST_CASE("parse: CIDR keys expand in place", "[corefile][parse]") {
  auto blocks = parse("example.org 10.0.0.0/15 {\n}\n", "Corefile");
  REQUIRE(blocks.size() == 1);
  CHECK(zones_of(blocks[0]) ==
        std::vector<std::string>{"example.org.", "0.10.in-addr.arpa.", "1.10.in-addr.arpa."});
}

TEST_CASE("parse: nested blocks, recursively", "[corefile][parse]") {
  auto blocks = parse(
      ". {\n"
      "    forward . 8.8.8.8 {\n"
      "        max_fails 3\n"
      "        policy random\n"
      "        tls {\n"
      "            servername dns.example\n"
      "        }\n"
      "    }\n"
      "    kubernetes cluster.local { fallthrough }\n"
      "    empty {\n"
      "    }\n"
      "    cache\n"
      "}\n",
      "Corefile");
  REQUIRE(blocks.size() == 1);
  const auto& ds = blocks[0].directives;
  CHECK(names_of(ds) == std::vector<std::string>{"forward", "kubernetes", "empty", "cache"});
  const Directive& fwd = ds[0];
  CHECK(fwd.has_block);
  CHECK(args_of(fwd) == std::vector<std::string>{".", "8.8.8.8"});
  CHECK(names_of(fwd.block) == std::vector<std::string>{"max_fails", "policy", "tls"});
  CHECK(args_of(fwd.block[1]) == std::vector<std::string>{"random"});
  CHECK(fwd.block[1].name.line == 4);
  const Directive& tls = fwd.block[2];
  CHECK(tls.has_block);
  REQUIRE(tls.block.size() == 1);
  CHECK(tls.block[0].name.text == "servername");
  CHECK(args_of(tls.block[0]) == std::vector<std::string>{"dns.example"});
  // A nested block may close on the line it opens.
  CHECK(names_of(ds[1].block) == std::vector<std::string>{"fallthrough"});
  CHECK(ds[2].has_block);
  CHECK(ds[2].block.empty());
  CHECK_FALSE(ds[3].has_block);
}

TEST_CASE("parse: several server blocks in order", "[corefile][parse]") {
  auto blocks =
      parse("a.example {\n  log\n}\nb.example {\n  errors\n} c.example {\n}\n", "Corefile");
  REQUIRE(blocks.size() == 3);
  CHECK(zones_of(blocks[0]) == std::vector<std::string>{"a.example."});
  CHECK(zones_of(blocks[1]) == std::vector<std::string>{"b.example."});
  CHECK(zones_of(blocks[2]) == std::vector<std::string>{"c.example."});
  CHECK(names_of(blocks[1].directives) == std::vector<std::string>{"errors"});
}

TEST_CASE("parse: braces may sit on the next line", "[corefile][parse]") {
  auto blocks =
      parse("example.org\n{\n  forward . 1.1.1.1\n  {\n    max_fails 2\n  }\n}\n", "Corefile");
  REQUIRE(blocks.size() == 1);
  REQUIRE(blocks[0].directives.size() == 1);
  CHECK(blocks[0].directives[0].has_block);
  CHECK(names_of(blocks[0].directives[0].block) == std::vector<std::string>{"max_fails"});
}

TEST_CASE("parse: a single block may omit its braces", "[corefile][parse]") {
  auto blocks =
      parse("example.org:1053\nwhoami\nforward . 8.8.8.8 {\n  max_fails 1\n}\nlog\n", "Corefile");
  REQUIRE(blocks.size() == 1);
  CHECK(blocks[0].keys[0].port == uint16_t{1053});
  CHECK(names_of(blocks[0].directives) == std::vector<std::string>{"whoami", "forward", "log"});
  CHECK(blocks[0].directives[1].has_block);

  auto keys_only = parse("example.org", "Corefile");
  REQUIRE(keys_only.size() == 1);
  CHECK(keys_only[0].directives.empty());
}

TEST_CASE("parse: quoted words are arguments, never braces", "[corefile][parse]") {
  auto blocks = parse(
      ". {\n  template IN A {\n    answer \"{{ .Name }} 60 IN A 127.0.0.1\"\n  }\n"
      "  log \"{\" \"}\"\n}\n",
      "Corefile");
  REQUIRE(blocks.size() == 1);
  const Directive& tpl = blocks[0].directives[0];
  REQUIRE(tpl.block.size() == 1);
  CHECK(tpl.block[0].args[0].text == "{{ .Name }} 60 IN A 127.0.0.1");
  CHECK(tpl.block[0].args[0].quoted);
  CHECK(args_of(blocks[0].directives[1]) == std::vector<std::string>{"{", "}"});
}

TEST_CASE("parse: environment placeholders", "[corefile][parse]") {
  auto opts = with_env({{"ZONE", "Example.ORG"},
                        {"PORT", "1053"},
                        {"UP", "8.8.8.8"},
                        {"FOO", "foo"},
                        {"SPACED", "a b"}});
  auto blocks = parse(
      "{$ZONE}:{%PORT%} {\n"
      "  forward . {$UP} x{$FOO}y{%FOO%}z {$UNSET}\n"
      "  log \"say {$SPACED}\" {%UP} {$} {$ZONE\n"
      "  {$FOO}bar {\n"
      "    nested {%FOO%}\n"
      "  }\n"
      "}\n",
      "Corefile", opts);
  REQUIRE(blocks.size() == 1);
  CHECK(blocks[0].keys[0].zone == "example.org.");
  CHECK(blocks[0].keys[0].port == uint16_t{1053});
  CHECK(blocks[0].keys[0].token.text == "Example.ORG:1053");
  const auto& ds = blocks[0].directives;
  CHECK(args_of(ds[0]) == std::vector<std::string>{".", "8.8.8.8", "xfooyfooz", ""});
  // Malformed placeholders stay as written.
  CHECK(args_of(ds[1]) == std::vector<std::string>{"say a b", "{%UP}", "{$}", "{$ZONE"});
  CHECK(ds[2].name.text == "foobar");
  CHECK(args_of(ds[2].block[0]) == std::vector<std::string>{"foo"});
}

TEST_CASE("parse: the default environment is the process's", "[corefile][parse]") {
  ::setenv("CXXDNS_COREFILE_TEST_VAR", "from-env", 1);
  auto blocks = parse(". {\n  log {$CXXDNS_COREFILE_TEST_VAR}\n}\n", "Corefile");
  ::unsetenv("CXXDNS_COREFILE_TEST_VAR");
  CHECK(args_of(blocks[0].directives[0]) == std::vector<std::string>{"from-env"});
}

TEST_CASE("parse: snippets are pasted where imported", "[corefile][parse]") {
  auto blocks = parse(
      "(common) {\n"
      "    errors\n"
      "    log {\n"
      "        class denial\n"
      "    }\n"
      "}\n"
      ". {\n"
      "    import common\n"
      "    whoami\n"
      "}\n",
      "Corefile");
  // The snippet is not a server block.
  REQUIRE(blocks.size() == 1);
  const auto& ds = blocks[0].directives;
  CHECK(names_of(ds) == std::vector<std::string>{"errors", "log", "whoami"});
  // Pasted tokens keep the line they were written on.
  CHECK(ds[0].name.line == 2);
  CHECK(ds[1].block[0].name.line == 4);
  CHECK(ds[2].name.line == 9);
}

TEST_CASE("parse: snippet arguments", "[corefile][parse]") {
  auto blocks = parse(
      "(fwd) {\n"
      "    forward . {args[0]} {args[1]}\n"
      "    log {args[2]}\n"
      "    cache {args[1]}-{args[0]}\n"
      "}\n"
      ". {\n"
      "    import fwd 8.8.8.8 \"9.9.9.9\"\n"
      "}\n",
      "Corefile");
  REQUIRE(blocks.size() == 1);
  const auto& ds = blocks[0].directives;
  CHECK(args_of(ds[0]) == std::vector<std::string>{".", "8.8.8.8", "9.9.9.9"});
  // A missing argument is empty.
  CHECK(args_of(ds[1]) == std::vector<std::string>{""});
  CHECK(args_of(ds[2]) == std::vector<std::string>{"9.9.9.9-8.8.8.8"});
}

TEST_CASE("parse: snippet arguments may come from the environment", "[corefile][parse]") {
  auto blocks = parse("(fwd) {\n  forward . {args[0]}\n}\n. {\n  import fwd {$UP}\n}\n", "Corefile",
                      with_env({{"UP", "1.1.1.1"}}));
  CHECK(args_of(blocks[0].directives[0]) == std::vector<std::string>{".", "1.1.1.1"});
}

TEST_CASE("parse: imports inside nested blocks and snippets in snippets", "[corefile][parse]") {
  auto blocks = parse(
      "(opts) {\n  max_fails 3\n}\n"
      "(outer) {\n  forward . 1.1.1.1 {\n    import opts\n  }\n}\n"
      ". {\n  import outer\n}\n",
      "Corefile");
  REQUIRE(blocks.size() == 1);
  REQUIRE(blocks[0].directives.size() == 1);
  const Directive& fwd = blocks[0].directives[0];
  CHECK(fwd.name.line == 5);
  REQUIRE(fwd.block.size() == 1);
  CHECK(fwd.block[0].name.text == "max_fails");
  CHECK(fwd.block[0].name.line == 2);
}

TEST_CASE("parse: a single-line snippet and an import right after '{'", "[corefile][parse]") {
  auto blocks = parse("(one) { log }\n. { import one\n  errors\n}\n", "Corefile");
  REQUIRE(blocks.size() == 1);
  CHECK(names_of(blocks[0].directives) == std::vector<std::string>{"log", "errors"});
}

TEST_CASE("parse: snippets at top level can hold server blocks", "[corefile][parse]") {
  auto blocks = parse(
      "(site) {\n  {args[0]} {\n    whoami\n  }\n}\n"
      "import site a.example\nimport site b.example\n",
      "Corefile");
  REQUIRE(blocks.size() == 2);
  CHECK(zones_of(blocks[0]) == std::vector<std::string>{"a.example."});
  CHECK(zones_of(blocks[1]) == std::vector<std::string>{"b.example."});
}

TEST_CASE("parse: 'import' that is not first on a line is a plain word", "[corefile][parse]") {
  auto blocks = parse(". {\n  log import x\n}\n", "Corefile");
  CHECK(args_of(blocks[0].directives[0]) == std::vector<std::string>{"import", "x"});
}

TEST_CASE("parse: directive names are checked directly inside server blocks only",
          "[corefile][parse]") {
  ParseOptions opts;
  opts.is_directive = [](std::string_view name) {
    return name == "forward" || name == "log" || name == "errors";
  };
  auto blocks = parse(
      "(s) {\n  errors\n}\n. {\n  import s\n  forward . 1.1.1.1 {\n"
      "    max_fails 2\n  }\n  log\n}\n",
      "Corefile", opts);
  REQUIRE(blocks.size() == 1);
  CHECK(names_of(blocks[0].directives) == std::vector<std::string>{"errors", "forward", "log"});
}

TEST_CASE("parse: import of a file, relative to the importing file", "[corefile][parse]") {
  const std::string corefile = kData + "/Corefile";
  auto blocks = parse(". {\n  import common.conf\n  whoami\n}\n", corefile);
  REQUIRE(blocks.size() == 1);
  const auto& ds = blocks[0].directives;
  CHECK(names_of(ds) == std::vector<std::string>{"errors", "log", "whoami"});
  // Imported tokens name the file they come from (absolute, as Caddy does) and its lines.
  CHECK(ds[0].name.file == kData + "/common.conf");
  CHECK(ds[1].name.line == 2);
  CHECK(ds[2].name.file == corefile);
  CHECK(ds[2].name.line == 3);
}

TEST_CASE("parse: nested file imports resolve against each file", "[corefile][parse]") {
  auto blocks = parse(". {\n  import nested/outer.conf\n}\n", kData + "/Corefile");
  REQUIRE(blocks.size() == 1);
  CHECK(names_of(blocks[0].directives) == std::vector<std::string>{"errors", "log"});
  CHECK(blocks[0].directives[0].name.file == kData + "/common.conf");
}

TEST_CASE("parse: a file imported at top level may hold server blocks", "[corefile][parse]") {
  auto blocks = parse("import blocks.conf\n. {\n  log\n}\n", kData + "/Corefile");
  REQUIRE(blocks.size() == 3);
  CHECK(zones_of(blocks[0]) == std::vector<std::string>{"example.org."});
  CHECK(blocks[0].keys[0].token.file == kData + "/blocks.conf");
  CHECK(blocks[0].keys[0].token.line == 2);
  CHECK(zones_of(blocks[1]) == std::vector<std::string>{"example.net."});
  CHECK(zones_of(blocks[2]) == std::vector<std::string>{"."});
}

TEST_CASE("parse: glob imports, in name order", "[corefile][parse]") {
  auto blocks = parse("import zones/*.conf\n", kData + "/Corefile");
  REQUIRE(blocks.size() == 2);
  CHECK(zones_of(blocks[0]) == std::vector<std::string>{"a.example."});
  CHECK(zones_of(blocks[1]) == std::vector<std::string>{"b.example."});
  CHECK(blocks[1].keys[0].token.file == kData + "/zones/b.conf");
}

TEST_CASE("parse: a glob that matches nothing imports nothing", "[corefile][parse]") {
  auto blocks =
      parse(". {\n  import nomatch/*.conf\n  log\n}\nimport nomatch/*\n", kData + "/Corefile");
  REQUIRE(blocks.size() == 1);
  CHECK(names_of(blocks[0].directives) == std::vector<std::string>{"log"});
}

TEST_CASE("parse: absolute import paths", "[corefile][parse]") {
  auto blocks = parse(". {\n  import " + kData + "/common.conf\n}\n", "/nonexistent/Corefile");
  CHECK(names_of(blocks[0].directives) == std::vector<std::string>{"errors", "log"});
}

TEST_CASE("parse: file imports take arguments too", "[corefile][parse]") {
  auto blocks = parse(". {\n  import args.conf 1.1.1.1 8.8.8.8\n}\n", kData + "/Corefile");
  CHECK(args_of(blocks[0].directives[0]) == std::vector<std::string>{".", "1.1.1.1", "8.8.8.8"});
}

TEST_CASE("parse: snippets defined in one file are usable after importing it",
          "[corefile][parse]") {
  auto blocks = parse("import snippets.conf\n. {\n  import shared\n}\n", kData + "/Corefile");
  REQUIRE(blocks.size() == 1);
  REQUIRE(blocks[0].directives.size() == 1);
  CHECK(blocks[0].directives[0].name.file == kData + "/snippets.conf");
  CHECK(args_of(blocks[0].directives[0]) == std::vector<std::string>{"30"});
}

TEST_CASE("parse: the same file may be imported more than once", "[corefile][parse]") {
  auto blocks =
      parse("a.example {\n  import common.conf\n}\nb.example {\n  import common.conf\n}\n",
            kData + "/Corefile");
  REQUIRE(blocks.size() == 2);
  CHECK(names_of(blocks[1].directives) == std::vector<std::string>{"errors", "log"});
}

TEST_CASE("parse_file reads and parses a Corefile", "[corefile][parse]") {
  auto blocks = parse_file(kData + "/Corefile");
  REQUIRE(blocks.size() == 2);
  CHECK(zones_of(blocks[0]) == std::vector<std::string>{"."});
  CHECK(blocks[0].keys[0].port == uint16_t{1053});
  CHECK(names_of(blocks[0].directives) ==
        std::vector<std::string>{"errors", "log", "forward", "cache"});
  CHECK(blocks[0].directives[0].name.file == kData + "/Corefile");
  CHECK(blocks[0].directives[0].name.line == 3);
  CHECK(args_of(blocks[0].directives[2].block[0]) == std::vector<std::string>{"3"});
  CHECK(zones_of(blocks[1]) == std::vector<std::string>{"example.org.", "example.net."});
  CHECK(names_of(blocks[1].directives) == std::vector<std::string>{"errors", "log", "file"});
}
