// The data a template sees (CoreDNS's templateData), as gotmpl values.
#include <string>

#include "core/dns/name.h"
#include "core/dns/text.h"
#include "plugins/pkg/dns_names.h"
#include "plugins/template/render.h"

namespace cxxdns::plugins::tmpl {

namespace {

using gotmpl::Struct;
using gotmpl::Value;

// dns.Question, which prints as ";name.\tIN\t A".
Value question(const dns::QueryView& q) {
  Struct s;
  s.type_name = "*dns.Question";
  const std::string name = dns::to_text(q.qname);
  char tb[16], cb[16];
  s.text = ";" + name + "\t" + std::string(dns::class_name(q.qclass, cb)) + "\t " +
           std::string(dns::type_name(q.qtype, tb));
  s.has_text = true;
  s.fields = {{"Name", Value::string(name)},
              {"Qtype", Value::integer(q.qtype)},
              {"Qclass", Value::integer(q.qclass)}};
  return Value::of_struct(std::move(s));
}

std::string header_text(const dns::QueryView& q) {
  static const char* const kOpcodes[] = {"QUERY", "IQUERY", "STATUS", "", "NOTIFY", "UPDATE"};
  const uint8_t op = q.hdr.opcode();
  char rb[16];
  std::string s = std::string(";; opcode: ") + (op < 6 ? kOpcodes[op] : "") +
                  ", status: " + std::string(dns::rcode_name(q.hdr.rcode(), rb)) +
                  ", id: " + std::to_string(q.hdr.id) + "\n;; flags:";
  const std::pair<uint16_t, const char*> flags[] = {{dns::flag::QR, " qr"}, {dns::flag::AA, " aa"},
                                                    {dns::flag::TC, " tc"}, {dns::flag::RD, " rd"},
                                                    {dns::flag::RA, " ra"}, {dns::flag::Z, " z"},
                                                    {dns::flag::AD, " ad"}, {dns::flag::CD, " cd"}};
  for (const auto& [bit, text] : flags) {
    if (q.hdr.flags & bit) s += text;
  }
  return s + ";";
}

// dns.Msg: its header fields, its question; printed as dig prints it.
Value message(const dns::QueryView& q, const Value& qv) {
  Struct hdr;
  hdr.type_name = "dns.MsgHdr";
  const uint16_t f = q.hdr.flags;
  hdr.fields = {{"Id", Value::integer(q.hdr.id)},
                {"Response", Value::boolean(f & dns::flag::QR)},
                {"Opcode", Value::integer(q.hdr.opcode())},
                {"Authoritative", Value::boolean(f & dns::flag::AA)},
                {"Truncated", Value::boolean(f & dns::flag::TC)},
                {"RecursionDesired", Value::boolean(f & dns::flag::RD)},
                {"RecursionAvailable", Value::boolean(f & dns::flag::RA)},
                {"Zero", Value::boolean(f & dns::flag::Z)},
                {"AuthenticatedData", Value::boolean(f & dns::flag::AD)},
                {"CheckingDisabled", Value::boolean(f & dns::flag::CD)},
                {"Rcode", Value::integer(q.hdr.rcode())}};
  hdr.text = header_text(q);
  hdr.has_text = true;
  Struct m;
  m.type_name = "*dns.Msg";
  m.fields = hdr.fields;  // embedded: .Message.Id works as in Go
  m.fields.emplace_back("MsgHdr", Value::of_struct(hdr));
  m.fields.emplace_back("Compress", Value::boolean(false));
  m.fields.emplace_back("Question", Value::of_list({qv}));
  m.fields.emplace_back("Answer", Value::of_list({}));
  m.fields.emplace_back("Ns", Value::of_list({}));
  m.fields.emplace_back("Extra", Value::of_list({}));
  m.text = hdr.text + " QUERY: 1, ANSWER: 0, AUTHORITY: 0, ADDITIONAL: " +
           std::to_string(q.edns.present ? 1 : 0) + "\n\n;; QUESTION SECTION:\n" +
           qv.structure->text + "\n";
  m.has_text = true;
  return Value::of_struct(std::move(m));
}

Value meta_method() {
  // No metadata plugin in cxxdns: every name is unset, which Meta shows as "".
  return Value::of_method([](const std::vector<Value>& args, std::string* error) {
    if (args.size() != 1) {
      *error = "wrong number of args for Meta: want 1 got " + std::to_string(args.size());
      return Value();
    }
    if (args[0].kind != Value::Kind::string) {
      *error = "wrong type for value; expected string; got " + gotmpl::type_name(args[0]);
      return Value();
    }
    return Value::string("");
  });
}

}  // namespace

Value template_data(QueryContext& ctx, const Rule& r, const std::string& zone, const Match& m) {
  const dns::QueryView& q = ctx.q();
  gotmpl::List match;
  gotmpl::Map group;
  const std::vector<std::string>* names =
      m.regex >= 0 ? &r.regexes[static_cast<size_t>(m.regex)]->group_names() : nullptr;
  if (m.regex < 0) {
    match.push_back(Value::string(std::string(ctx.qname_text())));  // `.*` matches it all
    group["0"] = match.back();
  }
  for (size_t i = 0; names && i < m.groups.size(); ++i) {
    match.push_back(Value::string(std::string(m.groups[i])));
    group[std::to_string(i)] = match.back();
  }
  for (size_t i = 0; names && i < m.groups.size() && i < names->size(); ++i) {
    if (!(*names)[i].empty()) group[(*names)[i]] = match[i];
  }
  const Value qv = question(q);
  Struct d;
  d.type_name = "*template.templateData";
  d.fields = {
      {"Zone", Value::string(zone)},
      {"Name", Value::string(std::string(ctx.qname_text()))},
      {"Regex",
       Value::string(m.regex >= 0 ? r.regexes[static_cast<size_t>(m.regex)]->pattern() : ".*")},
      {"Match", Value::of_list(std::move(match))},
      {"Group", Value::of_map(std::move(group))},
      {"Class", Value::string(std::string(
                    pkg::go_class_name(q.qclass != dns::cls::ANY ? q.qclass : r.qclass)))},
      {"Type", Value::string(
                   std::string(pkg::go_type_name(q.qtype != dns::type::ANY ? q.qtype : r.qtype)))},
      {"Message", message(q, qv)},
      {"Question", qv},
      {"Remote", Value::string(ctx.client().ip())},
      {"Meta", meta_method()},
  };
  return Value::of_struct(std::move(d));
}

}  // namespace cxxdns::plugins::tmpl
