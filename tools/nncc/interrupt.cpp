#include "tools/nncc/interrupt.h"

#include <csignal>

namespace nncc::tool {

namespace {

volatile std::sig_atomic_t g_requested = 0;
struct sigaction g_previous_int {}, g_previous_usr1 {};

extern "C" void on_interrupt(int signal) {
  g_requested = 1;
  std::signal(signal, SIG_DFL); // async-signal-safe; the next one terminates
}

} // namespace

InterruptGuard::InterruptGuard() {
  g_requested = 0;
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &g_previous_int);
  sigaction(SIGUSR1, &action, &g_previous_usr1);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGINT, &g_previous_int, nullptr);
  sigaction(SIGUSR1, &g_previous_usr1, nullptr);
}

bool InterruptGuard::requested() { return g_requested != 0; }

} // namespace nncc::tool
