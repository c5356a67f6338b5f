#include "plugins/pkg/zone/parse.h"

#include <ldns/ldns.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>

namespace cxxdns::pkg::zone {
namespace {

constexpr int kMaxIncludeDepth = 7;  // as miekg/dns

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = std::move(ss).str();
  return true;
}

std::string folder_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
}

// One ldns record as a RecordView (its wire form, uncompressed, in `wire`).
bool to_view(const ldns_rr* rr, std::vector<uint8_t>& wire, RecordView& out) {
  uint8_t* buf = nullptr;
  size_t size = 0;
  if (ldns_rr2wire(&buf, rr, LDNS_SECTION_ANSWER, &size) != LDNS_STATUS_OK) return false;
  wire.assign(buf, buf + size);
  free(buf);
  size_t off = 0;
  if (!dns::read_name(wire, off, out.owner) || off + 10 > wire.size()) return false;
  out.type = dns::get16(&wire[off]);
  out.klass = dns::get16(&wire[off + 2]);
  out.ttl = dns::get32(&wire[off + 4]);
  size_t rdlen = dns::get16(&wire[off + 8]);
  if (off + 10 + rdlen != wire.size()) return false;
  out.rdata = std::span<const uint8_t>(wire).subspan(off + 10, rdlen);
  return true;
}

// A "$INCLUDE FILE [ORIGIN]" line: its words.
bool is_include(std::string_view line) {
  constexpr std::string_view kWord = "$include";
  if (line.size() < kWord.size()) return false;
  for (size_t i = 0; i < kWord.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != kWord[i]) return false;
  }
  return line.size() == kWord.size() ||
         std::isspace(static_cast<unsigned char>(line[kWord.size()]));
}

std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= line.size() || line[i] == ';') break;
    size_t j = i;
    while (j < line.size() && !std::isspace(static_cast<unsigned char>(line[j]))) ++j;
    out.emplace_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

// Reads zone text into `on_record` (which returns false to stop).
class Reader {
 public:
  using OnRecord = std::function<bool(const RecordView&)>;
  explicit Reader(OnRecord f) : on_record_(std::move(f)) {}

  // `origin` is taken (and freed); `ttl` is the default TTL so far.
  bool read(std::string_view text, const std::string& name, ldns_rdf* origin, uint32_t ttl,
            int depth);
  const std::string& error() const { return error_; }

 private:
  bool segment(std::string_view text, const std::string& name, int first_line, ldns_rdf** origin,
               uint32_t* ttl);
  bool include(std::string_view line, const std::string& name, int line_nr, const ldns_rdf* origin,
               uint32_t ttl, int depth);
  bool fail(const std::string& name, int line, std::string_view what) {
    error_ = name + ":" + std::to_string(line) + ": " + std::string(what);
    return false;
  }

  OnRecord on_record_;
  std::string error_;
  bool stopped_ = false;
  ldns_rdf* prev_ = nullptr;  // the owner of the previous record (for lines without one)
  std::vector<uint8_t> wire_;

 public:
  ~Reader() {
    if (prev_) ldns_rdf_deep_free(prev_);
  }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
};

bool Reader::read(std::string_view text, const std::string& name, ldns_rdf* origin, uint32_t ttl,
                  int depth) {
  // ldns reads the records; the $INCLUDE lines split the text into the parts it reads.
  size_t start = 0, line_start = 0;
  int line = 1, segment_line = 1;
  bool ok = true;
  while (ok && !stopped_ && line_start <= text.size()) {
    size_t eol = text.find('\n', line_start);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view l = text.substr(line_start, eol - line_start);
    if (is_include(l)) {
      ok = segment(text.substr(start, line_start - start), name, segment_line, &origin, &ttl) &&
           (stopped_ || include(l, name, line, origin, ttl, depth));
      start = eol + 1;
      segment_line = line + 1;
    }
    line_start = eol + 1;
    ++line;
  }
  if (ok && !stopped_ && start < text.size()) {
    ok = segment(text.substr(start), name, segment_line, &origin, &ttl);
  }
  if (origin) ldns_rdf_deep_free(origin);
  return ok;
}

