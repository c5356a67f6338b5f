#include "plugins/cache/stored_names.h"

#include "core/dns/rdata.h"
#include "core/dns/writer.h"

namespace cxxdns::plugins::cache {

namespace {

constexpr uint32_t kQuestionName = dns::kHeaderSize;  // where the question's name starts

// The owner is written as a pointer to the question's name, and nothing else.
bool owner_points_at_question(std::span<const uint8_t> msg, const dns::RecordRef& r) {
  return r.type_offset == r.offset + 2 && msg[r.offset] == 0xc0 &&
         msg[r.offset + 1] == kQuestionName;
}

// The owner is the question's name, in any case and however it is written.
bool owner_is_question(std::span<const uint8_t> msg, const dns::RecordRef& r,
                       const dns::QueryView& q) {
  if (owner_points_at_question(msg, r)) return true;
  dns::Name owner;
  size_t at = r.offset;
  if (!dns::read_name(msg, at, owner)) return false;
  owner.to_lower();
  return owner == q.qname_lower;
}

// Some name of `r` other than an owner pointing at the question reads the question's name.
bool reads_question(std::span<const uint8_t> msg, const dns::RecordRef& r,
                    const dns::QueryView& q) {
  const uint32_t name_end = kQuestionName + q.qname.len;
  if (!owner_points_at_question(msg, r) &&
      (dns::name_points_into(msg, r.offset, kQuestionName, name_end) ||
       owner_is_question(msg, r, q))) {
    return true;
  }
  dns::RdataPart parts[dns::kMaxRdataParts];
  const int n = dns::rdata_parts(msg, r, parts);
  for (int i = 0; i < n; ++i) {
    if (parts[i].name && dns::name_points_into(msg, parts[i].offset, kQuestionName, name_end)) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool names_need_rewrite(std::span<const uint8_t> msg, const dns::AnswerShape& shape,
                        const dns::QueryView& q) {
  bool need = false;
  dns::walk_records_after(msg, shape.question_end, [&](const dns::RecordRef& r) {
    need = r.type != dns::type::OPT && reads_question(msg, r, q);
    return !need;
  });
  return need;
}

bool rewrite_names(std::span<const uint8_t> msg, const dns::AnswerShape& shape,
                   const dns::QueryView& q, std::vector<uint8_t>& out) {
  dns::Header h = shape.hdr;
  h.qdcount = 1;
  h.ancount = h.nscount = h.arcount = 0;
  dns::MessageWriter w(out);
  w.start(h);
  // The question as stored; no name written after it points into it but the owners that
  // are it.
  w.rd_bytes(msg.subspan(kQuestionName, shape.question_end - kQuestionName));
  w.forget_names();
  bool ok = dns::walk_records_after(msg, shape.question_end, [&](const dns::RecordRef& r) {
    w.section(r.section);
    const bool at_question = r.type != dns::type::OPT && owner_is_question(msg, r, q);
    return w.copy_rr(msg, r, at_question ? static_cast<int>(kQuestionName) : -1);
  });
  // walk_records_after returns true when the callback stopped it: count the records.
  return ok && dns::Header::read(out.data()).ancount == shape.hdr.ancount &&
         dns::Header::read(out.data()).nscount == shape.hdr.nscount &&
         dns::Header::read(out.data()).arcount == shape.hdr.arcount;
}

}  // namespace cxxdns::plugins::cache
