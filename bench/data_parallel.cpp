// Data-parallel scaling: µs per step of a model's global batch on the K
// processes mpirun started (each on its share of the rows, 1 thread), and
// how much of it is the combining of gradients (the reduction to process 0
// and the broadcast). Run it with 1 process and with K, alternately:
//   mpirun -np 1 build/bench/data_parallel examples/fashion_mlp.nn 128 [steps]
//   mpirun -np 2 --oversubscribe build/bench/data_parallel examples/fashion_mlp.nn 128 [steps]
// Random inputs (floats in [0, 1), labels within their limit); the median of
// `steps` steps after 5 warm-up steps; printed by process 0 as one JSON line.
#include "nncc/data_parallel.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fmt/format.h>
#include <random>
#include <string>
#include <vector>

using namespace nncc;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

/// Times every sum (the gradient collective) of the communicator it wraps.
class TimedCommunicator : public Communicator {
public:
  explicit TimedCommunicator(std::shared_ptr<Communicator> inner) : inner_(std::move(inner)) {}
  int rank() const override { return inner_->rank(); }
  int size() const override { return inner_->size(); }
  void sum(float *data, size_t count) override { timed([&] { inner_->sum(data, count); }); }
  void sum(double *data, size_t count) override { timed([&] { inner_->sum(data, count); }); }
  void broadcast(void *data, size_t bytes, int root) override { timed([&] { inner_->broadcast(data, bytes, root); }); }
  [[noreturn]] void abort(int status) override { inner_->abort(status); }
  double ms = 0;

private:
  template <typename F> void timed(F &&f) {
    auto t = Clock::now();
    f();
    ms += ms_since(t);
  }
  std::shared_ptr<Communicator> inner_;
};

TensorMap random_batch(const ModelDesc &desc, int64_t rows) {
  std::mt19937 random(1);
  TensorMap batch;
  for (const ArgDesc &a : desc.function("grad")->args) {
    if (a.kind != ArgKind::Input) continue;
    std::vector<int64_t> shape;
    for (const DimDesc &d : a.shape) shape.push_back(d.is_symbolic() ? rows : d.size);
    Tensor t(a.dtype, shape);
    for (int64_t i = 0; i < t.numel(); ++i) {
      if (a.dtype == DType::I32) t.data<int32_t>()[i] = static_cast<int32_t>(random() % static_cast<unsigned>(std::max<int64_t>(a.index_limit, 2)));
      else t.data<float>()[i] = std::uniform_real_distribution<float>(0, 1)(random);
    }
    batch.emplace(a.name, std::move(t));
  }
  return batch;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: data_parallel MODEL.nn GLOBAL_BATCH [STEPS]\n");
    return 2;
  }
  try {
    auto comm = std::make_shared<TimedCommunicator>(mpi_world());
    int64_t global = std::stoll(argv[2]);
    int steps = argc > 3 ? std::stoi(argv[3]) : 30;
    Compiler cc({.apply_update = true});
    Model model = cc.compile_file(argv[1]);
    Session session = model.new_session({.seed = 1, .threads = 1, .communicator = comm});
    Shard mine = shard_of(global, comm->rank(), comm->size());
    TensorMap shard = random_batch(model.desc(), mine.end - mine.begin);
    std::vector<double> step_ms, combine_ms;
    size_t gradient_floats = 0;
    for (const ParamDesc &p : model.desc().params) {
      int64_t n = 1;
      for (int64_t d : p.shape) n *= d;
      gradient_floats += static_cast<size_t>(n);
    }
    for (int i = 0; i < steps + 5; ++i) {
      comm->ms = 0;
      auto t = Clock::now();
      data_parallel_step(session, *comm, shard, mine, global);
      if (i >= 5) step_ms.push_back(ms_since(t)), combine_ms.push_back(comm->ms);
    }
    // Process 0 reports; the slowest process sets the pace, and every step ends in the same collective.
    if (comm->rank() == 0)
      std::printf("%s\n", fmt::format(R"({{"model": "{}", "processes": {}, "global_batch": {}, "steps": {}, "us_per_step": {:.0f}, )"
                                      R"("combine_us_per_step": {:.0f}, "gradient_mb": {:.2f}}})",
                                      model.name(), comm->size(), global, steps, 1000 * median(step_ms), 1000 * median(combine_ms),
                                      4.0 * static_cast<double>(gradient_floats) / 1e6)
                              .c_str());
    return 0;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "data_parallel: %s\n", e.what());
    return 1;
  }
}
