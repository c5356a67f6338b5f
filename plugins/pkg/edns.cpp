#include "plugins/pkg/edns.h"

#include "core/dns/copy.h"
#include "core/dns/message.h"
#include "core/dns/writer.h"

namespace cxxdns::pkg {
namespace {

// The options of an OPT record's data with `code` set to `data`.
std::vector<uint8_t> options_with(std::span<const uint8_t> options, uint16_t code,
                                  std::span<const uint8_t> data) {
  std::vector<uint8_t> out;
  out.reserve(options.size() + 4 + data.size());
  bool set = false;
  size_t pos = 0;
  while (pos + 4 <= options.size()) {
    const uint16_t c = dns::get16(&options[pos]);
    const size_t len = dns::get16(&options[pos + 2]);
    const size_t next = std::min(options.size(), pos + 4 + len);
    if (c == code && !set) {
      set = true;
      out.push_back(static_cast<uint8_t>(code >> 8));
      out.push_back(static_cast<uint8_t>(code));
      out.push_back(static_cast<uint8_t>(data.size() >> 8));
      out.push_back(static_cast<uint8_t>(data.size()));
      out.insert(out.end(), data.begin(), data.end());
    } else {
      out.insert(out.end(), options.begin() + pos, options.begin() + next);
    }
    pos = next;
  }
  if (!set) {
    out.push_back(static_cast<uint8_t>(code >> 8));
    out.push_back(static_cast<uint8_t>(code));
    out.push_back(static_cast<uint8_t>(data.size() >> 8));
    out.push_back(static_cast<uint8_t>(data.size()));
    out.insert(out.end(), data.begin(), data.end());
  }
  return out;
}

// An OPT record: the root, TYPE, CLASS (the UDP size), TTL (extended rcode, version, DO),
// then `options`.
void append_opt(std::vector<uint8_t>& out, uint16_t udp_size, uint32_t ttl,
                std::span<const uint8_t> options) {
  const uint8_t head[11] = {0,
                            0,
                            dns::type::OPT,
                            static_cast<uint8_t>(udp_size >> 8),
                            static_cast<uint8_t>(udp_size),
                            static_cast<uint8_t>(ttl >> 24),
                            static_cast<uint8_t>(ttl >> 16),
                            static_cast<uint8_t>(ttl >> 8),
                            static_cast<uint8_t>(ttl),
                            static_cast<uint8_t>(options.size() >> 8),
                            static_cast<uint8_t>(options.size())};
  out.insert(out.end(), head, head + sizeof head);
  out.insert(out.end(), options.begin(), options.end());
}

// `msg` written again record by record, names whole, with `opt` (a whole OPT record) in
// place of its OPT: for an OPT that other records follow, which point at names before them.
bool rewrite_with_opt(std::vector<uint8_t>& msg, const dns::AnswerShape& shape,
                      std::span<const uint8_t> opt) {
  std::vector<uint8_t> out;
  dns::MessageWriter w(out);
  dns::Header h = shape.hdr;
  h.qdcount = h.ancount = h.nscount = h.arcount = 0;
  w.start(h);
  size_t pos = dns::kHeaderSize;
  for (uint16_t i = 0; i < shape.hdr.qdcount; ++i) {
    dns::Name n;
    if (!dns::read_name(msg, pos, n) || pos + 4 > msg.size()) return false;
    w.question(n, dns::get16(&msg[pos]), dns::get16(&msg[pos + 2]));
    pos += 4;
  }
  bool ok = true;
  dns::walk_records(msg, [&](const dns::RecordRef& r) {
    w.section(r.section);
    if (r.offset == shape.opt_begin) {
      out.insert(out.end(), opt.begin(), opt.end());
      dns::put16(out.data() + 10, static_cast<uint16_t>(dns::get16(out.data() + 10) + 1));
    } else {
      ok = dns::copy_record(msg, r, w);
    }
    return ok;
  });
  if (!ok || out.size() > 65535) return false;
  msg.swap(out);
  return true;
}

}  // namespace

std::optional<std::span<const uint8_t>> query_option(const QueryContext& ctx, uint16_t code) {
  const dns::Edns& e = ctx.q().edns;
  if (!e.present) return std::nullopt;
  auto wire = ctx.query_wire();
  size_t pos = e.rdata_offset;
  const size_t end = size_t{e.rdata_offset} + e.rdata_len;
  while (pos + 4 <= end) {
    const uint16_t c = dns::get16(&wire[pos]);
    const size_t len = dns::get16(&wire[pos + 2]);
    if (pos + 4 + len > end) return std::nullopt;
    if (c == code) return wire.subspan(pos + 4, len);
    pos += 4 + len;
  }
  return std::nullopt;
}

bool set_answer_option(std::vector<uint8_t>& msg, const dns::AnswerShape& shape, uint16_t code,
                       std::span<const uint8_t> data, uint16_t udp_size, bool do_bit) {
  if (!shape.valid || shape.end > msg.size()) return false;
  std::vector<uint8_t> opt;
  if (!shape.has_opt) {
    append_opt(opt, udp_size, do_bit ? dns::kEdnsDoBit : 0, options_with({}, code, data));
    if (shape.end + opt.size() > 65535) return false;
    msg.resize(shape.end);  // bytes after the last record go, as finalize drops them
    msg.insert(msg.end(), opt.begin(), opt.end());
    dns::put16(msg.data() + 10, static_cast<uint16_t>(shape.hdr.arcount + 1));
    return true;
  }
  // The OPT's own fields are kept: the size and flags the answer already carries.
  const uint8_t* o = msg.data() + shape.opt_begin;
  const uint16_t klass = dns::get16(o + 3);
  const uint32_t ttl = dns::get32(o + 5);
  const uint16_t rdlen = dns::get16(o + 9);
  append_opt(opt, klass, ttl, options_with({o + 11, rdlen}, code, data));
  if (shape.end - (shape.opt_end - shape.opt_begin) + opt.size() > 65535) return false;
  if (shape.opt_end != shape.end) return rewrite_with_opt(msg, shape, opt);
  msg.resize(shape.opt_begin);
  msg.insert(msg.end(), opt.begin(), opt.end());
  return true;
}

}  // namespace cxxdns::pkg
