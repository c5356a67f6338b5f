#include "core/server/http2.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>

namespace cxxdns {

namespace {
// A DNS message (64 KiB) and what carries it: a gRPC message prefix and protobuf field.
constexpr size_t kMaxBody = 65535 + 64;

nghttp2_nv header(const std::string& name, const std::string& value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}
}  // namespace

// nghttp2's callbacks, given the session object as user data.
struct Http2Callbacks {
  static Http2Session& self(void* p) { return *static_cast<Http2Session*>(p); }

  static int begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* p) {
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    self(p).streams_[frame->hd.stream_id].req.stream = frame->hd.stream_id;
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                       size_t namelen, const uint8_t* value, size_t valuelen, uint8_t, void* p) {
    auto it = self(p).streams_.find(frame->hd.stream_id);
    if (it == self(p).streams_.end()) return 0;
    std::string_view n(reinterpret_cast<const char*>(name), namelen);
    std::string v(reinterpret_cast<const char*>(value), valuelen);
    if (n == ":method") {
      it->second.req.method = std::move(v);
    } else if (n == ":path") {
      it->second.req.path = std::move(v);
    } else if (n == "content-type") {
      it->second.req.content_type = std::move(v);
    }
    return 0;
  }

  static int on_data(nghttp2_session*, uint8_t, int32_t stream, const uint8_t* data, size_t len,
                     void* p) {
    auto it = self(p).streams_.find(stream);
    if (it == self(p).streams_.end()) return 0;
    Http2Session::Request& r = it->second.req;
    if (r.body.size() + len > kMaxBody) {
      r.too_big = true;
      return 0;
    }
    r.body.insert(r.body.end(), data, data + len);
    return 0;
  }

  static int on_frame(nghttp2_session*, const nghttp2_frame* frame, void* p) {
    if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) ||
        !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
      return 0;
    }
    Http2Session& s = self(p);
    auto it = s.streams_.find(frame->hd.stream_id);
    if (it == s.streams_.end() || it->second.complete || !s.done_) return 0;
    it->second.complete = true;
    s.done_->push_back(std::move(it->second.req));
    return 0;
  }

  static int on_close(nghttp2_session*, int32_t stream, uint32_t, void* p) {
    self(p).streams_.erase(stream);
    return 0;
  }

  static ssize_t read_answer(nghttp2_session* s, int32_t stream, uint8_t* buf, size_t length,
                             uint32_t* flags, nghttp2_data_source*, void* p) {
    auto it = self(p).streams_.find(stream);
    if (it == self(p).streams_.end()) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    auto& st = it->second;
    size_t n = std::min(length, st.answer.size() - st.sent);
    std::memcpy(buf, st.answer.data() + st.sent, n);
    st.sent += n;
    if (st.sent < st.answer.size()) return static_cast<ssize_t>(n);
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    if (!st.trailers.empty()) {
      // The stream ends with the trailers' HEADERS frame, not this DATA frame.
      std::vector<nghttp2_nv> nva;
      for (auto& [name, value] : st.trailers) nva.push_back(header(name, value));
      if (nghttp2_submit_trailer(s, stream, nva.data(), nva.size()) == 0) {
        *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      }
    }
    return static_cast<ssize_t>(n);
  }
};

Http2Session::Http2Session(uint32_t max_streams) {
  nghttp2_session_callbacks* cb = nullptr;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, Http2Callbacks::begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cb, Http2Callbacks::on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, Http2Callbacks::on_data);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, Http2Callbacks::on_frame);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, Http2Callbacks::on_close);
  nghttp2_session_server_new(&session_, cb, this);
  nghttp2_session_callbacks_del(cb);
  nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, max_streams}};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 1);
}

Http2Session::~Http2Session() {
  nghttp2_session_del(session_);
}

bool Http2Session::receive(std::span<const uint8_t> in, std::vector<Request>& done) {
  done_ = &done;
  ssize_t n = nghttp2_session_mem_recv(session_, in.data(), in.size());
  done_ = nullptr;
  return n >= 0;
}

void Http2Session::respond(int32_t stream, int status, const std::string& content_type,
                           const std::string& cache_control, std::vector<uint8_t> body) {
  Headers h = {{":status", std::to_string(status)},
               {"content-type", content_type},
               {"content-length", std::to_string(body.size())}};
  if (!cache_control.empty()) h.emplace_back("cache-control", cache_control);
  respond(stream, std::move(h), std::move(body), {});
}

void Http2Session::respond(int32_t stream, Headers headers, std::vector<uint8_t> body,
                           Headers trailers) {
  auto it = streams_.find(stream);
  if (it == streams_.end()) return;  // reset by the client meanwhile
  if (body.empty()) {
    // Headers and trailers in one frame that ends the stream.
    for (auto& t : trailers) headers.push_back(std::move(t));
    trailers.clear();
  }
  std::vector<nghttp2_nv> nva;
  for (auto& [name, value] : headers) nva.push_back(header(name, value));
  if (body.empty()) {
    nghttp2_submit_response(session_, stream, nva.data(), nva.size(), nullptr);
    return;
  }
  it->second.answer = std::move(body);
  it->second.trailers = std::move(trailers);
  it->second.sent = 0;
  nghttp2_data_provider data{};
  data.read_callback = Http2Callbacks::read_answer;
  nghttp2_submit_response(session_, stream, nva.data(), nva.size(), &data);
}

void Http2Session::take_output(std::vector<uint8_t>& out) {
  for (;;) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n <= 0) return;
    out.insert(out.end(), data, data + n);
  }
}

bool Http2Session::finished() const {
  return !nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_);
}

}  // namespace cxxdns
