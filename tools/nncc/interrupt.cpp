#include "tools/nncc/interrupt.h"

#include <csignal>

namespace nncc::tool {

namespace {

volatile std::sig_atomic_t g_requested = 0;
struct sigaction g_previous {};

extern "C" void on_interrupt(int) {
  g_requested = 1;
  std::signal(SIGINT, SIG_DFL); // async-signal-safe; the next Ctrl-C terminates
}

} // namespace

InterruptGuard::InterruptGuard() {
  g_requested = 0;
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &g_previous);
}

InterruptGuard::~InterruptGuard() { sigaction(SIGINT, &g_previous, nullptr); }

bool InterruptGuard::requested() { return g_requested != 0; }

} // namespace nncc::tool
