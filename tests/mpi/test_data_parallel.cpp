// Data-parallel training on MPI, run by ctest under `mpirun -np K` (K = 2,
// 3): every process trains the same model for 50 steps on its shard of each
// global batch (grad, gradients summed in one buffer, apply_update), and
// checks that
//   - its params equal those of a single-process run of train_step on the
//     whole global batch (computed here too) within 1e-5 relative, and
//   - its params are bit-identical to rank 0's.
// For SGD with momentum and for Adam with clipping (the global norm), and a
// global batch that does not divide by K. Exit status 0 on every process
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

} // namespace

int main() {
  try {
    std::shared_ptr<Communicator> comm = mpi_world();
    double failures = 0;
    failures += check_optimizer(*comm, "sgd(lr = 0.1, momentum = 0.9)", 12);
    failures += check_optimizer(*comm, "adam(lr = 0.01, clip_norm = 0.5)", 10);
    comm->sum(&failures, 1);
    if (comm->rank() == 0) std::printf(failures == 0 ? "all checks passed\n" : "%g failures\n", failures);
    return failures == 0 ? 0 : 1;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
