// The HTTP/2 side of a DNS over HTTPS or DNS over gRPC connection (RFC 7540 through
// nghttp2): plaintext in, complete requests out, answers in, plaintext to send out. Requests are
// collected while nghttp2 reads and handed over after, so nothing answers from inside its
// callbacks.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

struct nghttp2_session;

namespace cxxdns {

class Http2Session {
 public:
  struct Request {
    int32_t stream = 0;
    std::string method;
    std::string path;
    std::string content_type;
    std::vector<uint8_t> body;
    bool too_big = false;
  };

  // `max_streams`: SETTINGS_MAX_CONCURRENT_STREAMS (the queries one connection may have in
  // flight).
  explicit Http2Session(uint32_t max_streams);
  ~Http2Session();
  Http2Session(const Http2Session&) = delete;
  Http2Session& operator=(const Http2Session&) = delete;

  // Reads plaintext; the requests it completes are appended to `done`. False on a protocol
  // error (the GOAWAY is in the output: send it, then close).
  bool receive(std::span<const uint8_t> in, std::vector<Request>& done);
  // Queues the answer of `stream` (ignored when the client reset the stream meanwhile).
  void respond(int32_t stream, int status, const std::string& content_type,
               const std::string& cache_control, std::vector<uint8_t> body);
  // The general form: `headers` (":status" first), the body, then `trailers` in a HEADERS
  // frame that ends the stream (gRPC's grpc-status). With no body, headers and trailers go
  // in one HEADERS frame (gRPC's "trailers-only" answer).
  using Headers = std::vector<std::pair<std::string, std::string>>;
  void respond(int32_t stream, Headers headers, std::vector<uint8_t> body, Headers trailers);
  // What is ready to go out (frames), appended to `out`.
  void take_output(std::vector<uint8_t>& out);
  // Both sides are done (GOAWAY sent or received and every stream closed).
  bool finished() const;

 private:
  struct Stream {
    Request req;
    std::vector<uint8_t> answer;
    Headers trailers;
    size_t sent = 0;
    bool complete = false;
  };
  friend struct Http2Callbacks;

  nghttp2_session* session_ = nullptr;
  std::map<int32_t, Stream> streams_;
  std::vector<Request>* done_ = nullptr;  // while receive() runs
};

}  // namespace cxxdns
