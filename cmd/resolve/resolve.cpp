#include "cmd/resolve/resolve.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/dns/message.h"
#include "core/dns/text.h"
#include "core/dns/writer.h"
#include "core/plugin/testing.h"

// Last: ldns's C headers define `false` and `true` as macros, which breaks C++ headers after them.
#include <ldns/ldns.h>

namespace cxxdns::resolve {

namespace {

constexpr uint16_t kExplainOption = 65330;  // the explain plugin's EDNS option

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string strip_dot(std::string s) {
  while (s.size() > 1 && s.back() == '.') s.pop_back();
  return s;
}

bool split_host_port(const std::string& s, std::string& host, uint16_t& port) {
  host = s;
  if (!s.empty() && s[0] == '[') {
    auto close = s.find(']');
    if (close == std::string::npos) return false;
    host = s.substr(1, close - 1);
    if (close + 1 < s.size() && s[close + 1] == ':') port = std::stoi(s.substr(close + 2));
    return true;
  }
  auto colon = s.rfind(':');
  if (colon != std::string::npos && s.find(':') == colon) {
    host = s.substr(0, colon);
    port = static_cast<uint16_t>(std::stoi(s.substr(colon + 1)));
  }
  return true;
}

// As getaddrinfo asks: no EDNS, unless --trace needs the explain option in an OPT.
std::vector<uint8_t> build_query(const std::string& name, uint16_t qtype, bool trace, uint16_t id) {
  testing::QueryOptions o;
  o.bufsize = trace ? 1232 : 0;
  o.id = id;
  auto m = testing::make_query(name, qtype, o);
  if (trace) {
    m[m.size() - 1] = 4;  // the OPT record is last: its RDLENGTH becomes one empty option
    m.insert(m.end(), {static_cast<uint8_t>(kExplainOption >> 8),
                       static_cast<uint8_t>(kExplainOption & 0xff), 0, 0});
  }
  return m;
}

// One exchange; empty on timeout. TCP when `tcp`.
std::vector<uint8_t> exchange(const std::vector<uint8_t>& q, const StubConfig& c, bool tcp) {
  sockaddr_storage ss{};
  socklen_t len;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, c.server.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET, v4->sin_port = htons(c.port), len = sizeof *v4;
  } else if (inet_pton(AF_INET6, c.server.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6, v6->sin6_port = htons(c.port), len = sizeof *v6;
  } else {
    return {};
  }
  int fd = socket(ss.ss_family, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
  if (fd < 0) return {};
  std::vector<uint8_t> out;
  timeval tv{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) {
    if (tcp) {
      std::vector<uint8_t> framed = {static_cast<uint8_t>(q.size() >> 8),
                                     static_cast<uint8_t>(q.size())};
      framed.insert(framed.end(), q.begin(), q.end());
      uint8_t lenbuf[2];
      if (send(fd, framed.data(), framed.size(), 0) == ssize_t(framed.size()) &&
          recv(fd, lenbuf, 2, MSG_WAITALL) == 2) {
        out.resize(dns::get16(lenbuf));
        if (recv(fd, out.data(), out.size(), MSG_WAITALL) != ssize_t(out.size())) out.clear();
      }
    } else if (send(fd, q.data(), q.size(), 0) == ssize_t(q.size())) {
      out.resize(65535);
      ssize_t n = recv(fd, out.data(), out.size(), 0);
      out.resize(n > 0 ? n : 0);
    }
  }
  close(fd);
  return out;
}

// The explain record: TXT in the additional section; its strings are the steps.
std::vector<std::string> explain_steps(const std::vector<uint8_t>& wire) {
  std::vector<std::string> steps;
  ldns_pkt* pkt = nullptr;
  if (ldns_wire2pkt(&pkt, wire.data(), wire.size()) != LDNS_STATUS_OK) return steps;
  ldns_rr_list* add = ldns_pkt_additional(pkt);
  for (size_t i = 0; i < ldns_rr_list_rr_count(add); ++i) {
    ldns_rr* rr = ldns_rr_list_rr(add, i);
    if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TXT) continue;
    for (size_t k = 0; k < ldns_rr_rd_count(rr); ++k) {
      const uint8_t* d = ldns_rdf_data(ldns_rr_rdf(rr, k));
      steps.emplace_back(reinterpret_cast<const char*>(d + 1), d[0]);
    }
  }
  ldns_pkt_free(pkt);
  return steps;
}

// Records of type `qtype` among presentation lines ("name.\tTTL\tIN\tA\t10.0.0.1").
int records_of(const std::vector<std::string>& lines, uint16_t qtype) {
  char buf[16];
  const std::string want = "\tIN\t" + std::string(dns::type_name(qtype, buf)) + "\t";
  int n = 0;
  for (auto& l : lines) n += l.find(want) != std::string::npos;
  return n;
}

Reply ask(const std::string& name, uint16_t qtype, const StubConfig& c, bool trace) {
  Reply a;
  a.qtype = qtype;
  auto start = std::chrono::steady_clock::now();
  uint16_t id = static_cast<uint16_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  auto q = build_query(name, qtype, trace, id);
  auto r = exchange(q, c, false);
  if (r.size() >= dns::kHeaderSize && (dns::get16(r.data() + 2) & dns::flag::TC)) {
    a.truncated = true;
    a.udp_addresses = records_of(testing::parse_answer(r).answer, qtype);
    r = exchange(q, c, true);
  }
  a.ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (r.empty()) {
    a.rcode = "TIMEOUT";
    return a;
  }
  auto parsed = testing::parse_answer(r);
  a.rcode = parsed.rcode;
  a.answers = parsed.answer;
  a.ancount = static_cast<int>(parsed.answer.size());
  a.addresses = records_of(parsed.answer, qtype);
  if (!a.truncated) a.udp_addresses = a.addresses;
  if (trace) a.steps = explain_steps(r);
  return a;
}

// Asks each name once (A and AAAA, or one type) and remembers the answers.
class NetworkAsker final : public Asker {
 public:
  NetworkAsker(const StubConfig& c, uint16_t qtype, bool trace)
      : c_(c), qtype_(qtype), trace_(trace) {}
  const Lookup& ask(const std::string& fqdn) override {
    for (auto& l : asked_) {
      if (l.name == fqdn) return l;
    }
    Lookup l;
    l.name = fqdn;
    if (qtype_ != 0) {
      l.replies.push_back(resolve::ask(fqdn, qtype_, c_, trace_));
    } else {
      l.replies.push_back(resolve::ask(fqdn, dns::type::A, c_, trace_));
      l.replies.push_back(resolve::ask(fqdn, dns::type::AAAA, c_, trace_));
    }
    asked_.push_back(std::move(l));
    return asked_.back();
  }

