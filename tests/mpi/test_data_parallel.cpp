// Data-parallel training on MPI, run by ctest under `mpirun -np K` (K = 2,
// 3): every process trains the same model for 50 steps on its shard of each
// global batch (grad, gradients summed in one buffer, apply_update), and
// checks that
//   - its params equal those of a single-process run of train_step on the
//     whole global batch (computed here too) within 1e-5 relative, and
//   - its params are bit-identical to rank 0's.
// For SGD with momentum and for Adam with clipping (the global norm), and a
// global batch that does not divide by K; batch norm with each shard's
// statistics; a data-parallel Session (SessionOptions::communicator), its
// start from process 0's params, a failed step and a process out of sync.
// Exit status 0 on every process
// when all hold; 1 everywhere otherwise (the failure count is summed).
#include "nncc/data_parallel.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <random>

using namespace nncc;

namespace {

std::string model_source(const std::string &optimizer) {
  return "model dp {\n  input x : f32[N, 4]\n  input y : i32[N]\n"
         "  param W1 : f32[4, 16] = he_normal\n  param b1 : f32[16]\n  param W2 : f32[16, 3]\n  param b2 : f32[3]\n"
         "  loss cross_entropy(tanh(x @ W1 + b1) @ W2 + b2, y)\n  optimizer " + optimizer + "\n}\n";
}

/// Global batch `step`: the same on every process.
TensorMap global_batch(int64_t rows, int step) {
  std::mt19937 random(static_cast<unsigned>(step));
  Tensor x(DType::F32, {rows, 4}), y(DType::I32, {rows});
  for (int64_t i = 0; i < rows * 4; ++i) x.data<float>()[i] = std::uniform_real_distribution<float>(-2, 2)(random);
  for (int64_t i = 0; i < rows; ++i) y.data<int32_t>()[i] = static_cast<int32_t>(random() % 3);
  return {{"x", x}, {"y", y}};
}

TensorMap rows_of(const TensorMap &batch, Shard s) {
  TensorMap out;
  for (const auto &[name, t] : batch) {
    std::vector<int64_t> shape = t.shape();
    int64_t row_bytes = static_cast<int64_t>(t.nbytes()) / shape[0];
    shape[0] = s.end - s.begin;
    Tensor part(t.dtype(), shape);
    std::memcpy(part.raw(), static_cast<const char *>(t.raw()) + s.begin * row_bytes, part.nbytes());
    out.emplace(name, std::move(part));
  }
  return out;
}

int check_optimizer(Communicator &comm, const std::string &optimizer, int64_t rows) {
  Compiler cc({.apply_update = true});
  Model model = cc.compile_source("dp.nn", model_source(optimizer));
  Session parallel = model.new_session({.seed = 7, .threads = 1}), single = model.new_session({.seed = 7, .threads = 1});
  Shard mine = shard_of(rows, comm.rank(), comm.size());
  double parallel_loss = 0, single_loss = 0;
  for (int step = 1; step <= 50; ++step) {
    TensorMap batch = global_batch(rows, step);
    parallel_loss = data_parallel_step(parallel, comm, rows_of(batch, mine), mine, rows);
    single_loss = single.train_step(batch);
  }
  int failures = 0;
  auto fail = [&](const std::string &what) {
    std::fprintf(stderr, "rank %d, %s: %s\n", comm.rank(), optimizer.c_str(), what.c_str());
    ++failures;
  };
  if (std::abs(parallel_loss - single_loss) > 1e-5 * std::max(1.0, std::abs(single_loss)))
    fail(fmt::format("loss {} where one process has {}", parallel_loss, single_loss));
  for (const std::string &name : parallel.param_names()) {
    Tensor mine_now = parallel.param(name), reference = single.param(name), rank0 = mine_now;
    comm.broadcast(rank0.raw(), rank0.nbytes(), 0);
    if (std::memcmp(rank0.raw(), mine_now.raw(), mine_now.nbytes()) != 0) fail(name + " differs from rank 0's");
    double diff = 0, scale = 0;
    for (int64_t i = 0; i < reference.numel(); ++i) {
      diff = std::max(diff, std::abs(static_cast<double>(mine_now.data<float>()[i]) - reference.data<float>()[i]));
      scale = std::max(scale, std::abs(static_cast<double>(reference.data<float>()[i])));
    }
    if (diff > 1e-5 * scale) fail(fmt::format("{} differs from one process's by {:.3g} (scale {:.3g})", name, diff, scale));
  }
  if (comm.rank() == 0)
    std::printf("%d processes, %s, global batch %lld: loss %.6f (one process: %.6f)\n", comm.size(), optimizer.c_str(),
                static_cast<long long>(rows), parallel_loss, single_loss);
  return failures;
}

double max_relative_difference(const Tensor &a, const Tensor &b) {
  double diff = 0, scale = 0;
  for (int64_t i = 0; i < b.numel(); ++i) {
    diff = std::max(diff, std::abs(static_cast<double>(a.data<float>()[i]) - b.data<float>()[i]));
    scale = std::max(scale, std::abs(static_cast<double>(b.data<float>()[i])));
  }
  return scale > 0 ? diff / scale : diff;
}

/// Batch norm without synchronized statistics (PyTorch DDP's default):
/// each process normalizes with its own shard's statistics, the gradient
/// is the shards' gradients weighted by rows, and the running statistics
/// are process 0's shard's. The reference computes exactly that in one
/// session, shard by shard; the processes must also end bit-identical,
/// running statistics included (check_in_sync).
/// `first_empty`: process 0 has no rows (the others share them), so the
/// running statistics are process 1's shard's.
int check_batch_norm(Communicator &comm, bool first_empty) {
  const std::string source = "model bn {\n  input x : f32[N, 4]\n  input y : i32[N]\n"
                             "  param W1 : f32[4, 16] = he_normal\n  param g : f32[16] = ones\n  param b : f32[16]\n  param W2 : f32[16, 3]\n"
                             "  h = relu(batch_norm(x @ W1, g, b))\n  loss cross_entropy(h @ W2, y)\n  optimizer sgd(lr = 0.1, momentum = 0.9)\n}\n";
  Compiler cc({.apply_update = true});
  Model model = cc.compile_source("bn.nn", source);
  Session parallel = model.new_session({.seed = 5, .threads = 1}), reference = model.new_session({.seed = 5, .threads = 1});
  const int64_t rows = 13;
  auto shard = [&](int r) {
    if (!first_empty) return shard_of(rows, r, comm.size());
    if (r == 0) return Shard{0, 0};
    return shard_of(rows, r - 1, comm.size() - 1);
  };
  Shard mine = shard(comm.rank());
  for (int step = 1; step <= 20; ++step) {
    TensorMap batch = global_batch(rows, step);
    data_parallel_step(parallel, comm, rows_of(batch, mine), mine, rows);
    TensorMap sum;
    bool statistics_taken = false;
    for (int r = 0; r < comm.size(); ++r) {
      Shard s = shard(r);
      if (s.end == s.begin) continue;
      TensorMap g = reference.grad(rows_of(batch, s), s.begin);
      double weight = static_cast<double>(s.end - s.begin) / rows;
      for (auto &[name, t] : g) {
        if (name == "loss") continue;
        if (!name.starts_with("d_")) { // a running statistic: the first shard's
          if (!statistics_taken) sum.emplace(name, t);
          continue;
        }
        Tensor &total = sum.try_emplace(name, t.dtype(), t.shape()).first->second;
        for (int64_t i = 0; i < t.numel(); ++i) total.data<float>()[i] += static_cast<float>(weight * t.data<float>()[i]);
      }
      statistics_taken = true;
    }
    reference.apply_update(sum);
  }
  int failures = 0;
  TensorMap expected = reference.state(), got = parallel.state();
  for (const auto &[name, t] : expected)
    if (double d = max_relative_difference(got.at(name), t); d > 1e-5) {
      std::fprintf(stderr, "rank %d, batch norm%s: %s differs from the shard-by-shard reference by %.3g\n", comm.rank(),
                   first_empty ? " (process 0 without rows)" : "", name.c_str(), d);
      ++failures;
    }
  for (const auto &[name, t] : got)
    if (name.ends_with("running_mean") && t.at(0) == 0.0) {
      std::fprintf(stderr, "rank %d, batch norm: %s never moved\n", comm.rank(), name.c_str());
      ++failures;
    }
  check_in_sync(parallel, comm); // throws naming the processes that differ
  return failures;
}

/// A data-parallel session (SessionOptions::communicator): processes open
/// it from different seeds and hold process 0's params afterwards; each
/// passes only its own rows (process r has r: process 0 none) to train_step; the result
/// equals one session trained on the whole batches. A process out of step
/// is named by check_in_sync, and a bad input on one process fails the
/// step on every process without changing any session.
int check_session_option(const std::shared_ptr<Communicator> &comm) {
  Compiler cc({.apply_update = true});
  Model model = cc.compile_source("dp.nn", model_source("adam(lr = 0.01, clip_norm = 0.5)"));
  Session parallel = model.new_session({.seed = 11 + static_cast<uint64_t>(comm->rank()), .threads = 1, .communicator = comm});
  Session single = model.new_session({.seed = 11, .threads = 1});
  int failures = 0;
  auto fail = [&](const std::string &what) {
    std::fprintf(stderr, "rank %d, session option: %s\n", comm->rank(), what.c_str());
    ++failures;
  };
  for (const std::string &name : single.param_names())
    if (std::memcmp(parallel.param(name).raw(), single.param(name).raw(), single.param(name).nbytes()) != 0) fail(name + " is not process 0's at the start");
  int64_t rows = static_cast<int64_t>(comm->size()) * (comm->size() - 1) / 2;
  Shard mine{comm->rank() * (comm->rank() - 1) / 2, 0};
  mine.end = mine.begin + comm->rank();
  for (int step = 1; step <= 30; ++step) {
    TensorMap batch = global_batch(rows, 100 + step);
    double loss = parallel.train_step(rows_of(batch, mine)), single_loss = single.train_step(batch);
    if (std::abs(loss - single_loss) > 1e-5 * std::max(1.0, std::abs(single_loss))) fail(fmt::format("step {}: loss {} vs {}", step, loss, single_loss));
  }
  for (const std::string &name : single.param_names())
    if (double d = max_relative_difference(parallel.param(name), single.param(name)); d > 1e-5) fail(fmt::format("{} differs by {:.3g}", name, d));
  check_in_sync(parallel, *comm);

  // A bad input on the last process: it reports its own error, the others
  // that a process failed; no session changes.
  TensorMap before = parallel.state();
  TensorMap shard = rows_of(global_batch(rows, 1), mine);
  bool last = comm->rank() == comm->size() - 1;
  if (last) shard.insert_or_assign("x", Tensor(DType::F32, {mine.end - mine.begin, 5}));
  std::string message;
  try {
    parallel.train_step(shard);
    fail("a bad input on the last process did not fail the step");
  } catch (const PeerFailure &e) {
    message = "peer: " + std::string(e.what());
  } catch (const Error &e) {
    message = e.what();
  }
  std::string expected = last ? "input 'x' is f32[" : "peer: data-parallel train_step: 1 other process(es) failed this step";
  if (message.find(expected) == std::string::npos) fail(fmt::format("the failed step says '{}', not '{}'", message, expected));
  if (parallel.step() != 30) fail(fmt::format("the failed step counted: step {}", parallel.step()));
  for (const auto &[name, t] : before)
    if (std::memcmp(t.raw(), parallel.state().at(name).raw(), t.nbytes()) != 0) fail(name + " changed in the failed step");

  // One process out of step is named by every process.
  if (comm->rank() == comm->size() - 1) {
    Tensor w = parallel.param("W1");
    w.data<float>()[0] += 1;
    parallel.set_param("W1", w);
  }
  try {
    check_in_sync(parallel, *comm);
    fail("check_in_sync did not see a changed param");
  } catch (const Error &e) {
    std::string want = fmt::format("of process {} differ from process 0's", comm->size() - 1);
    if (std::string(e.what()).find(want) == std::string::npos) fail(fmt::format("check_in_sync says '{}'", e.what()));
  }
  if (comm->rank() == 0) std::printf("%d processes, data-parallel session: checks done\n", comm->size());
  return failures;
}

} // namespace

int main() {
  try {
    std::shared_ptr<Communicator> comm = mpi_world();
    double failures = 0;
    failures += check_optimizer(*comm, "sgd(lr = 0.1, momentum = 0.9)", 12);
    failures += check_optimizer(*comm, "adam(lr = 0.01, clip_norm = 0.5)", 10);
    failures += check_batch_norm(*comm, false);
    failures += check_batch_norm(*comm, true);
    failures += check_session_option(comm);
    comm->sum(&failures, 1);
    if (comm->rank() == 0) std::printf(failures == 0 ? "all checks passed\n" : "%g failures\n", failures);
    return failures == 0 ? 0 : 1;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
