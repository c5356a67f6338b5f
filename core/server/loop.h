// Helpers for libuv loops shared by the server, the workers and the test harness.
#pragma once

#include <uv.h>

namespace cxxdns {

// Starts closing every handle of `loop` that is not closing yet, so uv_run can return.
inline void close_all_handles(uv_loop_t* loop) {
  uv_walk(
      loop,
      [](uv_handle_t* h, void*) {
        if (!uv_is_closing(h)) uv_close(h, nullptr);
      },
      nullptr);
}

}  // namespace cxxdns
