#include "plugins/dnstap/encode.h"

#include <cstdlib>

#include "dnstap.pb-c.h"

namespace cxxdns::plugins::dnstap {

namespace {

ProtobufCBinaryData bytes(std::span<const uint8_t> b) {
  // protobuf-c reads through the pointer only: the const_cast does not write.
  return ProtobufCBinaryData{b.size(), const_cast<uint8_t*>(b.data())};
}

ProtobufCBinaryData bytes(const std::string& s) {
  return bytes(std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}

constexpr uint64_t kNs = 1000000000;

bool is_response(MessageType t) {
  return t == MessageType::client_response || t == MessageType::forwarder_response;
}

// The Message fields CoreDNS fills: the client's address and port, the transport, the query
// time; for an answer also its time; for a forwarder's message the upstream as the response
// address (whose family the message then has, as CoreDNS's last SetResponseAddress sets); the
// wire message with `full`.
void fill_message(const Event& e, Dnstap__Message& m) {
  m.type = static_cast<Dnstap__Message__Type>(e.type);
  m.has_socket_family = true;
  const size_t family_len =
      e.upstream_address.empty() ? e.client_address.size() : e.upstream_address.size();
  m.socket_family = family_len == 16 ? DNSTAP__SOCKET_FAMILY__INET6 : DNSTAP__SOCKET_FAMILY__INET;
  m.has_socket_protocol = true;
  m.socket_protocol = static_cast<Dnstap__SocketProtocol>(e.protocol);
  m.has_query_address = true;
  m.query_address = bytes(e.client_address);
  m.has_query_port = true;
  m.query_port = e.client_port;
  m.has_query_time_sec = m.has_query_time_nsec = true;
  m.query_time_sec = e.query_ns / kNs;
  m.query_time_nsec = static_cast<uint32_t>(e.query_ns % kNs);
  if (!e.upstream_address.empty()) {
    m.has_response_address = true;
    m.response_address = bytes(e.upstream_address);
    m.has_response_port = true;
    m.response_port = e.upstream_port;
  }
  if (is_response(e.type)) {
    m.has_response_time_sec = m.has_response_time_nsec = true;
    m.response_time_sec = e.response_ns / kNs;
    m.response_time_nsec = static_cast<uint32_t>(e.response_ns % kNs);
  }
  if (e.message.empty()) return;
  if (!is_response(e.type)) {
    m.has_query_message = true;
    m.query_message = bytes(e.message);
  } else {
    m.has_response_message = true;
    m.response_message = bytes(e.message);
  }
}

}  // namespace

void FreeDeleter::operator()(uint8_t* p) const {
  std::free(p);
}

Frame encode(const Identity& id, const Event& e, size_t& size) {
  Dnstap__Message m = DNSTAP__MESSAGE__INIT;
  fill_message(e, m);
  Dnstap__Dnstap d = DNSTAP__DNSTAP__INIT;
  d.type = DNSTAP__DNSTAP__TYPE__MESSAGE;
  d.message = &m;
  d.has_identity = !id.identity.empty();
  d.identity = bytes(id.identity);
  d.has_version = !id.version.empty();
  d.version = bytes(id.version);
  d.has_extra = !id.extra.empty();
  d.extra = bytes(id.extra);
  size = dnstap__dnstap__get_packed_size(&d);
  // malloc: the framestream I/O thread frees the frame with free() once written.
  Frame out(static_cast<uint8_t*>(std::malloc(size)));  // NOLINT(cppcoreguidelines-no-malloc)
  if (out) dnstap__dnstap__pack(&d, out.get());
  return out;
}

}  // namespace cxxdns::plugins::dnstap
