#include "plugins/view/functions.h"

#include "core/dns/text.h"
#include "core/plugin/config.h"
#include "core/plugin/context.h"
#include "plugins/pkg/ip.h"

namespace cxxdns::plugins::view {

namespace {

// CoreDNS's addrToRFC3986: an IPv6 address in brackets.
std::string bracketed(std::string ip) {
  if (ip.find(':') != std::string::npos) return "[" + ip + "]";
  return ip;
}

// The largest message TCP carries: what request.Size() gives for a query over TCP.
constexpr int64_t kTcpSize = 65535;

using Args = std::vector<Value>;

bool query_name(const Facts& f, const Args&, Value& out) {
  if (!f.ctx) return false;
  out = Value::of(std::string(f.ctx->qname_text()));
  return true;
}

bool query_type(const Facts& f, const Args&, Value& out) {
  if (!f.ctx) return false;
  char buf[16];
  out = Value::of(std::string(dns::type_name(f.ctx->q().qtype, buf)));
  return true;
}

bool query_class(const Facts& f, const Args&, Value& out) {
  if (!f.ctx) return false;
  char buf[16];
  out = Value::of(std::string(dns::class_name(f.ctx->q().qclass, buf)));
  return true;
}

bool client_ip(const Facts& f, const Args&, Value& out) {
  if (!f.ctx) return false;
  out = Value::of(bracketed(f.ctx->client().ip()));
  return true;
}

bool client_port(const Facts& f, const Args&, Value& out) {
  if (!f.ctx) return false;
  out = Value::of(std::to_string(f.ctx->client().port()));
  return true;
}

// The address of the listener: the one it is bound to ("" for one bound to every address).
bool server_ip(const Facts& f, const Args&, Value& out) {
  if (!f.at) return false;
  out = Value::of(bracketed(f.at->address));
  return true;
}

bool server_port(const Facts& f, const Args&, Value& out) {
  if (!f.at) return false;
  out = Value::of(std::to_string(f.at->port));
  return true;
}

bool proto(const Facts& f, const Args&, Value& out) {
  if (!f.ctx) return false;
  out = Value::of(std::string(f.ctx->transport() == Transport::tcp ? "tcp" : "udp"));
  return true;
}

bool query_id(const Facts& f, const Args&, Value& out) {
  if (!f.ctx) return false;
  out = Value::of(static_cast<int64_t>(f.ctx->q().hdr.id));
  return true;
}

bool opcode(const Facts& f, const Args&, Value& out) {
  if (!f.ctx) return false;
  out = Value::of(static_cast<int64_t>(f.ctx->q().hdr.opcode()));
  return true;
}

bool size(const Facts& f, const Args&, Value& out) {
  if (!f.ctx) return false;
  out = Value::of(static_cast<int64_t>(f.ctx->query_wire().size()));
  return true;
}

// The EDNS buffer size as CoreDNS's request.Size(): 65535 over TCP, else at least 512.
bool bufsize(const Facts& f, const Args&, Value& out) {
  if (!f.ctx) return false;
  const bool tcp = f.ctx->transport() == Transport::tcp;
  out = Value::of(tcp ? kTcpSize : static_cast<int64_t>(f.ctx->q().udp_size()));
  return true;
}

bool do_bit(const Facts& f, const Args&, Value& out) {
  if (!f.ctx) return false;
  const auto& e = f.ctx->q().edns;
  out = Value::of(e.present && e.do_bit);
  return true;
}

bool incidr(const Facts&, const Args& a, Value& out) {
  bool error = false;
  const bool in = in_cidr(a[0].s, a[1].s, error);
  if (error) return false;
  out = Value::of(in);
  return true;
}

// cxxdns has no metadata plugin: no label has a value.
bool metadata(const Facts&, const Args&, Value& out) {
  out = Value::of(std::string());
  return true;
}

const Function kFunctions[] = {
    {"name", {}, Type::string, query_name},
    {"type", {}, Type::string, query_type},
    {"class", {}, Type::string, query_class},
    {"client_ip", {}, Type::string, client_ip},
    {"port", {}, Type::string, client_port},
    {"server_ip", {}, Type::string, server_ip},
    {"server_port", {}, Type::string, server_port},
    {"proto", {}, Type::string, proto},
    {"id", {}, Type::integer, query_id},
    {"opcode", {}, Type::integer, opcode},
    {"size", {}, Type::integer, size},
    {"bufsize", {}, Type::integer, bufsize},
    {"do", {}, Type::boolean, do_bit},
    {"incidr", {Type::string, Type::string}, Type::boolean, incidr},
    {"metadata", {Type::string}, Type::string, metadata},
};

}  // namespace

std::string type_name(Type t) {
  switch (t) {
    case Type::boolean:
      return "bool";
    case Type::integer:
      return "int";
    case Type::string:
      return "string";
    case Type::list:
      return "array";
    case Type::any:
      break;
  }
  return "interface {}";
}

const Function* find_function(std::string_view name) {
  for (const Function& f : kFunctions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

bool in_cidr(std::string_view ip, std::string_view cidr, bool& error) {
  if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  auto addr = pkg::IpAddress::parse(ip);
  auto net = pkg::IpPrefix::parse(cidr, true);
  error = !addr || !net;
  return !error && net->contains(addr->span());
}

}  // namespace cxxdns::plugins::view
