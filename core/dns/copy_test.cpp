// copy_record: records copied into another message keep their names whole, whatever the
// source compressed them against.
#include <catch2/catch.hpp>

#include "core/dns/copy.h"
#include "core/dns/writer.h"
#include "core/plugin/testing.h"

namespace dns = cxxdns::dns;

namespace {

constexpr uint16_t kDname = 39;  // RFC 6672

dns::Name name(const char* text) {
  dns::Name n;
  REQUIRE(dns::from_text(text, n));
  return n;
}

// A source message with compressed names everywhere: answer CNAME, MX, SRV and SOA records,
// an A record in the additional section, an OPT record with an option.
std::vector<uint8_t> source() {
  std::vector<uint8_t> msg;
  dns::MessageWriter w(msg);
  dns::Header h;
  h.flags = dns::flag::QR;
  w.start(h);
  w.question(name("www.example.org."), dns::type::A, dns::cls::IN);
  w.name_rr(name("www.example.org."), dns::type::CNAME, 60, name("web.example.org."));
  w.begin_rr(name("example.org."), dns::type::MX, dns::cls::IN, 60);
  w.rd_u16(10);
  w.rd_name(name("mail.example.org."));
  w.end_rr();
  w.begin_rr(name("_x._tcp.example.org."), dns::type::SRV, dns::cls::IN, 60);
  w.rd_u16(0);
  w.rd_u16(5);
  w.rd_u16(443);
  w.rd_name(name("web.example.org."), false);
  w.end_rr();
  w.section(dns::Section::authority);
  w.begin_rr(name("example.org."), dns::type::SOA, dns::cls::IN, 300);
  w.rd_name(name("ns.example.org."));
  w.rd_name(name("hostmaster.example.org."));
  for (uint32_t v : {1u, 2u, 3u, 4u, 5u}) w.rd_u32(v);
  w.end_rr();
  w.section(dns::Section::additional);
  const uint8_t a[4] = {192, 0, 2, 1};
  w.a(name("web.example.org."), 60, a);
  w.begin_rr(name("."), dns::type::OPT, 1232, 0);
  const uint8_t opt[] = {0, 3, 0, 2, 'h', 'i'};
  w.rd_bytes(opt);
  w.end_rr();
  return msg;
}

}  // namespace

TEST_CASE("copy_record: a message copied under another question reads the same", "[copy]") {
  const auto src = source();
  std::vector<uint8_t> out;
  dns::MessageWriter w(out);
  dns::Header h;
  h.flags = dns::flag::QR;
  w.start(h);
  // A longer question: every offset the source compressed against moves.
  w.question(name("www.example.org.default.svc.cluster.local."), dns::type::A, dns::cls::IN);
  const dns::Name owner = name("www.example.org.default.svc.cluster.local.");
  bool first = true;
  REQUIRE(dns::walk_records(src, [&](const dns::RecordRef& r) {
    w.section(r.section);
    REQUIRE(dns::copy_record(src, r, w, first ? &owner : nullptr));
    first = false;
    return true;
  }));
  auto a = cxxdns::testing::parse_answer(out);
  REQUIRE(a.answered);
  CHECK(a.answer ==
        std::vector<std::string>{
            "www.example.org.default.svc.cluster.local.\t60\tIN\tCNAME\tweb.example.org.",
            "example.org.\t60\tIN\tMX\t10 mail.example.org.",
            "_x._tcp.example.org.\t60\tIN\tSRV\t0 5 443 web.example.org.",
        });
  CHECK(a.authority ==
        std::vector<std::string>{
            "example.org.\t300\tIN\tSOA\tns.example.org. hostmaster.example.org. 1 2 "
            "3 4 5"});
  CHECK(a.additional == std::vector<std::string>{"web.example.org.\t60\tIN\tA\t192.0.2.1"});
  CHECK(a.has_opt);
}

TEST_CASE("copy_record: a name that does not read is refused", "[copy]") {
  auto src = source();
  // Point the CNAME's target at itself: a pointer loop.
  dns::RecordRef cname{};
  REQUIRE(dns::walk_records(src, [&](const dns::RecordRef& r) {
    if (r.type == dns::type::CNAME) cname = r;
    return r.type != dns::type::CNAME;
  }));
  src[cname.rdata_offset] = static_cast<uint8_t>(0xc0 | (cname.rdata_offset >> 8));
  src[cname.rdata_offset + 1] = static_cast<uint8_t>(cname.rdata_offset);
  std::vector<uint8_t> out;
  dns::MessageWriter w(out);
  w.start(dns::Header{});
  CHECK_FALSE(dns::copy_record(src, cname, w));
}

TEST_CASE("copy_record: a compressed DNAME target is read whole, written uncompressed", "[copy]") {
  // Some servers compress a DNAME's target (RFC 6672 says they must not): the copy follows
  // the pointer, and writes the target in full, as RFC 3597 wants for types after RFC 1035.
  std::vector<uint8_t> src;
  dns::MessageWriter sw(src);
  dns::Header h;
  h.flags = dns::flag::QR;
  sw.start(h);
  sw.question(name("a.old.example.org."), dns::type::A, dns::cls::IN);
  sw.begin_rr(name("old.example.org."), kDname, dns::cls::IN, 60);
  sw.rd_name(name("new.example.org."));  // compressed against the question
  sw.end_rr();
  dns::RecordRef dname{};
  REQUIRE(dns::walk_records(src, [&](const dns::RecordRef& r) {
    dname = r;
    return false;
  }));
  REQUIRE(dname.type == kDname);
  REQUIRE(dname.rdata_len < name("new.example.org.").len);  // the source did compress it

  std::vector<uint8_t> out;
  dns::MessageWriter w(out);
  w.start(h);
  w.question(name("a.old.example.org."), dns::type::A, dns::cls::IN);
  REQUIRE(dns::copy_record(src, dname, w));
  dns::RecordRef copied{};
  REQUIRE(dns::walk_records(out, [&](const dns::RecordRef& r) {
    copied = r;
    return false;
  }));
  CHECK(copied.rdata_len == name("new.example.org.").len);
  auto a = cxxdns::testing::parse_answer(out);
  CHECK(a.answer == std::vector<std::string>{"old.example.org.\t60\tIN\tDNAME\tnew.example.org."});
}
