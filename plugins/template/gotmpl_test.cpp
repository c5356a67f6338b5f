// The Go template engine: what the README's and real Corefiles' templates use renders as Go
// renders it; what it does not implement fails to parse.
#include <catch2/catch.hpp>

#include "plugins/template/gotmpl.h"

using cxxdns::plugins::gotmpl::List;
using cxxdns::plugins::gotmpl::Map;
using cxxdns::plugins::gotmpl::Struct;
using cxxdns::plugins::gotmpl::Template;
using cxxdns::plugins::gotmpl::Value;

namespace {

Value data() {
  Struct q;
  q.type_name = "*dns.Question";
  q.text = ";ip-10-1-2-3.example.\tIN\t A";
  q.has_text = true;
  q.fields = {{"Name", Value::string("IP-10-1-2-3.example.")}, {"Qtype", Value::integer(1)}};
  Struct d;
  d.type_name = "*template.templateData";
  d.fields = {
      {"Name", Value::string("ip-10-1-2-3.example.")},
      {"Zone", Value::string("example.")},
      {"Match", Value::of_list({Value::string("ip-10-1-2-3.example."), Value::string("10"),
                                Value::string("2")})},
      {"Group", Value::of_map({{"a", Value::string("10")},
                               {"b", Value::string("0a")},
                               {"0", Value::string("ip-10-1-2-3.example.")}})},
      {"Question", Value::of_struct(q)},
      {"Flag", Value::boolean(true)},
      {"Empty", Value::string("")},
  };
  return Value::of_struct(d);
}

std::string render(const std::string& text) {
  std::string err;
  auto t = Template::parse("answer", text, &err);
  if (!t) return "parse error: " + err;
  std::string out;
  if (!t->execute(data(), out, &err)) return "exec error: " + err;
  return out;
}

std::string parse_error(const std::string& text) {
  std::string err;
  auto t = Template::parse("answer", text, &err);
  return t ? "parsed" : err;
}

}  // namespace

TEST_CASE("gotmpl: fields, map keys and the README's examples", "[template][gotmpl]") {
  CHECK(render("{{ .Name }} 60 IN A {{ .Group.a }}.1.2.3") ==
        "ip-10-1-2-3.example. 60 IN A 10.1.2.3");
  CHECK(render("{{.Zone}}") == "example.");
  CHECK(render("{{ index .Match 1 }}") == "10");
  CHECK(render("{{ index .Group \"a\" }}") == "10");
  CHECK(render("{{ index .Group \"missing\" }}") == "");  // index: the zero value
  CHECK(render("{{ .Group.missing }}") == "<no value>");  // a field: Go's <no value>
  CHECK(render("{{ .Question.Name }}") == "IP-10-1-2-3.example.");
  CHECK(render("{{ .Question }}") == ";ip-10-1-2-3.example.\tIN\t A");
  CHECK(render("{{ .Match }}") == "[ip-10-1-2-3.example. 10 2]");
  CHECK(render("{{ .Flag }} {{ 42 }} {{ -7 }} {{ 0x1f }} {{ \"s\\tq\" }} {{ `raw` }}") ==
        "true 42 -7 31 s\tq raw");
}

TEST_CASE("gotmpl: parseInt is strconv.ParseUint", "[template][gotmpl]") {
  CHECK(render("10.{{ parseInt .Group.b 16 8 }}") == "10.10");
  CHECK(render("{{ parseInt \"7b\" 16 8 }}.{{ parseInt \"0x7b\" 0 64 }}") == "123.123");
  CHECK(render("{{ parseInt \"zz\" 16 8 }}") ==
        "exec error: template: answer:1:3: executing \"answer\" at <parseInt \"zz\" 16 8>: "
        "error calling parseInt: strconv.ParseUint: parsing \"zz\": invalid syntax");
  CHECK(render("{{ parseInt \"1ff\" 16 8 }}").find("value out of range") != std::string::npos);
  CHECK(render("{{ parseInt 5 16 8 }}").find("wrong type for value; expected string; got int") !=
        std::string::npos);
}