 private:
  StubConfig c_;
  uint16_t qtype_;
  bool trace_;
  std::deque<Lookup> asked_;  // references stay valid as it grows
};

// A lookup as one line of glibc's path.
Attempt attempt_of(const Lookup& l) {
  Attempt a;
  a.name = l.name;
  a.replies = l.replies;
  const Reply& first = l.replies.front();
  a.rcode = first.rcode == "NOERROR" && l.replies.size() > 1 ? l.replies[1].rcode : first.rcode;
  for (const Reply& r : l.replies) {
    if (r.rcode == "NOERROR" && r.ancount > 0) a.rcode = "NOERROR";
    a.answers.insert(a.answers.end(), r.answers.begin(), r.answers.end());
    a.steps.insert(a.steps.end(), r.steps.begin(), r.steps.end());
    a.ms += r.ms;
  }
  return a;
}

}  // namespace

StubConfig parse_resolv_conf(const std::string& text) {
  StubConfig c;
  bool have_server = false;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto w = words(line.substr(0, line.find_first_of("#;")));
    if (w.empty()) continue;
    if (w[0] == "nameserver" && w.size() > 1 && !have_server) {
      c.server = w[1];
      have_server = true;
    } else if ((w[0] == "search" || w[0] == "domain") && w.size() > 1) {
      c.search.clear();  // the last search/domain line wins, as in glibc
      for (size_t i = 1; i < w.size(); ++i) c.search.push_back(strip_dot(w[i]));
    } else if (w[0] == "options") {
      for (size_t i = 1; i < w.size(); ++i) {
        if (w[i].rfind("ndots:", 0) == 0) c.ndots = std::min(15, std::stoi(w[i].substr(6)));
      }
    }
  }
  return c;
}

std::vector<std::string> candidates(const std::string& name, const StubConfig& c) {
  if (!name.empty() && name.back() == '.') return {name};
  int dots = static_cast<int>(std::count(name.begin(), name.end(), '.'));
  std::vector<std::string> out;
  if (dots >= c.ndots) out.push_back(name + ".");
  for (auto& d : c.search) {
    std::string n = name;
    n += '.';
    n += d;
    n += '.';
    out.push_back(std::move(n));
  }
  if (dots < c.ndots) out.push_back(name + ".");
  return out;
}

