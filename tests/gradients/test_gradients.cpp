// Every differentiable op, alone and in small graphs (with broadcasting),
// checked against central finite differences in f64 through the reference
// interpreter: |analytic - numeric| / max(|analytic|, |numeric|, 1e-6) <= 1e-6.
#include "compiler/interp/interpreter.h"
#include "compiler/passes/autodiff.h"
#include "helpers.h"
#include "op_cases.h"
#include "nncc/rng.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <fmt/format.h>

using namespace nncc;
using interp::Tensor;

namespace {


Tensor random_tensor(const ir::Value &arg, uint64_t stream) {
  std::vector<int64_t> shape;
  for (const ir::Dim &d : arg.type.shape) shape.push_back(d.size);
  Tensor t = Tensor::zeros(arg.type.dtype, shape);
  for (size_t i = 0; i < t.data.size(); ++i) {
    double u = rng::uniform(42, stream, i);
    t.data[i] = arg.type.dtype == ir::DType::I32 ? std::floor(u * 3) : 2 * u - 1;
  }
  return t;
}

} // namespace

TEST_CASE("gradients agree with central finite differences", "[gradients]") {
  for (const test::OpCase &c : test::kOpCases) {
    SECTION(c.name) {
      auto compiled = test::compile_body(c.body);
      INFO(c.name << "\n" << compiled->errors());
      REQUIRE(compiled->result.module);
      ir::Module &m = *compiled->result.module;
      const ir::Function &grad = compiler::build_grad(m, {.input_gradients = true}).fn;
      const ir::Function &forward = *m.find_function("forward");

      std::map<std::string, Tensor> args;
      uint64_t stream = 1;
      for (const ir::Value *a : forward.arguments()) args[a->name] = random_tensor(*a, stream++);
      for (const ir::ParamDecl &p : m.params) // bounded-below params (uniform(1, 2) inits)
        if (p.init.kind == ir::InitKind::Uniform || p.init.kind == ir::InitKind::Ones)
          for (double &e : args[p.name].data) e = 1.5 + e / 4;

      auto result = interp::run(grad, args);
      auto loss_at = [&](const std::map<std::string, Tensor> &at) { return interp::run(forward, at).results.at("loss").item(); };
      int checked = 0;
      for (const ir::Value *a : forward.arguments()) {
        if (!ir::is_float(a->type.dtype) || a->kind == ir::ValueKind::State) continue; // running statistics: no gradient
        const Tensor &analytic = result.results.at("d_" + a->name);
        REQUIRE(analytic.shape == args[a->name].shape);
        for (size_t i = 0; i < analytic.data.size(); ++i) {
          const double h = 1e-6, x0 = args[a->name].data[i];
          auto shifted = args;
          shifted[a->name].data[i] = x0 + h;
          double up = loss_at(shifted);
          shifted[a->name].data[i] = x0 - h;
          double numeric = (up - loss_at(shifted)) / (2 * h);
          double error = std::abs(analytic.data[i] - numeric) /
                         std::max({std::abs(analytic.data[i]), std::abs(numeric), 1e-6});
          INFO(fmt::format("d_{}[{}]: analytic {} numeric {}", a->name, i, analytic.data[i], numeric));
          CHECK(error <= 1e-6);
          ++checked;
        }
      }
      CHECK(checked > 0);
    }
  }
}

TEST_CASE("the grad function returns the loss and one gradient per param", "[gradients]") {
  auto c = test::compile_body("input x : f32[N, 2]\n param W : f32[2, 1]\n param unused : f32[3]\n loss mean(x @ W)");
  REQUIRE(c->result.module);
  const ir::Function &g = compiler::build_grad(*c->result.module).fn;
  REQUIRE(g.results().size() == 3);
  CHECK(g.results()[0].name == "loss");
  CHECK(g.results()[1].name == "d_W");
  CHECK(g.results()[2].name == "d_unused");
  CHECK(g.results()[2].value->op == ir::OpKind::ZerosLike);
  CHECK_FALSE(g.find_result("d_x")); // inputs only on request
}
