// One dnstap frame: a Dnstap protobuf (dnstap.proto) holding one Message, as CoreDNS's dnstap
// plugin fills it for a client's query and for the answer it got.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace cxxdns::plugins::dnstap {

// dnstap.proto's Message.Type values this server writes.
enum class MessageType : uint8_t {
  client_query = 5,
  client_response = 6,
  forwarder_query = 7,
  forwarder_response = 8
};
// SocketProtocol.
enum class Protocol : uint8_t { udp = 1, tcp = 2, dot = 3, doh = 4 };

// What the envelope carries for every frame of one `dnstap` directive.
struct Identity {
  std::string identity;  // the host name unless `identity` says otherwise
  std::string version;   // "cxxdns-0.1.0" unless `version` says otherwise
  std::string extra;     // `extra`, sent as written; empty: no field
};

struct Event {
  MessageType type = MessageType::client_query;
  Protocol protocol = Protocol::udp;
  std::span<const uint8_t> client_address;  // 4 or 16 bytes
  uint16_t client_port = 0;
  // A forwarder's messages: the upstream (the message's response address).
  std::span<const uint8_t> upstream_address;
  uint16_t upstream_port = 0;
  uint64_t query_ns = 0;             // when the query came, unix time in ns
  uint64_t response_ns = 0;          // when the answer went or came (responses only)
  std::span<const uint8_t> message;  // the query's or the answer's wire (`full` only)
};

struct FreeDeleter {
  void operator()(uint8_t* p) const;
};
using Frame = std::unique_ptr<uint8_t[], FreeDeleter>;

// The protobuf bytes of the frame, in a malloc'ed buffer (framestream's writer frees it);
// `size` gets their length. Null only when memory runs out.
Frame encode(const Identity& id, const Event& e, size_t& size);

}  // namespace cxxdns::plugins::dnstap