Outcome run(const std::string& name, uint16_t qtype, const StubConfig& c, bool trace) {
  NetworkAsker asker(c, qtype, trace);
  const bool addresses = qtype == 0;
  Outcome o;
  o.stubs.push_back(glibc_lookup(name, c, asker, addresses));
  o.stubs.push_back(musl_lookup(name, c, asker, addresses));
  o.stubs.push_back(go_lookup(name, c, asker, addresses));
  const StubResult& glibc = o.stubs.front();
  for (const std::string& n : glibc.asked) o.attempts.push_back(attempt_of(asker.ask(n)));
  o.chosen = glibc.found ? glibc.chosen : -1;
  return o;
}

namespace {

// What the command line asks.
struct Args {
  std::string name, server, resolv_conf;
  std::string type = "A+AAAA";  // as getaddrinfo asks; --type T asks T alone
  std::vector<std::string> search;
  int ndots = -1;
  bool trace = false, json = false;
};

// Throws std::invalid_argument on an argument it does not know.
Args parse_args(int argc, char** argv) {
  Args r;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--server") {
      r.server = value();
    } else if (a == "--resolv-conf") {
      r.resolv_conf = value();
    } else if (a == "--search") {
      while (i + 1 < argc && argv[i + 1][0] != '-') r.search.push_back(strip_dot(argv[++i]));
    } else if (a == "--ndots") {
      r.ndots = std::stoi(value());
    } else if (a == "--type") {
      r.type = value();
    } else if (a == "--trace") {
      r.trace = true;
    } else if (a == "--json") {
      r.json = true;
    } else if (!a.empty() && a[0] != '-' && r.name.empty()) {
      r.name = a;
    } else {
      throw std::invalid_argument("unknown argument: " + a);
    }
  }
  return r;
}

// The stub's configuration: the resolv.conf (by default /etc/resolv.conf, as a stub
// resolver reads it when nothing else is said), then what the flags override. Empty error
// text on success.
std::string stub_config(const Args& a, StubConfig& c) {
  std::string resolv_conf = a.resolv_conf;
  if (resolv_conf.empty() && a.server.empty() && a.search.empty()) resolv_conf = "/etc/resolv.conf";
  if (!resolv_conf.empty()) {
    std::ifstream in(resolv_conf);
    if (!in) return "cannot read " + resolv_conf;
    std::stringstream ss;
    ss << in.rdbuf();
    c = parse_resolv_conf(ss.str());
  }
  if (!a.search.empty()) c.search = a.search;
  if (a.ndots >= 0) c.ndots = a.ndots;
  if (!a.server.empty() && !split_host_port(a.server, c.server, c.port)) {
    return "bad --server " + a.server;
  }
  return {};
}

nlohmann::json reply_json(const Reply& r) {
  char buf[16];
  return {{"type", std::string(dns::type_name(r.qtype, buf))},
          {"rcode", r.rcode},
          {"answers", r.answers},
          {"truncated", r.truncated},
          {"ms", r.ms}};
}

void print_json(const Args& args, const StubConfig& c, const Outcome& o) {
  nlohmann::json j;
  j["name"] = args.name;
  j["type"] = args.type;
  j["server"] = c.server + ":" + std::to_string(c.port);
  j["ndots"] = c.ndots;
  j["search"] = c.search;
  j["chosen"] = o.chosen;
  j["attempts"] = nlohmann::json::array();
  for (auto& a : o.attempts) {
    nlohmann::json replies = nlohmann::json::array();
    for (auto& r : a.replies) replies.push_back(reply_json(r));
    j["attempts"].push_back({{"name", a.name},
                             {"rcode", a.rcode},
                             {"answers", a.answers},
                             {"steps", a.steps},
                             {"ms", a.ms},
                             {"replies", replies}});
  }
  for (auto& st : o.stubs) {
    j["stubs"][st.stub] = {{"asked", st.asked},
                           {"chosen", st.found ? st.asked[st.chosen] : ""},
                           {"found", st.found},
                           {"error", st.error}};
  }
  std::cout << j.dump(2) << "\n";
}

std::string paint(const std::string& s, const char* code, bool tty) {
  if (!tty) return s;
  std::string out = "\033[";
  out += code;
  out += "m";
  out += s;
  out += "\033[0m";
  return out;
}

