#include "plugins/rewrite/request.h"

#include <algorithm>

#include "plugins/pkg/records.h"

namespace cxxdns::plugins::rewrite {

std::vector<EdnsOption> parse_options(std::span<const uint8_t> rdata) {
  std::vector<EdnsOption> out;
  size_t p = 0;
  while (p + 4 <= rdata.size()) {
    EdnsOption o;
    o.code = dns::get16(&rdata[p]);
    const size_t len = dns::get16(&rdata[p + 2]);
    p += 4;
    if (p + len > rdata.size()) break;
    o.data.assign(rdata.begin() + static_cast<ptrdiff_t>(p),
                  rdata.begin() + static_cast<ptrdiff_t>(p + len));
    p += len;
    out.push_back(std::move(o));
  }
  return out;
}

void write_options(const std::vector<EdnsOption>& options, std::vector<uint8_t>& rdata) {
  rdata.clear();
  for (const EdnsOption& o : options) {
    rdata.push_back(static_cast<uint8_t>(o.code >> 8));
    rdata.push_back(static_cast<uint8_t>(o.code));
    rdata.push_back(static_cast<uint8_t>(o.data.size() >> 8));
    rdata.push_back(static_cast<uint8_t>(o.data.size()));
    rdata.insert(rdata.end(), o.data.begin(), o.data.end());
  }
}

std::string_view Request::name() {
  return changed_ ? std::string_view(lower_) : ctx_.qname_text();
}

std::string_view Request::raw_name() {
  if (changed_) return name_;
  materialize();
  return name_;
}

void Request::materialize() {
  if (changed_) return;
  const dns::QueryView& q = ctx_.q();
  name_ = dns::to_text(q.qname);
  lower_ = std::string(ctx_.qname_text());
  qtype_ = q.qtype;
  qclass_ = q.qclass;
  edns_ = q.edns.present;
  if (edns_) {
    udp_size_ = q.edns.udp_size;
    opt_ttl_ = (uint32_t(q.edns.ext_rcode) << 24) | (uint32_t(q.edns.version) << 16) |
               (q.edns.do_bit ? dns::kEdnsDoBit : 0);
    options_ = client_options();
  }
  changed_ = true;
}

std::vector<EdnsOption> Request::client_options() const {
  const dns::QueryView& q = ctx_.q();
  if (!q.edns.present) return {};
  auto wire = ctx_.query_wire();
  return parse_options(wire.subspan(q.edns.rdata_offset, q.edns.rdata_len));
}

void Request::set_name(std::string name) {
  materialize();
  lower_ = name;
  std::transform(lower_.begin(), lower_.end(), lower_.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
  name_ = std::move(name);
}

void Request::set_type(uint16_t t) {
  materialize();
  qtype_ = t;
}

void Request::set_class(uint16_t c) {
  materialize();
  qclass_ = c;
}

std::vector<EdnsOption>& Request::options() {
  materialize();
  if (!edns_) {
    edns_ = true;
    udp_size_ = 4096;
    opt_ttl_ = 0;
  }
  return options_;
}

bool Request::build(std::vector<uint8_t>& out, std::string& bad_name) const {
  pkg::Message m;
  if (!pkg::read_message(ctx_.query_wire(), m) || m.questions.empty()) return false;
  if (!dns::from_text(name_, m.questions[0].name)) {
    bad_name = name_;
    return false;
  }
  m.questions[0].qtype = qtype_;
  m.questions[0].qclass = qclass_;
  std::erase_if(m.records, [](const pkg::Record& r) { return r.type == dns::type::OPT; });
  if (edns_) {
    pkg::Record opt;
    opt.section = dns::Section::additional;
    opt.owner.data[0] = 0;
    opt.owner.len = 1;
    opt.type = dns::type::OPT;
    opt.klass = udp_size_;
    opt.ttl = opt_ttl_;
    write_options(options_, opt.rdata);
    m.records.push_back(std::move(opt));
  }
  pkg::write_message(m, out);
  return true;
}

}  // namespace cxxdns::plugins::rewrite