bool Reader::segment(std::string_view text, const std::string& name, int first_line,
                     ldns_rdf** origin, uint32_t* ttl) {
  if (text.empty()) return true;
  std::string copy(text);  // fmemopen wants a mutable buffer
  FILE* fp = fmemopen(copy.data(), copy.size(), "r");
  if (!fp) return fail(name, first_line, "cannot read");
  int line = first_line;
  bool ok = true;
  while (ok && !stopped_) {
    ldns_rr* rr = nullptr;
    const int at = line;
    ldns_status s = ldns_rr_new_frm_fp_l(&rr, fp, ttl, origin, &prev_, &line);
    if (s == LDNS_STATUS_OK) {
      RecordView v;
      if (!to_view(rr, wire_, v)) {
        ok = fail(name, at, "cannot encode record");
      } else if (!on_record_(v)) {
        stopped_ = true;
      }
      ldns_rr_free(rr);
    } else if (s != LDNS_STATUS_SYNTAX_EMPTY && s != LDNS_STATUS_SYNTAX_TTL &&
               s != LDNS_STATUS_SYNTAX_ORIGIN) {
      if (rr) ldns_rr_free(rr);
      ok = fail(name, at, ldns_get_errorstr_by_id(s));
    }
    if (feof(fp)) break;
  }
  fclose(fp);
  return ok;
}

bool Reader::include(std::string_view line, const std::string& name, int line_nr,
                     const ldns_rdf* origin, uint32_t ttl, int depth) {
  auto w = words(line);
  if (w.size() < 2 || w.size() > 3) return fail(name, line_nr, "bad $INCLUDE line");
  if (depth >= kMaxIncludeDepth) return fail(name, line_nr, "too deeply nested $INCLUDE");
  std::string path = w[1];
  if (path[0] != '/') path = folder_of(name) + path;
  std::string text;
  if (!read_file(path, text)) return fail(name, line_nr, "cannot read $INCLUDE file " + path);
  ldns_rdf* inner = nullptr;
  if (w.size() == 3) {
    // A relative origin is taken from the current one.
    if (ldns_str2rdf_dname(&inner, w[2].c_str()) != LDNS_STATUS_OK) {
      return fail(name, line_nr, "bad $INCLUDE origin " + w[2]);
    }
    if (!ldns_dname_str_absolute(w[2].c_str()) && origin) {
      (void)ldns_dname_cat(inner, origin);
    }
  } else if (origin) {
    inner = ldns_rdf_clone(origin);
  }
  // The origin in force after the included file is the one before it (RFC 1035 5.1).
  return read(text, path, inner, ttl, depth + 1);
}

ldns_rdf* origin_rdf(const dns::Name& origin) {
  std::string text = dns::to_text(origin);
  ldns_rdf* r = nullptr;
  if (ldns_str2rdf_dname(&r, text.c_str()) != LDNS_STATUS_OK) return nullptr;
  return r;
}

}  // namespace

ParseResult parse_zone_text(std::string_view text, const std::string& name,
                            const dns::Name& origin) {
  ParseResult out;
  ZoneBuilder builder(origin);
  std::string add_error;
  Reader reader([&](const RecordView& rr) {
    add_error = builder.add(rr);
    return add_error.empty();
  });
  const bool ok = reader.read(text, name, origin_rdf(origin), 3600, 0);
  if (!add_error.empty()) {
    out.error = add_error;
    return out;
  }
  if (!ok) {
    out.error = reader.error();
    return out;
  }
  out.outside = builder.outside();
  std::string error;
  out.zone = builder.build(error);
  if (!out.zone) out.error = "file \"" + name + "\" " + error;
  return out;
}

ParseResult parse_zone_file(const std::string& path, const dns::Name& origin) {
  std::string text;
  if (!read_file(path, text)) {
    ParseResult out;
    out.error = "cannot read " + path;
    return out;
  }
  return parse_zone_text(text, path, origin);
}

bool peek_serial(std::string_view text, const std::string& name, const dns::Name& origin,
                 uint32_t& serial) {
  bool found = false;
  Reader reader([&](const RecordView& rr) {
    if (rr.type != dns::type::SOA) return true;
    SoaFields f;
    found = read_soa(rr.rdata, f);
    serial = f.serial;
    return false;
  });
  reader.read(text, name, origin_rdf(origin), 3600, 0);
  return found;
}

}  // namespace cxxdns::pkg::zone
