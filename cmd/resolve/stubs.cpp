#include "cmd/resolve/stubs.h"

#include <algorithm>

namespace cxxdns::resolve {

namespace {

bool rooted(const std::string& name) {
  return !name.empty() && name.back() == '.';
}

std::string absolute(const std::string& name) {
  return rooted(name) ? name : name + ".";
}

std::string with_domain(const std::string& name, const std::string& domain) {
  std::string n = name;
  n += '.';
  n += domain;
  n += '.';
  return n;
}

int total_addresses(const Lookup& l) {
  int n = 0;
  for (const Reply& r : l.replies) n += r.addresses;
  return n;
}

// ---- glibc -------------------------------------------------------------------------

// What __res_context_query makes of a candidate's answers: found when one is NOERROR with
// records (a CNAME alone counts); else its h_errno from A's rcode, or AAAA's when A's is
// NOERROR.
enum class GlibcResult { found, not_found, no_data, servfail, no_recovery };

GlibcResult glibc_result(const Lookup& l) {
  for (const Reply& r : l.replies) {
    if (r.rcode == "NOERROR" && r.ancount > 0) return GlibcResult::found;
  }
  const Reply& first = l.replies.front();
  const std::string& rc =
      first.rcode == "NOERROR" && l.replies.size() > 1 ? l.replies[1].rcode : first.rcode;
  if (rc == "NOERROR") return GlibcResult::no_data;
  if (rc == "NXDOMAIN") return GlibcResult::not_found;
  if (rc == "SERVFAIL") return GlibcResult::servfail;
  return GlibcResult::no_recovery;  // REFUSED, FORMERR, NOTIMP, a timeout
}

std::string glibc_error(GlibcResult r) {
  switch (r) {
    case GlibcResult::no_data:
      return "NODATA (No address associated with hostname)";
    case GlibcResult::not_found:
      return "NXDOMAIN (Name or service not known)";
    case GlibcResult::servfail:
      return "SERVFAIL (Temporary failure in name resolution)";
    default:
      return "failure (Non-recoverable failure in name resolution)";
  }
}

// The stub has stopped on a candidate with records: the application gets them, or, for an
// address lookup whose records hold no address (a CNAME alone), an error.
void stop_at(StubResult& r, const Lookup& l, bool addresses) {
  r.chosen = static_cast<int>(r.asked.size()) - 1;
  r.found = !addresses || total_addresses(l) > 0;
  if (!r.found) r.error = "no address in the answer (Name or service not known)";
}

struct GlibcWalk {
  StubResult& r;
  Asker& asker;
  bool addresses;

