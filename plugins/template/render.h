// What the template plugin builds an answer from: the data its Go templates see, the
// records they render (zone-file lines, parsed as CoreDNS's dns.NewRR does), the reply.
#pragma once

#include <string>
#include <string_view>

#include "core/plugin/context.h"
#include "plugins/pkg/records.h"
#include "plugins/template/gotmpl_value.h"
#include "plugins/template/template.h"

namespace cxxdns::plugins::tmpl {

// .Zone .Name .Regex .Match .Group .Class .Type .Message .Question .Remote and .Meta.
gotmpl::Value template_data(QueryContext& ctx, const Rule& r, const std::string& zone,
                            const Match& m);

// One record in presentation form ("a.example. 60 IN A 10.0.0.1"): names relative to the
// root, TTL 3600 and class IN when not given, as dns.NewRR. False with ldns's reason.
bool parse_rr(const std::string& text, pkg::Record& out, std::string& error);

// The reply CoreDNS's template writes: the query's ID, opcode, RD and CD, its question, AA,
// and `rcode`.
pkg::Message reply_message(const dns::QueryView& q, uint16_t rcode);
// An OPT record with the extended DNS error (RFC 8914) `code` and `reason` (ederror).
void add_ede(pkg::Message& msg, const dns::QueryView& q, uint16_t rcode, uint16_t code,
             const std::string& reason);
bool has_cname_answer(const pkg::Message& msg);

}  // namespace cxxdns::plugins::tmpl
