// nncc bench FILE.nn --batch B [--steps K] [--threads T] [--json] — JIT-
// compile the model and time train_step on random data of batch B.
// Prints the median µs per step (robust to a noisy shared machine),
// samples/s, GFLOP/s of the matmuls and convolutions train_step executes,
// and compile time.
#include "compiler/image_call.h"
#include "compiler/jit/jit.h"
#include "compiler/pipeline.h"
#include "nncc/rng.h"
#include "tools/nncc/common.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fmt/format.h>

namespace nncc::tool {
namespace {

using Clock = std::chrono::steady_clock;

Tensor random_input(const ArgDesc &a, int64_t batch, uint64_t stream) {
  std::vector<int64_t> shape;
  for (const DimDesc &d : a.shape) shape.push_back(d.is_symbolic() ? batch : d.size);
  Tensor t(a.dtype, shape);
  for (int64_t i = 0; i < t.numel(); ++i) {
    double u = rng::uniform(1, stream, static_cast<uint64_t>(i));
    switch (a.dtype) {
    case DType::F32: t.data<float>()[i] = static_cast<float>(u); break;
    case DType::F64: t.data<double>()[i] = u; break;
    case DType::I32: t.data<int32_t>()[i] = static_cast<int32_t>(u * static_cast<double>(a.index_limit > 0 ? a.index_limit : 2)); break;
    case DType::U8: t.data<uint8_t>()[i] = static_cast<uint8_t>(u * 256); break; // (no model input is u8)
    }
  }
  return t;
}

/// Floating-point operations the products of `fn` execute (2 per
/// multiply-add): its matmuls and convolutions, the backward ones included.
/// Elementwise work is not counted. Counting the compiled train_step, not
/// 3 x the forward pass, leaves out the first layer's input gradient, which
/// nothing reads and so is never computed.
double product_flops(const ir::Function &fn, int64_t batch) {
  auto size = [&](const ir::Dim &d) { return static_cast<double>(d.is_symbolic() ? batch : d.size); };
  double macs = 0;
  for (const ir::Value *v : fn.body()) {
    if (v->op == ir::OpKind::Matmul) { // one multiply-add per element of the result and step of the contraction
      double elements = 1;
      for (const ir::Dim &d : v->type.shape) elements *= size(d);
      macs += elements * size(v->operands[0]->type.shape.back());
    } else if (v->op == ir::OpKind::Conv2d || v->op == ir::OpKind::Conv2dGradInput || v->op == ir::OpKind::Conv2dGradWeight) {
      nncc_conv_shape s = compiler::conv_shape(*v, batch);
      macs += static_cast<double>(s.n * s.o * s.oh * s.ow) * static_cast<double>(s.c / s.groups * s.kh * s.kw);
    }
  }
  return 2 * macs;
}

struct BenchOptions {
  std::string path;
  int64_t batch = 0;
  int steps = 200, threads = 0, opt_level = 2;
  CodeOptions code;
  bool json = false;
};

/// Microseconds of each of `steps` train steps on the same inputs, sorted,
/// after a warm-up of a tenth as many (at least 3).
std::vector<double> time_steps(Session &session, const TensorMap &inputs, int steps) {
  for (int i = 0; i < std::max(3, steps / 10); ++i) session.train_step(inputs);
  std::vector<double> us;
  for (int i = 0; i < steps; ++i) {
    auto t0 = Clock::now();
    session.train_step(inputs);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  return us;
}

int run_bench(const BenchOptions &opt) {
  auto start = Clock::now();
  CompiledFile file;
  ir::Module *trainable = compile_trainable(opt.path, file, "benchmark");
  if (!trainable) return kUserError;
  ir::Module &module = *trainable;
  note_bf16_fallback(opt.code);
  compiler::build_entry_points(module, opt.opt_level, opt.code.pipeline());
  double flops = product_flops(*module.find_function("train_step"), opt.batch);
  Model model(jit::compile(module, {.cpu = "native", .opt_level = opt.opt_level}));
  model.prepare("train_step"); // the only entry point timed, so the only one compiled
  double compile_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();

  Session session = model.new_session({.seed = 0, .threads = opt.threads});
  TensorMap inputs;
  uint64_t stream = 1;
  for (const ArgDesc &a : model.desc().function("train_step")->args)
    if (a.kind == ArgKind::Input) inputs.emplace(a.name, random_input(a, opt.batch, stream++));
  std::vector<double> us = time_steps(session, inputs, opt.steps);
  double median = us[us.size() / 2];
  double samples = static_cast<double>(opt.batch) * 1e6 / median, gflops = flops / median / 1e3;
  if (opt.json) {
    fmt::print("{{\"us_per_step\": {:.3f}, \"samples_per_s\": {:.1f}, \"gflops\": {:.2f}, \"flop_per_step\": {:.0f}, "
               "\"compile_ms\": {:.1f}, \"compiled_from_cache\": {}}}\n",
               median, samples, gflops, flops, compile_ms, model.from_cache());
    return kSuccess;
  }
  fmt::print("model {}  batch {}  threads {}  steps {}  precision {}\n", module.name, opt.batch, session.threads(), opt.steps, opt.code.precision);
  fmt::print("train_step  {:.2f} us/step (median; min {:.2f}, p90 {:.2f})\n", median, us.front(), us[us.size() * 9 / 10]);
  fmt::print("throughput  {:.0f} samples/s  {:.1f} GFLOP/s ({:.4g} FLOP/step in the matmuls and convolutions)\n", samples, gflops, flops);
  fmt::print("compile     {:.1f} ms{}\n", compile_ms, model.from_cache() ? " (from the cache; NNCC_CACHE=off compiles afresh)" : "");
  return kSuccess;
}

} // namespace

void add_bench_command(CLI::App &app, int &status) {
  auto *cmd = app.add_subcommand("bench", "Time train_step on random data");
  auto opt = std::make_shared<BenchOptions>();
  cmd->add_option("file", opt->path, "the .nn model file")->required();
  cmd->add_option("--batch", opt->batch, "batch size (every symbolic dimension)")->required()->check(CLI::PositiveNumber);
  cmd->add_option("--steps", opt->steps, "timed steps (after warm-up)")->capture_default_str()->check(CLI::PositiveNumber);
  add_threads_option(*cmd, opt->threads);
  add_code_options(*cmd, opt->code);
  cmd->add_option("-O", opt->opt_level, "LLVM optimization level 0..3")->capture_default_str()->check(CLI::Range(0, 3));
  cmd->add_flag("--json", opt->json, "print {\"us_per_step\", \"samples_per_s\", \"gflops\", \"flop_per_step\", \"compile_ms\", \"compiled_from_cache\"}");
  cmd->callback([opt, &status] { status = run_bench(*opt); });
}

} // namespace nncc::tool
