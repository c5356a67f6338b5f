// template CLASS TYPE [ZONE...] { match REGEX...; answer RR; additional RR; authority RR;
// rcode CODE; ederror CODE [REASON]; fallthrough [ZONE...]; upstream }, as CoreDNS's template;
// the directive may be given several times, each one a rule tried in the order written.
#include <charconv>

#include "core/plugin/config.h"
#include "core/plugin/registry.h"
#include "core/plugin/setup.h"
#include "plugins/pkg/dns_names.h"
#include "plugins/template/template.h"

namespace {

using cxxdns::SetupContext;
using cxxdns::corefile::Directive;
using cxxdns::corefile::Token;
using cxxdns::plugins::tmpl::RecordTemplate;
using cxxdns::plugins::tmpl::Rule;
using cxxdns::plugins::tmpl::SectionKind;

void parse_match(const SetupContext& sc, const Directive& line, Rule& r) {
  if (line.args.empty()) sc.arg_error(line.name);
  for (const Token& t : line.args) {
    std::string err;
    auto re = cxxdns::pkg::Regex::compile(t.text, &err);
    if (!re) sc.error(t, "could not parse regex: " + t.text + ", " + err);
    r.regexes.push_back(std::move(re));
  }
}

void parse_records(const SetupContext& sc, const Directive& line, SectionKind section, Rule& r) {
  if (line.args.empty()) sc.arg_error(line.name);
  for (const Token& t : line.args) {
    std::string err;
    auto tmpl = cxxdns::plugins::gotmpl::Template::parse(line.name.text, t.text, &err);
    // CoreDNS names the line's last word here (c.Val()), not necessarily the bad one.
    if (!tmpl) sc.error(t, "could not compile template: " + line.args.back().text + ", " + err);
    r.records.push_back(RecordTemplate{section, std::move(tmpl)});
  }
}

void parse_rcode(const SetupContext& sc, const Directive& line, Rule& r) {
  if (line.args.empty()) sc.arg_error(line.name);
  if (line.args.size() > 1) sc.arg_error(line.args[1]);  // the next word read as a property
  if (!cxxdns::pkg::rcode_from_name(line.args[0].text, r.rcode)) {
    sc.error(line.args[0], "unknown rcode " + line.args[0].text);
  }
}

void parse_ederror(const SetupContext& sc, const Directive& line, Rule& r) {
  if (line.args.size() != 1 && line.args.size() != 2) sc.arg_error(line.name);
  const std::string& code = line.args[0].text;
  unsigned v = 0;
  auto [p, ec] = std::from_chars(code.data(), code.data() + code.size(), v);
  if (ec != std::errc() || p != code.data() + code.size() || v > 0xffff) {
    sc.error(line.args[0],
             "error parsing extended DNS error code " + code + ", strconv.ParseUint: parsing \"" +
                 code + "\": " +
                 (ec == std::errc::result_out_of_range || v > 0xffff ? "value out of range"
                                                                     : "invalid syntax"));
  }
  r.has_ede = true;
  r.ede_code = static_cast<uint16_t>(v);
  if (line.args.size() == 2) r.ede_reason = line.args[1].text;
}

void parse_line(const SetupContext& sc, const Directive& line, Rule& r) {
  const std::string& key = line.name.text;
  if (key == "match") {
    parse_match(sc, line, r);
  } else if (key == "answer") {
    parse_records(sc, line, SectionKind::answer, r);
  } else if (key == "additional") {
    parse_records(sc, line, SectionKind::additional, r);
  } else if (key == "authority") {
    parse_records(sc, line, SectionKind::authority, r);
  } else if (key == "rcode") {
    parse_rcode(sc, line, r);
  } else if (key == "ederror") {
    parse_ederror(sc, line, r);
  } else if (key == "fallthrough") {
    r.fall = cxxdns::pkg::Fallthrough::parse(sc, line);
  } else if (key == "upstream") {
    // Accepted and ignored, as CoreDNS does: CNAME targets are always looked up.
  } else {
    sc.arg_error(line.name);
  }
}

Rule parse_rule(const SetupContext& sc, const Directive& d) {
  Rule r;
  if (d.args.empty()) sc.arg_error(d.name);
  if (!cxxdns::pkg::class_from_name(d.args[0].text, r.qclass)) {
    sc.error(d.args[0], "invalid query class " + d.args[0].text);
  }
  if (d.args.size() < 2) sc.arg_error(d.args[0]);
  if (!cxxdns::pkg::type_from_name(d.args[1].text, r.qtype)) {
    sc.error(d.args[1], "invalid RR class " + d.args[1].text);  // sic, CoreDNS's words
  }
  r.zone_texts = sc.zones_from(std::span(d.args).subspan(2));
  r.zones = cxxdns::pkg::Zones(r.zone_texts);
  for (const Directive& line : d.block) parse_line(sc, line, r);
  return r;
}

}  // namespace

void cxxdns_register_template(cxxdns::Registry& reg) {
  reg.add("template", [](SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    std::vector<Rule> rules;
    for (const Directive& d : sc.directives()) rules.push_back(parse_rule(sc, d));
    return std::make_unique<cxxdns::plugins::tmpl::Template>(
        std::move(rules), cxxdns::pkg::ServerLabels(sc), &sc.services(), sc.services().workers);
  });
}