// A path without its timings ("answer: NOERROR in 0.1ms" -> "answer: NOERROR").
std::vector<std::string> untimed(const std::vector<std::string>& steps) {
  std::vector<std::string> out;
  out.reserve(steps.size());
  for (const std::string& s : steps) out.push_back(s.substr(0, s.find(" in ")));
  return out;
}

// Each type's path through the server; A and AAAA usually take the same one: shown once.
void print_steps(const Attempt& a) {
  char buf[16];
  for (size_t i = 0; i < a.replies.size(); ++i) {
    const Reply& r = a.replies[i];
    if (i > 0 && untimed(r.steps) == untimed(a.replies[0].steps)) continue;
    const bool labelled = a.replies.size() > 1 && i > 0;
    for (auto& s : r.steps) {
      std::cout << "      | " << (labelled ? std::string(dns::type_name(r.qtype, buf)) + ": " : "")
                << s << "\n";
    }
  }
}

void print_attempt(size_t i, const Attempt& a, size_t width, const char* mark, bool tty) {
  const std::string& rc = a.rcode;
  const char* colour = rc == "NOERROR" ? (a.answers.empty() ? "33" : "32") : "31";
  char head[64];
  std::snprintf(head, sizeof head, "%2zu  ", i + 1);
  std::cout << head << a.name << std::string(width - a.name.size() + 2, ' ')
            << paint(rc + std::string(9 - std::min<size_t>(rc.size(), 8), ' '), colour, tty);
  std::snprintf(head, sizeof head, "%7.2fms", a.ms);
  std::cout << head;
  if (mark) std::cout << "  " << paint(mark, "1", tty);
  std::cout << "\n";
  for (auto& rr : a.answers) std::cout << "      " << rr << "\n";
  print_steps(a);
}

// What one stub's application gets, in a few words.
std::string result_of(const StubResult& r) {
  return r.found ? "the answer to " + r.asked[r.chosen] : "an error: " + r.error;
}

// musl and Go, where their application gets something else than glibc's.
void print_other_stubs(const Outcome& o, bool tty) {
  const StubResult& glibc = o.stubs.front();
  const std::string mine = result_of(glibc);
  for (size_t i = 1; i < o.stubs.size(); ++i) {
    const std::string theirs = result_of(o.stubs[i]);
    if (theirs == mine) continue;
    std::cout << paint(o.stubs[i].stub, "33", tty) << " (" << o.stubs[i].asked.size()
              << " names asked) would return " << theirs << "\n";
  }
}

void print_text(const Args& args, const StubConfig& c, const Outcome& o) {
  const bool tty = isatty(STDOUT_FILENO);
  std::string search_text;
  for (auto& d : c.search) search_text += " " + d;
  std::cout << "resolving " << args.name << " " << args.type << " via " << c.server << ":" << c.port
            << " (ndots " << c.ndots << ", search" << (search_text.empty() ? " none" : search_text)
            << ")\n";
  size_t width = 0;
  for (auto& a : o.attempts) width = std::max(width, a.name.size());
  const StubResult& glibc = o.stubs.front();
  for (size_t i = 0; i < o.attempts.size(); ++i) {
    const char* mark = nullptr;
    if (static_cast<int>(i) == glibc.chosen) {
      mark = glibc.found ? "<- the application gets this" : "<- the stub stops here: no address";
    }
    print_attempt(i, o.attempts[i], width, mark, tty);
  }
  if (!glibc.found) {
    std::cout << paint("the application gets an error: " + glibc.error, "31", tty) << "\n";
  }
  print_other_stubs(o, tty);
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  try {
    args = parse_args(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "cxxdns resolve: " << e.what() << "\n";
    return 2;
  }
  if (args.name.empty()) {
    std::cerr << "usage: cxxdns resolve NAME [--server ADDR:PORT] [--resolv-conf FILE | --search "
                 "D... --ndots N] [--type T] [--trace] [--json]\n";
    return 2;
  }
  StubConfig c;
  if (std::string err = stub_config(args, c); !err.empty()) {
    std::cerr << "cxxdns resolve: " << err << "\n";
    return 2;
  }
  const uint16_t qtype = args.type == "A+AAAA" ? 0 : dns::type_from_name(args.type);
  if (qtype == 0 && args.type != "A+AAAA") {
    std::cerr << "cxxdns resolve: unknown type " << args.type << "\n";
    return 2;
  }
  const Outcome o = run(args.name, qtype, c, args.trace);
  if (args.json) {
    print_json(args, c, o);
  } else {
    print_text(args, c, o);
  }
  return o.chosen >= 0 ? 0 : 1;
}

}  // namespace cxxdns::resolve