TEST_CASE("gotmpl: printf, print, comparisons, len, and/or/not", "[template][gotmpl]") {
  CHECK(render("{{ printf \"%s-%05d-%x-%X-%q\" .Zone 42 255 255 \"a\" }}") ==
        "example.-00042-ff-FF-\"a\"");
  CHECK(render("{{ printf \"%d\" }}") == "%!d(MISSING)");
  CHECK(render("{{ printf \"%d\" \"s\" }}") == "%!d(string=s)");
  CHECK(render("{{ printf \"x\" 1 }}") == "x%!(EXTRA int=1)");
  CHECK(render("{{ print 1 2 \"a\" 3 }}") == "1 2a3");
  CHECK(render("{{ eq .Group.a \"10\" }} {{ ne 1 2 }} {{ lt 1 2 }} {{ ge 3 4 }}") ==
        "true true true false");
  CHECK(render("{{ eq 1 \"1\" }}").find("incompatible types for comparison") != std::string::npos);
  CHECK(render("{{ len .Match }} {{ len .Name }}") == "3 20");
  CHECK(render("{{ and 1 0 2 }} {{ or 0 \"\" 3 }} {{ not .Empty }}") == "0 3 true");
  CHECK(render("{{ .Zone | printf \"%s!\" }}") == "example.!");
  CHECK(render("{{ (index .Match 1) }}") == "10");
}

TEST_CASE("gotmpl: if, else if, with, range, variables, trim markers, comments",
          "[template][gotmpl]") {
  CHECK(render("{{ if eq .Group.a \"9\" }}nine{{ else if eq .Group.a \"10\" }}ten{{ else }}"
               "other{{ end }}") == "ten");
  CHECK(render("{{ with .Empty }}x{{ else }}empty{{ end }}") == "empty");
  CHECK(render("{{ with .Zone }}[{{ . }}]{{ end }}") == "[example.]");
  CHECK(render("{{ range $i, $m := .Match }}{{ $i }}={{ $m }};{{ end }}") ==
        "0=ip-10-1-2-3.example.;1=10;2=2;");
  CHECK(render("{{ range .Group }}{{ . }},{{ end }}") == "ip-10-1-2-3.example.,10,0a,");
  CHECK(render("{{ $x := .Zone }}{{ $x }}{{ $x = \"y\" }}{{ $x }} {{ $.Zone }}") ==
        "example.y example.");
  CHECK(render("a  {{- /* dropped */ -}}  b {{- \" c\" }}") == "ab c");
  CHECK(render("{{ .Name -}} \n 60") == "ip-10-1-2-3.example.60");
}

TEST_CASE("gotmpl: execution errors are Go's", "[template][gotmpl]") {
  // CoreDNS's own test (BrokenTemplate).
  std::string err;
  auto t = Template::parse("answer", "{{ .Name }} 60 IN TXT \"{{ index .Match 3 }}\"", &err);
  REQUIRE(t);
  std::string out;
  CHECK_FALSE(t->execute(data(), out, &err));
  CHECK(err ==
        "template: answer:1:26: executing \"answer\" at <index .Match 3>: error calling "
        "index: index out of range: 3");
  CHECK(render("{{ .Nope }}") ==
        "exec error: template: answer:1:3: executing \"answer\" at <.Nope>: can't evaluate "
        "field Nope in type *template.templateData");
}

TEST_CASE("gotmpl: parse errors, and what is not supported fails to parse", "[template][gotmpl]") {
  CHECK(parse_error("{{ foo }}") == "template: answer:1: function \"foo\" not defined");
  CHECK(parse_error("{{ html .Name }}") ==
        "template: answer:1: function \"html\" is not supported by cxxdns's template plugin");
  CHECK(parse_error("{{ template \"x\" }}") ==
        "template: answer:1: {{template}} is not supported by cxxdns's template plugin");
  CHECK(parse_error("{{ .Name ") == "template: answer:1: unclosed action");
  CHECK(parse_error("{{ if .Name }}x") == "template: answer:1: unexpected EOF");
  CHECK(parse_error("x{{ end }}") == "template: answer:1: unexpected {{end}}");
  CHECK(parse_error("{{ $y }}") == "template: answer:1: undefined variable \"$y\"");
  CHECK(parse_error("{{ }}") == "template: answer:1: missing value for command");
}

TEST_CASE("gotmpl: the source printed back as Go's Tree.Root.String()", "[template][gotmpl]") {
  std::string err;
  auto t = Template::parse(
      "answer", "{{ .Name }} 60 IN A {{ .Group.a }}.{{ index .Match 1 }} {{- if .X }}y{{ end }}",
      &err);
  REQUIRE(t);
  CHECK(t->source() == "{{.Name}} 60 IN A {{.Group.a}}.{{index .Match 1}}{{if .X}}y{{end}}");
}
