#include "core/server/server_signals.h"

#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <string>

namespace cxxdns {

namespace {
sigset_t server_signal_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGQUIT);
  return set;
}
}  // namespace

void block_server_signals() {
  const sigset_t set = server_signal_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

ServerSignals::~ServerSignals() {
  if (fd_ >= 0) ::close(fd_);
}

void ServerSignals::start(uv_loop_t* loop, std::function<void(int)> on_signal) {
  block_server_signals();  // this thread at least, should main() not have done it
  const sigset_t set = server_signal_set();
  fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd_ < 0) throw std::runtime_error(std::string("signalfd: ") + std::strerror(errno));
  on_signal_ = std::move(on_signal);
  uv_poll_init(loop, &poll_, fd_);
  poll_.data = this;
  uv_poll_start(&poll_, UV_READABLE,
                [](uv_poll_t* p, int, int) { static_cast<ServerSignals*>(p->data)->read_all(); });
}

void ServerSignals::read_all() {
  signalfd_siginfo info;
  while (::read(fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    on_signal_(static_cast<int>(info.ssi_signo));
  }
}

}  // namespace cxxdns
