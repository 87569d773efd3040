// Ctrl-C during training: the first SIGINT (or SIGUSR1, which mpirun
// passes on to every process it started, where a Ctrl-C ends the job) only
// raises a flag, so the trainer finishes the current step and saves; a
// second one kills the process as usual.
#pragma once

namespace nncc::tool {

class InterruptGuard {
public:
  InterruptGuard();  // installs the handler
  ~InterruptGuard(); // restores the previous one
  InterruptGuard(const InterruptGuard &) = delete;
  InterruptGuard &operator=(const InterruptGuard &) = delete;

  static bool requested();
};

} // namespace nncc::tool
