// A Communicator over the host's functions of the C ABI (nncc_communicator).
#include "nncc/communicator.hpp"

#include "nncc/tensor.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fmt/format.h>
#include <mutex>
#include <string>
#include <thread>

namespace nncc {

namespace {

/// Ends this process when a collective waits longer than `seconds` for the
/// others (one hangs or was stopped); mpirun then ends the rest. A thread
/// of its own, so the collectives themselves stay MPI's blocking (fastest)
/// ones. It exits rather than calling MPI: MPI may be used by one thread only.
class Watchdog {
public:
  Watchdog(double seconds, std::string who) : seconds_(seconds), who_(std::move(who)) {
    if (seconds_ > 0) thread_ = std::thread([this] { watch(); });
  }
  ~Watchdog() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    changed_.notify_one();
    thread_.join();
  }
  /// Runs `collective` under the watch.
  template <typename F> void run(const char *what, F &&collective) {
    if (!thread_.joinable()) return collective();
    set(what);
    try {
      collective();
    } catch (...) {
      set(nullptr);
      throw;
    }
    set(nullptr);
  }

private:
  void set(const char *what) {
    {
      std::lock_guard lock(mutex_);
      what_ = what;
      ++generation_;
    }
    changed_.notify_one();
  }
  void watch() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
      if (!what_) {
        changed_.wait(lock);
        continue;
      }
      uint64_t generation = generation_;
      auto limit = std::chrono::duration<double>(seconds_);
      if (changed_.wait_for(lock, limit, [&] { return stop_ || generation_ != generation; })) continue;
      fmt::print(stderr, "nncc: {}: {} has waited {:g} s for the other processes (one hangs or was stopped): this process stops\n", who_,
                 what_, seconds_);
      std::fflush(stderr);
      std::_Exit(1);
    }
  }
  double seconds_;
  std::string who_;
  std::mutex mutex_;
  std::condition_variable changed_;
  const char *what_ = nullptr;
  uint64_t generation_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

class HostCommunicator : public Communicator {
public:
  explicit HostCommunicator(const nncc_communicator &functions)
      : f_(checked(functions)), watchdog_(f_.timeout_seconds, fmt::format("process {} of {}", f_.rank, f_.size)) {}
  int rank() const override { return f_.rank; }
  int size() const override { return f_.size; }
  void sum(float *data, size_t count) override {
    watchdog_.run("a sum", [&] { check(f_.sum_f32(f_.context, data, static_cast<int64_t>(count), error_, sizeof error_)); });
  }
  void sum(double *data, size_t count) override {
    watchdog_.run("a sum", [&] { check(f_.sum_f64(f_.context, data, static_cast<int64_t>(count), error_, sizeof error_)); });
  }
  void broadcast(void *data, size_t bytes, int root) override {
    watchdog_.run("a broadcast", [&] { check(f_.broadcast(f_.context, data, static_cast<int64_t>(bytes), root, error_, sizeof error_)); });
  }
  [[noreturn]] void abort(int status) override {
    if (f_.abort) f_.abort(f_.context, status);
    std::_Exit(status); // MPI_Abort returned, or there is none
  }

private:
  static const nncc_communicator &checked(const nncc_communicator &f) {
    if (!f.sum_f32 || !f.sum_f64 || !f.broadcast) throw Error("nncc_communicator: sum_f32, sum_f64 and broadcast must all be set");
    if (f.size < 1 || f.rank < 0 || f.rank >= f.size)
      throw Error(fmt::format("nncc_communicator: process {} of {} is no process of the run", f.rank, f.size));
    if (!(f.timeout_seconds >= 0)) throw Error(fmt::format("nncc_communicator: timeout_seconds is {}", f.timeout_seconds));
    return f;
  }
  void check(int status) {
    if (status == 0) return;
    error_[sizeof error_ - 1] = '\0';
    throw Error(fmt::format("process {} of {}: {}", f_.rank, f_.size, error_[0] ? error_ : "a collective failed (no message)"));
  }
  nncc_communicator f_;
  char error_[512] = {};
  Watchdog watchdog_;
};

} // namespace

std::shared_ptr<Communicator> communicator_of(const nncc_communicator &functions) { return std::make_shared<HostCommunicator>(functions); }

} // namespace nncc
