#include "jit_check.h"

#include "compiler/interp/interpreter.h"
#include "compiler/interp/params.h"
#include "compiler/pipeline.h"
#include "helpers.h"
#include "nncc/rng.h"

#include <catch2/catch.hpp>
#include <cmath>

namespace nncc::test {

namespace {

constexpr uint64_t kSeed = 7;

interp::Tensor to_interp(const Tensor &t) {
  interp::Tensor out{static_cast<ir::DType>(t.dtype()), t.shape(), {}};
  for (int64_t i = 0; i < t.numel(); ++i) out.data.push_back(t.at(i));
  return out;
}

Tensor to_tensor(const interp::Tensor &t) {
  Tensor out(static_cast<DType>(t.dtype), t.shape);
  for (int64_t i = 0; i < out.numel(); ++i) {
    double v = t.data[static_cast<size_t>(i)];
    switch (out.dtype()) {
    case DType::F32: out.data<float>()[i] = static_cast<float>(v); break;
    case DType::F64: out.data<double>()[i] = v; break;
    case DType::I32: out.data<int32_t>()[i] = static_cast<int32_t>(v); break;
    case DType::U8: out.data<uint8_t>()[i] = static_cast<uint8_t>(v); break;
    }
  }
  return out;
}

/// Uniform [-1, 1] floats; i32 values in [0, limit).
Tensor random_input(const ArgDesc &a, int64_t symbolic, uint64_t stream) {
  std::vector<int64_t> shape;
  for (const DimDesc &d : a.shape) shape.push_back(d.is_symbolic() ? symbolic : d.size);
  interp::Tensor t = interp::Tensor::zeros(static_cast<ir::DType>(a.dtype), shape);
  for (size_t i = 0; i < t.data.size(); ++i) {
    double u = rng::uniform(kSeed, stream, i);
    t.data[i] = a.dtype == DType::I32 ? std::floor(u * static_cast<double>(a.index_limit > 0 ? a.index_limit : 3)) : 2 * u - 1;
  }
  return to_tensor(t);
}

void compare(const TensorMap &jit, const std::map<std::string, interp::Tensor> &reference, const std::string &where, double tolerance) {
  for (const auto &[name, ref] : reference) {
    INFO(where << ": " << name);
    REQUIRE(jit.count(name));
    CHECK(relative_error(jit.at(name), ref) <= tolerance);
  }
}

/// Runs `fn` on the entries of `args` it takes.
std::map<std::string, interp::Tensor> run_reference(const ir::Function &fn, const std::map<std::string, interp::Tensor> &args,
                                         const interp::RunOptions &options) {
  std::map<std::string, interp::Tensor> own;
  for (const ir::Value *a : fn.arguments()) own[a->name] = args.at(a->name);
  return interp::run(fn, own, options).results;
}

} // namespace

double relative_error(const Tensor &jit, const interp::Tensor &reference) {
  REQUIRE(jit.shape() == reference.shape);
  REQUIRE(static_cast<ir::DType>(jit.dtype()) == reference.dtype);
  double scale = 0, diff = 0;
  for (int64_t i = 0; i < jit.numel(); ++i) {
    double r = reference.data[static_cast<size_t>(i)], a = jit.at(i);
    if (std::isnan(r) != std::isnan(a)) return INFINITY;
    if (std::isnan(r) || r == a) continue;
    scale = std::max(scale, std::abs(r));
    diff = std::max(diff, std::abs(a - r));
  }
  for (int64_t i = 0; i < jit.numel(); ++i) scale = std::max(scale, std::abs(reference.data[static_cast<size_t>(i)]));
  return diff == 0 ? 0 : diff / std::max(scale, 1e-30);
}

void check_against_interpreter(const std::string &name, const std::string &source, const DifferentialOptions &options) {
  INFO("model: " << name);
  Compiler cc({.opt_level = options.opt_level, .precision = options.bf16 ? Precision::BF16 : Precision::F32});
  Model model = cc.compile_source(name, source);
  Session session = model.new_session({.seed = kSeed, .threads = 1});

  auto ref = compile(source, name);
  REQUIRE(ref->result.module);
  ir::Module &module = *ref->result.module;
  compiler::build_entry_points(module, 0, {.bf16 = options.bf16}); // the reference: the graph as autodiff built it

  // Inputs: every input any entry point reads.
  TensorMap inputs;
  uint64_t stream = 1;
  for (const FunctionDesc &f : model.desc().functions)
      for (const ArgDesc &a : f.args)
        if (a.kind == ArgKind::Input && !inputs.count(a.name)) inputs.emplace(a.name, random_input(a, options.symbolic_dim, stream++));
  std::map<std::string, interp::Tensor> args;
  for (const auto &[n, t] : inputs) args[n] = to_interp(t);

  // Same seed, same initial params, bit for bit.
  std::map<std::string, interp::Tensor> params = interp::initial_params(module, kSeed);
  for (const auto &[n, t] : params) {
    args[n] = t;
    if (module.find_state(n)) continue; // running statistics: set from the ModelDesc's initial values below
    INFO("initial param " << n);
    CHECK(relative_error(session.param(n), t) == 0);
  }

  if (const ir::Function *f = module.find_function("forward"); f && !f->results().empty())
    compare(session.forward(inputs), run_reference(*f, args, {.training = false, .seed = kSeed}), "forward", options.tolerance);
  if (const ir::Function *f = module.find_function("evaluate"))
    compare(session.evaluate(inputs), run_reference(*f, args, {.training = false, .seed = kSeed}), "evaluate", options.tolerance);
  if (const ir::Function *f = module.find_function("grad"))
    compare(session.grad(inputs), run_reference(*f, args, {.training = true, .seed = kSeed, .step = 1}), "grad", options.tolerance);
  const ir::Function *step_fn = module.find_function("train_step");
  if (!step_fn) return;
  for (const StateDesc &s : model.desc().states) {
    interp::Tensor t = interp::Tensor::zeros(static_cast<ir::DType>(s.dtype), s.shape);
    std::fill(t.data.begin(), t.data.end(), s.initial);
    args[s.name] = t;
  }
  for (int step = 1; step <= options.train_steps; ++step) {
    args["step"] = interp::Tensor::scalar(step, args["step"].dtype);
    auto results = run_reference(*step_fn, args, {.training = true, .seed = kSeed, .step = static_cast<uint64_t>(step)});
    double loss = session.train_step(inputs);
    std::string where = "train_step " + std::to_string(step);
    INFO(where << ": loss " << loss << " vs " << results.at("loss").item());
    CHECK(std::abs(loss - results.at("loss").item()) <= options.tolerance * std::max(1.0, std::abs(results.at("loss").item())));
    for (auto &[n, t] : results)
      if (n != "loss") args[n] = t;
    if (!options.check_updated_state) continue;
    TensorMap state = session.state();
    std::map<std::string, interp::Tensor> expected;
    for (const auto &[n, t] : state) expected[n] = args.at(n);
    compare(state, expected, where, options.tolerance);
  }
}

} // namespace nncc::test
