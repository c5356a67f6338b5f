#include "core/dns/writer.h"

#include <algorithm>
#include <cstring>

#include "core/dns/rdata.h"

namespace cxxdns::dns {

MessageWriter::MessageWriter(std::vector<uint8_t>& out) : out_(out) {
  out_.clear();
}

void MessageWriter::start(const Header& h) {
  out_.resize(kHeaderSize);
  h.write(out_.data());
  ntargets_ = 0;
}

void MessageWriter::start_reply(const QueryView& q, uint8_t rcode, bool authoritative) {
  Header h;
  h.id = q.hdr.id;
  h.flags = flag::QR | (q.hdr.flags & (flag::OPCODE_MASK | flag::RD | flag::CD)) | (rcode & 0xf);
  if (authoritative) h.flags |= flag::AA;
  start(h);
  question(q.qname, q.qtype, q.qclass);
}

void MessageWriter::question(const Name& name, uint16_t qtype, uint16_t qclass) {
  write_name(name, true);
  rd_u16(qtype);
  rd_u16(qclass);
  put16(out_.data() + 4, get16(out_.data() + 4) + 1);
}

void MessageWriter::rd_u16(uint16_t v) {
  out_.push_back(static_cast<uint8_t>(v >> 8));
  out_.push_back(static_cast<uint8_t>(v));
}

void MessageWriter::rd_u32(uint32_t v) {
  rd_u16(static_cast<uint16_t>(v >> 16));
  rd_u16(static_cast<uint16_t>(v));
}

void MessageWriter::rd_text(std::string_view s) {
  do {
    size_t n = std::min<size_t>(s.size(), 255);
    out_.push_back(static_cast<uint8_t>(n));
    out_.insert(out_.end(), s.begin(), s.begin() + n);
    s.remove_prefix(n);
  } while (!s.empty());
}

void MessageWriter::begin_rr(const Name& owner, uint16_t type, uint16_t klass, uint32_t ttl) {
  write_name(owner, true);
  rd_u16(type);
  rd_u16(klass);
  rd_u32(ttl);
  rr_len_pos_ = out_.size();
  rd_u16(0);
}

void MessageWriter::rd_name(const Name& n, bool compress) {
  write_name(n, compress);
}

bool MessageWriter::copy_rr(std::span<const uint8_t> src, const RecordRef& r, int owner_at) {
  RdataPart parts[kMaxRdataParts];
  const int n = rdata_parts(src, r, parts);
  Name owner;
  size_t at = r.offset;
  if (n < 0 || (owner_at < 0 && !read_name(src, at, owner))) return false;
  const size_t start = out_.size();
  const int targets = ntargets_;
  if (owner_at >= 0) {
    out_.push_back(static_cast<uint8_t>(0xc0 | (owner_at >> 8)));
    out_.push_back(static_cast<uint8_t>(owner_at));
    rd_u16(r.type), rd_u16(r.klass), rd_u32(r.ttl);
    rr_len_pos_ = out_.size();
    rd_u16(0);
  } else {
    begin_rr(owner, r.type, r.klass, r.ttl);
  }
  const bool compress = rdata_names_compressible(r.type);
  for (int i = 0; i < n; ++i) {
    if (!parts[i].name) {
      rd_bytes(src.subspan(parts[i].offset, parts[i].len));
      continue;
    }
    Name name;
    size_t p = parts[i].offset;
    if (!read_name(src, p, name)) {
      out_.resize(start);
      ntargets_ = targets;
      return false;
    }
    rd_name(name, compress);
  }
  end_rr();
  return true;
}

void MessageWriter::end_rr() {
  put16(out_.data() + rr_len_pos_, static_cast<uint16_t>(out_.size() - rr_len_pos_ - 2));
  bump_count();
}

void MessageWriter::bump_count() {
  uint8_t* p = out_.data() + 6 + 2 * static_cast<int>(section_);
  put16(p, get16(p) + 1);
}

void MessageWriter::a(const Name& owner, uint32_t ttl, const uint8_t addr[4], uint16_t klass) {
  begin_rr(owner, type::A, klass, ttl);
  rd_bytes({addr, 4});
  end_rr();
}

void MessageWriter::aaaa(const Name& owner, uint32_t ttl, const uint8_t addr[16], uint16_t klass) {
  begin_rr(owner, type::AAAA, klass, ttl);
  rd_bytes({addr, 16});
  end_rr();
}

void MessageWriter::name_rr(const Name& owner, uint16_t type, uint32_t ttl, const Name& target,
                            uint16_t klass) {
  begin_rr(owner, type, klass, ttl);
  rd_name(target);
  end_rr();
}

void MessageWriter::opt(uint16_t udp_size, bool do_bit, uint8_t ext_rcode) {
  Section saved = section_;
  section_ = Section::additional;
  out_.push_back(0);
  rd_u16(type::OPT);
  rd_u16(udp_size);
  rd_u32((uint32_t(ext_rcode) << 24) | (do_bit ? kEdnsDoBit : 0));
  rd_u16(0);
  bump_count();
  section_ = saved;
}

void MessageWriter::append_opt(std::vector<uint8_t>& msg, uint16_t udp_size, bool do_bit) {
  const uint8_t rr[11] = {0,
                          0,
                          type::OPT,
                          static_cast<uint8_t>(udp_size >> 8),
                          static_cast<uint8_t>(udp_size),
                          0,
                          0,
                          static_cast<uint8_t>(do_bit ? 0x80 : 0),
                          0,
                          0,
                          0};
  msg.insert(msg.end(), rr, rr + sizeof rr);
  put16(msg.data() + 10, get16(msg.data() + 10) + 1);
}

void MessageWriter::set_flags(uint16_t set, uint16_t clear) {
  uint16_t f = get16(out_.data() + 2);
  put16(out_.data() + 2, static_cast<uint16_t>((f & ~clear) | set));
}

void MessageWriter::set_rcode(uint8_t rcode) {
  set_flags(rcode & 0xf, flag::RCODE_MASK);
}

// Compares the name suffix starting at label offset `i` of `n` with the (possibly
// compressed) name at `off` in the output.
static bool suffix_matches(const std::vector<uint8_t>& out, size_t off, const Name& n, size_t i) {
  while (true) {
    uint8_t l = out[off];
    if ((l & 0xc0) == 0xc0) {
      off = ((l & 0x3f) << 8) | out[off + 1];
      continue;
    }
    if (l != n.data[i]) return false;
    if (l == 0) return true;
    // Case-sensitive on purpose: a pointer must not change the case a plugin wrote.
    if (std::memcmp(&out[off + 1], &n.data[i + 1], l) != 0) return false;
    off += l + 1;
    i += l + 1;
  }
}

void MessageWriter::write_name(const Name& n, bool compress) {
  if (n.len == 0) {
    out_.push_back(0);
    return;
  }
  // Find the longest suffix already in the message; emit the labels before it, then a pointer.
  // Only names finished before this one are targets: this name's own labels are not
  // terminated yet (and "aa.aa." must not point into itself).
  const int finished_targets = ntargets_;
  size_t i = 0;
  while (i < n.len && n.data[i] != 0) {
    if (compress) {
      for (int t = 0; t < finished_targets; ++t) {
        if (suffix_matches(out_, targets_[t], n, i)) {
          out_.push_back(static_cast<uint8_t>(0xc0 | (targets_[t] >> 8)));
          out_.push_back(static_cast<uint8_t>(targets_[t]));
          return;
        }
      }
    }
    if (out_.size() < 0x3fff && ntargets_ < kMaxTargets) {
      targets_[ntargets_++] = static_cast<uint16_t>(out_.size());
    }
    out_.insert(out_.end(), n.data + i, n.data + i + n.data[i] + 1);
    i += n.data[i] + 1;
  }
  out_.push_back(0);
}

}  // namespace cxxdns::dns
