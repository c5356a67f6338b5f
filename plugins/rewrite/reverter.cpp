// The answer on its way back (CoreDNS's ResponseReverter): the client's question, then the
// response rules on every record, the last rule first.
#include <cstring>

#include "plugins/pkg/records.h"
#include "plugins/rewrite/rewrite.h"

namespace cxxdns::plugins::rewrite {

namespace {

bool only_echoes(const PendingRewrite& p) {
  for (const ResponseRule& r : p.rules) {
    if (r.kind != ResponseRule::Kind::edns_echo && r.kind != ResponseRule::Kind::edns_revert)
      return false;
  }
  return true;
}

bool has_echo(const PendingRewrite& p) {
  for (const ResponseRule& r : p.rules) {
    if (r.kind == ResponseRule::Kind::edns_echo) return true;
  }
  return false;
}

// Nothing to change: the question is the client's, byte for byte, no rule touches records,
// and no option has to be shown back.
bool untouched(std::span<const uint8_t> msg, const dns::QueryView& q, const PendingRewrite& p) {
  const size_t end = dns::kHeaderSize + q.qname.len + 4u;
  if (msg.size() < end || dns::get16(&msg[4]) != 1) return false;
  if (std::memcmp(&msg[dns::kHeaderSize], q.qname.data, q.qname.len) != 0) return false;
  const uint8_t* tc = &msg[dns::kHeaderSize + q.qname.len];
  if (dns::get16(tc) != q.qtype || dns::get16(tc + 2) != q.qclass) return false;
  return only_echoes(p) && !(has_echo(p) && q.edns.present);
}

void rewrite_name(const StringRewriter& rw, dns::Name& n) {
  const std::string text = dns::to_text(n);
  const std::string out = rw.apply(text);
  dns::Name parsed;
  if (out != text && dns::from_text(out, parsed)) n = parsed;
}

void apply(const ResponseRule& rule, pkg::Record& r) {
  switch (rule.kind) {
    case ResponseRule::Kind::name:
      rewrite_name(rule.rewriter, r.owner);
      break;
    case ResponseRule::Kind::value: {
      pkg::NameAt at;
      if (!pkg::value_name(r, at)) break;
      dns::Name n;
      size_t pos = at.offset;
      if (!dns::read_name(r.rdata, pos, n)) break;
      const dns::Name before = n;
      rewrite_name(rule.rewriter, n);
      if (!(n == before)) pkg::replace_rdata_name(r, at, n);
      break;
    }
    case ResponseRule::Kind::ttl:
      if (r.ttl < rule.min_ttl)
        r.ttl = rule.min_ttl;
      else if (r.ttl > rule.max_ttl)
        r.ttl = rule.max_ttl;
      break;
    default:
      break;
  }
}

// The options a rule set, shown back in an answer that brought no OPT of its own, as
// CoreDNS's server answers with the (rewritten) request's OPT; not after `revert`, and not
// to a client that sent no EDNS.
void echo_options(pkg::Message& m, const dns::QueryView& q, const PendingRewrite& p) {
  if (!q.edns.present || m.opt()) return;
  std::vector<EdnsOption> shown;
  for (const EdnsOption& o : p.sent_options) {
    for (const ResponseRule& r : p.rules) {
      if (r.kind == ResponseRule::Kind::edns_echo && r.option_code == o.code) {
        shown.push_back(o);
        break;
      }
    }
  }
  if (shown.empty()) return;
  pkg::Record opt;
  opt.section = dns::Section::additional;
  opt.owner.data[0] = 0;
  opt.owner.len = 1;
  opt.type = dns::type::OPT;
  opt.klass = q.udp_size();
  opt.ttl = (uint32_t(m.rcode() >> 4) << 24) | (q.edns.do_bit ? dns::kEdnsDoBit : 0);
  write_options(shown, opt.rdata);
  m.records.push_back(std::move(opt));
}

}  // namespace

bool revert_answer(std::vector<uint8_t>& msg, const dns::QueryView& q, const PendingRewrite& p) {
  if (untouched(msg, q, p)) return true;
  pkg::Message m;
  if (!pkg::read_message(msg, m)) return false;
  const pkg::Question asked{q.qname, q.qtype, q.qclass};
  if (m.questions.empty()) {
    m.questions.push_back(asked);
  } else {
    m.questions[0] = asked;
  }
  for (auto rule = p.rules.rbegin(); rule != p.rules.rend(); ++rule) {
    if (rule->kind == ResponseRule::Kind::rcode && m.rcode() == rule->old_rcode) {
      m.set_rcode(rule->new_rcode);
    }
  }
  for (pkg::Record& r : m.records) {
    if (r.type == dns::type::OPT) continue;  // CoreDNS's server puts its OPT back as it was
    for (auto rule = p.rules.rbegin(); rule != p.rules.rend(); ++rule) apply(*rule, r);
  }
  echo_options(m, q, p);
  pkg::write_message(m, msg);
  return true;
}

}  // namespace cxxdns::plugins::rewrite