  GlibcResult try_name(const std::string& fqdn) {
    r.asked.push_back(fqdn);
    const Lookup& l = asker.ask(fqdn);
    const GlibcResult g = glibc_result(l);
    if (g == GlibcResult::found) stop_at(r, l, addresses);
    return g;
  }
};

}  // namespace

int dots_in(const std::string& name) {
  const std::string n = rooted(name) ? name.substr(0, name.size() - 1) : name;
  return static_cast<int>(std::count(n.begin(), n.end(), '.'));
}

StubResult glibc_lookup(const std::string& name, const StubConfig& c, Asker& asker,
                        bool addresses) {
  StubResult r;
  r.stub = "glibc";
  GlibcWalk walk{r, asker, addresses};
  const bool as_is_first = dots_in(name) >= c.ndots || rooted(name);
  GlibcResult saved = GlibcResult::not_found;
  if (as_is_first) {
    saved = walk.try_name(absolute(name));
    if (saved == GlibcResult::found || rooted(name)) {
      if (saved != GlibcResult::found) r.error = glibc_error(saved);
      return r;
    }
  }
  // The search list: NXDOMAIN and NODATA walk on, and so does SERVFAIL ("try next search
  // element"); any other failure (REFUSED, FORMERR, a timeout) stops the walk.
  bool got_nodata = false, got_servfail = false;
  for (const std::string& domain : c.search) {
    const GlibcResult g = walk.try_name(with_domain(name, domain));
    if (g == GlibcResult::found) return r;
    got_nodata = got_nodata || g == GlibcResult::no_data;
    got_servfail = got_servfail || g == GlibcResult::servfail;
    if (g == GlibcResult::no_recovery) break;
  }
  // Then the name as given, unless it came first.
  if (!as_is_first) {
    saved = walk.try_name(absolute(name));
    if (saved == GlibcResult::found) return r;
  }
  r.error = glibc_error(got_nodata     ? GlibcResult::no_data
                        : got_servfail ? GlibcResult::servfail
                                       : saved);
  return r;
}

namespace {

// ---- musl --------------------------------------------------------------------------

// name_from_dns: the answers in the order asked, the first that is not NOERROR decides.
enum class MuslResult { found, next, stop };

MuslResult musl_result(const Lookup& l, bool addresses, std::string& error) {
  for (const Reply& r : l.replies) {
    if (r.rcode == "SERVFAIL" || r.rcode == "TIMEOUT") {
      error = "EAI_AGAIN (" + r.rcode + ")";
      return MuslResult::stop;
    }
    if (r.rcode == "NXDOMAIN") return MuslResult::next;
    if (r.rcode != "NOERROR") {
      error = "EAI_FAIL (" + r.rcode + ")";
      return MuslResult::stop;
    }
  }
  // No TCP fallback: a truncated answer counts with what it held.
  int found = 0;
  for (const Reply& r : l.replies) found += addresses ? r.udp_addresses : r.ancount;
  if (found > 0) return MuslResult::found;
  error = "EAI_NODATA (NOERROR without an address)";
  return MuslResult::stop;
}

}  // namespace

StubResult musl_lookup(const std::string& name, const StubConfig& c, Asker& asker, bool addresses) {
  StubResult r;
  r.stub = "musl";
  auto try_name = [&](const std::string& fqdn) {
    r.asked.push_back(fqdn);
    const MuslResult m = musl_result(asker.ask(fqdn), addresses, r.error);
    if (m == MuslResult::found) {
      r.chosen = static_cast<int>(r.asked.size()) - 1;
      r.found = true;
    }
    return m;
  };
  // With ndots dots or more (or a final dot) musl asks the name as given, and only it.
  if (dots_in(name) < c.ndots && !rooted(name)) {
    for (const std::string& domain : c.search) {
      if (try_name(with_domain(name, domain)) != MuslResult::next) return r;
    }
  }
  if (try_name(absolute(name)) == MuslResult::next) r.error = "EAI_NONAME (NXDOMAIN)";
  return r;
}

namespace {

// Go's conf.nameList: the name first when it has ndots dots, else last; rooted: alone.
std::vector<std::string> go_names(const std::string& name, const StubConfig& c) {
  if (rooted(name)) return {name};
  std::vector<std::string> names;
  const bool has_ndots = dots_in(name) >= c.ndots;
  if (has_ndots) names.push_back(absolute(name));
  for (const std::string& domain : c.search) names.push_back(with_domain(name, domain));
  if (!has_ndots) names.push_back(absolute(name));
  return names;
}

}  // namespace

StubResult go_lookup(const std::string& name, const StubConfig& c, Asker& asker, bool addresses) {
  StubResult r;
  r.stub = "Go";
  const std::vector<std::string> names = go_names(name, c);
  // Every failure walks on (StrictErrors is off by default); the first name with
  // addresses (or records) wins.
  std::string last_error;
  for (const std::string& fqdn : names) {
    r.asked.push_back(fqdn);
    const Lookup& l = asker.ask(fqdn);
    int found = 0;
    for (const Reply& rep : l.replies) {
      if (rep.rcode == "NOERROR") found += addresses ? rep.addresses : rep.ancount;
      if (rep.rcode != "NOERROR" && (last_error.empty() || fqdn == absolute(name))) {
        last_error = rep.rcode;
      }
    }
    if (found > 0) {
      r.chosen = static_cast<int>(r.asked.size()) - 1;
      r.found = true;
      return r;
    }
  }
  r.error = "no such host" + (last_error.empty() ? std::string() : " (" + last_error + ")");
  return r;
}

}  // namespace cxxdns::resolve
