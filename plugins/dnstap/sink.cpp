#include "plugins/dnstap/sink.h"

#include <fstrm.h>

#include <cstdlib>
#include <cstring>

namespace cxxdns::plugins::dnstap {

namespace {

constexpr char kContentType[] = "protobuf:dnstap.Dnstap";
// Frames a worker may have waiting (a power of two, as fstrm wants): about CoreDNS's 10,000.
constexpr unsigned kQueueSize = 8192;

fstrm_writer* make_writer(const Endpoint& e) {
  fstrm_writer_options* wopt = fstrm_writer_options_init();
  fstrm_writer_options_add_content_type(wopt, kContentType, sizeof kContentType - 1);
  fstrm_writer* w = nullptr;
  if (e.kind == Endpoint::Kind::unix_socket) {
    fstrm_unix_writer_options* uopt = fstrm_unix_writer_options_init();
    fstrm_unix_writer_options_set_socket_path(uopt, e.path.c_str());
    w = fstrm_unix_writer_init(uopt, wopt);
    fstrm_unix_writer_options_destroy(&uopt);
  } else {
    fstrm_tcp_writer_options* topt = fstrm_tcp_writer_options_init();
    fstrm_tcp_writer_options_set_socket_address(topt, e.address.c_str());
    fstrm_tcp_writer_options_set_socket_port(topt, e.port.c_str());
    w = fstrm_tcp_writer_init(topt, wopt);
    fstrm_tcp_writer_options_destroy(&topt);
  }
  fstrm_writer_options_destroy(&wopt);
  return w;
}

void free_frame(void* buf, void* /*unused*/) {
  std::free(buf);
}  // NOLINT(cppcoreguidelines-no-malloc)

}  // namespace

std::string Endpoint::text() const {
  if (kind == Kind::unix_socket) return "unix://" + path;
  return "tcp://" + (address.find(':') != std::string::npos ? "[" + address + "]" : address) + ":" +
         port;
}

Sink::Sink(const Endpoint& endpoint, int workers) : queues_(workers < 1 ? 1 : workers) {
  fstrm_writer* w = make_writer(endpoint);
  if (!w) return;
  fstrm_iothr_options* opt = fstrm_iothr_options_init();
  fstrm_iothr_options_set_num_input_queues(opt, static_cast<unsigned>(queues_));
  fstrm_iothr_options_set_input_queue_size(opt, kQueueSize);
  // Several producers may share the last queue (threads that are not workers).
  fstrm_iothr_options_set_queue_model(opt, FSTRM_IOTHR_QUEUE_MODEL_MPSC);
  iothr_ = fstrm_iothr_init(opt, &w);  // takes the writer, even when it fails
  fstrm_iothr_options_destroy(&opt);
  if (w) fstrm_writer_destroy(&w);
}

Sink::~Sink() {
  // Writes what is queued, sends STOP and waits for the reader's FINISH (bounded by fstrm).
  if (iothr_) fstrm_iothr_destroy(&iothr_);
}

void Sink::submit(int worker, Frame frame, size_t size) {
  if (!iothr_ || !frame) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const int index = worker >= 0 && worker < queues_ ? worker : queues_ - 1;
  fstrm_iothr_queue* q = fstrm_iothr_get_input_queue_idx(iothr_, static_cast<size_t>(index));
  uint8_t* buf = frame.release();
  if (fstrm_iothr_submit(iothr_, q, buf, size, free_frame, nullptr) != fstrm_res_success) {
    std::free(buf);  // NOLINT(cppcoreguidelines-no-malloc)
    dropped_.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace cxxdns::plugins::dnstap
