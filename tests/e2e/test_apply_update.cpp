// apply_update: the optimizer's update as an entry point of its own, the
// building block of data-parallel training (grad on each shard, gradients
// averaged, the same update everywhere). grad + apply_update must take the
// step train_step takes — for every optimizer rule, clipping, weight decay
// and dropout (whose mask depends on the step) — and fail like train_step.
#include "nncc/nncc.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <random>

using namespace nncc;
using Catch::Matchers::Contains;

namespace {

const std::string kExamples = NNCC_EXAMPLES_DIR;

/// Random inputs for every input of `fn`: floats in [-1, 1), class labels
/// within the input's index limit, the batch dimension `batch`.
TensorMap random_inputs(const ModelDesc &desc, const std::string &fn, int64_t batch, unsigned seed) {
  std::mt19937 random(seed);
  TensorMap inputs;
  for (const ArgDesc &a : desc.function(fn)->args) {
    if (a.kind != ArgKind::Input) continue;
    std::vector<int64_t> shape;
    for (const DimDesc &d : a.shape) shape.push_back(d.is_symbolic() ? batch : d.size);
    Tensor t(a.dtype, shape);
    for (int64_t i = 0; i < t.numel(); ++i) {
      if (a.dtype == DType::I32) t.data<int32_t>()[i] = static_cast<int32_t>(random() % static_cast<unsigned>(a.index_limit > 0 ? a.index_limit : 2));
      else t.data<float>()[i] = std::uniform_real_distribution<float>(-1, 1)(random);
    }
    inputs.emplace(a.name, std::move(t));
  }
  return inputs;
}

double max_relative_difference(const Tensor &a, const Tensor &b) {
  double diff = 0, scale = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    diff = std::max(diff, std::abs(static_cast<double>(a.data<float>()[i]) - b.data<float>()[i]));
    scale = std::max(scale, std::abs(static_cast<double>(b.data<float>()[i])));
  }
  return scale > 0 ? diff / scale : diff;
}

} // namespace

TEST_CASE("grad then apply_update takes the step train_step takes", "[apply_update]") {
  // SGD; SGD with momentum; AdamW with weight decay, clipping and dropout; Adam with dropout (spirals);
  // batch norm, whose running statistics grad returns and apply_update commits.
  auto file = GENERATE(as<std::string>{}, "xor.nn", "tutorial/06_momentum.nn", "regularized.nn", "../tests/lit/cli/Inputs/spirals.nn",
                  "../tests/lit/dump/Inputs/tiny_bn.nn");
  INFO(file);
  Compiler cc({.apply_update = true});
  Model model = cc.compile_file(kExamples + "/" + file);
  Session fused = model.new_session({.seed = 3, .threads = 1}), split = model.new_session({.seed = 3, .threads = 1});
  for (int step = 1; step <= 4; ++step) {
    TensorMap batch = random_inputs(model.desc(), "grad", 5, static_cast<unsigned>(step));
    double loss = fused.train_step(batch);
    TensorMap g = split.grad(batch);
    CHECK(g.at("loss").item() == Approx(loss).epsilon(1e-5));
    g.erase("loss");
    split.apply_update(g);
    CHECK(split.step() == step);
    TensorMap expected = fused.state(), got = split.state();
    for (const auto &[name, t] : expected) {
      INFO("step " << step << ", " << name);
      CHECK(max_relative_difference(got.at(name), t) < 1e-5);
    }
  }
}

TEST_CASE("apply_update checks its gradients and leaves the session as it was when it fails", "[apply_update]") {
  Compiler cc({.apply_update = true});
  Model model = cc.compile_file(kExamples + "/xor.nn");
  Session s = model.new_session({.seed = 1, .threads = 1});
  TensorMap g = s.grad(random_inputs(model.desc(), "grad", 4, 1));
  g.erase("loss");
  TensorMap before = s.state();
  TensorMap wrong = g;
  wrong.insert_or_assign("d_W1", Tensor(DType::F32, {3, 8}));
  CHECK_THROWS_WITH(s.apply_update(wrong), Contains("apply_update: input 'd_W1' is f32[3, 8], but the model declares f32[2, 8]"));
  TensorMap missing = g;
  missing.erase("d_b2");
  CHECK_THROWS_WITH(s.apply_update(missing), Contains("apply_update: missing input 'd_b2'"));
  CHECK(s.step() == 0);
  for (const auto &[name, t] : before) CHECK(max_relative_difference(s.state().at(name), t) == 0);
  s.apply_update(g);
  CHECK(s.step() == 1);

  // A model compiled without the option says what to do.
  Session plain = Compiler().compile_file(kExamples + "/xor.nn").new_session({.seed = 1, .threads = 1});
  CHECK_THROWS_WITH(plain.apply_update(g), Contains("model 'xor' has no apply_update function (it was not compiled with CompilerOptions::apply_update)"));
}
