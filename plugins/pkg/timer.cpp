#include "plugins/pkg/timer.h"

namespace cxxdns::pkg {

void Timer::start(uv_loop_t* loop, uint64_t timeout_ms, uint64_t repeat_ms,
                  std::function<void()> fire) {
  if (state_ && state_->handle.loop != loop) close();
  if (!state_) {
    state_ = new State;
    uv_timer_init(loop, &state_->handle);
    state_->handle.data = state_;
  }
  state_->fire = std::move(fire);
  restart(timeout_ms, repeat_ms);
}

void Timer::restart(uint64_t timeout_ms, uint64_t repeat_ms) {
  if (!state_) return;
  uv_timer_start(
      &state_->handle, [](uv_timer_t* t) { static_cast<State*>(t->data)->fire(); }, timeout_ms,
      repeat_ms);
}

void Timer::stop() {
  if (state_) uv_timer_stop(&state_->handle);
}

void Timer::close() {
  if (!state_) return;
  State* s = state_;
  state_ = nullptr;
  uv_timer_stop(&s->handle);
  s->fire = nullptr;
  auto* h = reinterpret_cast<uv_handle_t*>(&s->handle);
  // A loop being torn down (close_all_handles) may have started closing it already.
  if (uv_is_closing(h)) {
    h->data = nullptr;  // that close frees nothing; this State is lost only then
    return;
  }
  uv_close(h, [](uv_handle_t* h) { delete static_cast<State*>(h->data); });
}

}  // namespace cxxdns::pkg
