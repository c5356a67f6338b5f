// A libuv timer a plugin owns. libuv frees nothing itself and a handle's memory must outlive
// its close callback, so the handle lives on the heap and is freed by that callback: the
// owner may be destroyed as soon as it has closed the timer, whatever the loop does next.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>

namespace cxxdns::pkg {

class Timer {
 public:
  Timer() = default;
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  ~Timer() { close(); }

  // (Re)starts on `loop`: `fire` runs after `timeout_ms`, then every `repeat_ms` (0: once).
  void start(uv_loop_t* loop, uint64_t timeout_ms, uint64_t repeat_ms, std::function<void()> fire);
  // Starts again with the loop and callback of the last start().
  void restart(uint64_t timeout_ms, uint64_t repeat_ms = 0);
  void stop();
  // Stops it for good and lets the loop free it; `fire` never runs again.
  void close();
  bool started() const { return state_ != nullptr; }

 private:
  struct State {
    uv_timer_t handle;
    std::function<void()> fire;
  };
  State* state_ = nullptr;
};

}  // namespace cxxdns::pkg
