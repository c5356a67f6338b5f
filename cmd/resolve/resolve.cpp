#include "cmd/resolve/resolve.h"

#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/dns/message.h"
#include "core/dns/text.h"
#include "core/dns/writer.h"
#include "core/plugin/testing.h"

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

std::vector<uint8_t> build_query(const std::string& name, uint16_t qtype, bool trace, uint16_t id) {
  testing::QueryOptions o;
  o.bufsize = 1232;
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

Attempt ask(const std::string& name, uint16_t qtype, const StubConfig& c, bool trace) {
  Attempt a;
  a.name = name;
  auto start = std::chrono::steady_clock::now();
  uint16_t id = static_cast<uint16_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  auto q = build_query(name, qtype, trace, id);
  auto r = exchange(q, c, false);
  if (r.size() >= dns::kHeaderSize && (dns::get16(r.data() + 2) & dns::flag::TC)) {
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
  // The explain record: TXT in the additional section; its strings are the steps.
  ldns_pkt* pkt = nullptr;
  if (trace && ldns_wire2pkt(&pkt, r.data(), r.size()) == LDNS_STATUS_OK) {
    ldns_rr_list* add = ldns_pkt_additional(pkt);
    for (size_t i = 0; i < ldns_rr_list_rr_count(add); ++i) {
      ldns_rr* rr = ldns_rr_list_rr(add, i);
      if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TXT) continue;
      for (size_t k = 0; k < ldns_rr_rd_count(rr); ++k) {
        ldns_rdf* f = ldns_rr_rdf(rr, k);
        const uint8_t* d = ldns_rdf_data(f);
        a.steps.emplace_back(reinterpret_cast<const char*>(d + 1), d[0]);
      }
    }
    ldns_pkt_free(pkt);
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
  Outcome o;
  int nodata = -1;
  for (auto& cand : candidates(name, c)) {
    o.attempts.push_back(ask(cand, qtype, c, trace));
    const Attempt& a = o.attempts.back();
    int idx = static_cast<int>(o.attempts.size()) - 1;
    if (a.rcode == "NOERROR" && !a.answers.empty()) {
      o.chosen = idx;
      return o;
    }
    if (a.rcode == "NOERROR" && nodata < 0) nodata = idx;
  }
  o.chosen = nodata;
  return o;
}

namespace {

// What the command line asks.
struct Args {
  std::string name, server, resolv_conf, type = "A";
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

void print_json(const Args& args, const StubConfig& c, const Outcome& o) {
  nlohmann::json j;
  j["name"] = args.name;
  j["type"] = args.type;
  j["server"] = c.server + ":" + std::to_string(c.port);
  j["ndots"] = c.ndots;
  j["search"] = c.search;
  j["chosen"] = o.chosen;
  for (auto& a : o.attempts) {
    j["attempts"].push_back({{"name", a.name},
                             {"rcode", a.rcode},
                             {"answers", a.answers},
                             {"steps", a.steps},
                             {"ms", a.ms}});
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

void print_attempt(size_t i, const Attempt& a, size_t width, bool chosen, bool tty) {
  const std::string& rc = a.rcode;
  const char* colour = rc == "NOERROR" ? (a.answers.empty() ? "33" : "32") : "31";
  char head[64];
  std::snprintf(head, sizeof head, "%2zu  ", i + 1);
  std::cout << head << a.name << std::string(width - a.name.size() + 2, ' ')
            << paint(rc + std::string(9 - std::min<size_t>(rc.size(), 8), ' '), colour, tty);
  std::snprintf(head, sizeof head, "%7.2fms", a.ms);
  std::cout << head;
  if (chosen) std::cout << "  " << paint("<- the application gets this", "1", tty);
  std::cout << "\n";
  for (auto& rr : a.answers) std::cout << "      " << rr << "\n";
  for (auto& s : a.steps) std::cout << "      | " << s << "\n";
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
  for (size_t i = 0; i < o.attempts.size(); ++i) {
    print_attempt(i, o.attempts[i], width, static_cast<int>(i) == o.chosen, tty);
  }
  if (o.chosen < 0) {
    std::cout << paint("no answer: the application gets an error", "31", tty) << "\n";
  }
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
  const uint16_t qtype = dns::type_from_name(args.type);
  if (qtype == 0) {
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
