// Builds DNS messages in wire form into a caller's buffer, with name compression.
//
// Our own rather than ldns: plugins that build answers (kubernetes, hosts, fakeip, whoami)
// do it on the query path, and ldns builds every record from heap-allocated rdf objects.
// This writer appends bytes to a reused buffer and allocates nothing once it has grown.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/dns/message.h"
#include "core/dns/name.h"

namespace cxxdns::dns {

class MessageWriter {
 public:
  // Clears `out` and writes into it.
  explicit MessageWriter(std::vector<uint8_t>& out);

  // A reply to `q`: its ID, opcode, RD and CD bits, QR set, the given rcode and the
  // question as the client sent it (the name's case kept).
  void start_reply(const QueryView& q, uint8_t rcode, bool authoritative);
  void start(const Header& h);
  void question(const Name& name, uint16_t qtype, uint16_t qclass);

  // Records go to the current section; sections only move forward.
  void section(Section s) { section_ = s; }

  // A record: begin_rr, then rdata through the rd_* calls, then end_rr.
  void begin_rr(const Name& owner, uint16_t type, uint16_t klass, uint32_t ttl);
  void rd_name(const Name& n, bool compress = true);
  void rd_u8(uint8_t v) { out_.push_back(v); }
  void rd_u16(uint16_t v);
  void rd_u32(uint32_t v);
  void rd_bytes(std::span<const uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  // TXT character-strings: split in 255-byte pieces.
  void rd_text(std::string_view s);
  void end_rr();

  // Appends record `r` of another message `src` to the current section: its owner and the
  // names in its RDATA (rdata.h) read out of `src` and written here again, compressed against
  // this message where their type allows. `owner_at` >= 0: the owner is written as a pointer
  // to that offset of this message instead (a name known to be there). False, and nothing
  // written, when the record does not read.
  bool copy_rr(std::span<const uint8_t> src, const RecordRef& r, int owner_at = -1);
  // Names written so far stop being compression targets (the question, when later names
  // must not change with it).
  void forget_names() { ntargets_ = 0; }

  // Common records.
  void a(const Name& owner, uint32_t ttl, const uint8_t addr[4], uint16_t klass = cls::IN);
  void aaaa(const Name& owner, uint32_t ttl, const uint8_t addr[16], uint16_t klass = cls::IN);
  void name_rr(const Name& owner, uint16_t type, uint32_t ttl, const Name& target,
               uint16_t klass = cls::IN);  // CNAME, PTR, NS
  void opt(uint16_t udp_size, bool do_bit, uint8_t ext_rcode = 0);
  // Appends an OPT record to a finished message (one that has none), fixing ARCOUNT.
  static void append_opt(std::vector<uint8_t>& msg, uint16_t udp_size, bool do_bit);

  void set_flags(uint16_t set, uint16_t clear = 0);
  void set_rcode(uint8_t rcode);
  size_t size() const { return out_.size(); }
  std::vector<uint8_t>& buffer() { return out_; }

 private:
  void write_name(const Name& n, bool compress);
  void bump_count();

  std::vector<uint8_t>& out_;
  Section section_ = Section::answer;
  size_t rr_len_pos_ = 0;
  // Offsets of names already written, for compression; a small fixed table keeps this
  // allocation-free, names past it are simply not used as targets.
  static constexpr int kMaxTargets = 64;
  uint16_t targets_[kMaxTargets];
  int ntargets_ = 0;
};

}  // namespace cxxdns::dns
