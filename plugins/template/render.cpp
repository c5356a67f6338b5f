#include "plugins/template/render.h"

#include <ldns/ldns.h>

#include <memory>

namespace cxxdns::plugins::tmpl {

namespace {

constexpr uint32_t kDefaultTtl = 3600;  // dns.NewRR's, for a line without one

const ldns_rdf* root_origin() {
  static const ldns_rdf* origin = ldns_dname_new_frm_str(".");
  return origin;
}

}  // namespace

bool parse_rr(const std::string& text, pkg::Record& out, std::string& error) {
  ldns_rr* rr = nullptr;
  const ldns_status st =
      ldns_rr_new_frm_str(&rr, text.c_str(), kDefaultTtl, root_origin(), nullptr);
  if (st != LDNS_STATUS_OK || !rr) {
    error = std::string("dns: ") + ldns_get_errorstr_by_id(st) + ": \"" + text + "\"";
    return false;
  }
  std::unique_ptr<ldns_rr, decltype(&ldns_rr_free)> owned(rr, &ldns_rr_free);
  std::unique_ptr<ldns_buffer, decltype(&ldns_buffer_free)> buf(ldns_buffer_new(512),
                                                                &ldns_buffer_free);
  if (!buf || ldns_rr2buffer_wire(buf.get(), rr, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK) {
    error = "dns: cannot write \"" + text + "\"";
    return false;
  }
  std::span<const uint8_t> wire(ldns_buffer_begin(buf.get()), ldns_buffer_position(buf.get()));
  size_t pos = 0;
  if (!pkg::read_record(wire, pos, out) || pos != wire.size()) {
    error = "dns: bad record \"" + text + "\"";
    return false;
  }
  return true;
}

pkg::Message reply_message(const dns::QueryView& q, uint16_t rcode) {
  pkg::Message m;
  m.hdr.id = q.hdr.id;
  m.hdr.flags = static_cast<uint16_t>(
      dns::flag::QR | dns::flag::AA |
      (q.hdr.flags & (dns::flag::OPCODE_MASK | dns::flag::RD | dns::flag::CD)) | (rcode & 0xf));
  m.questions.push_back({q.qname, q.qtype, q.qclass});
  return m;
}

void add_ede(pkg::Message& msg, const dns::QueryView& q, uint16_t rcode, uint16_t code,
             const std::string& reason) {
  pkg::Record opt;
  opt.section = dns::Section::additional;
  opt.owner.data[0] = 0;
  opt.owner.len = 1;
  opt.type = dns::type::OPT;
  opt.klass = q.edns.present ? q.udp_size() : 4096;
  opt.ttl = (uint32_t(rcode >> 4) << 24) | (q.edns.do_bit ? dns::kEdnsDoBit : 0);
  const size_t len = 2 + reason.size();
  opt.rdata = {0,
               15,
               static_cast<uint8_t>(len >> 8),
               static_cast<uint8_t>(len),
               static_cast<uint8_t>(code >> 8),
               static_cast<uint8_t>(code)};
  opt.rdata.insert(opt.rdata.end(), reason.begin(), reason.end());
  msg.records.push_back(std::move(opt));
}

bool has_cname_answer(const pkg::Message& msg) {
  for (const pkg::Record& r : msg.records) {
    if (r.section == dns::Section::answer && r.type == dns::type::CNAME) return true;
  }
  return false;
}

}  // namespace cxxdns::plugins::tmpl
