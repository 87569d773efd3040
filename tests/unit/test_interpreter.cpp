#include "compiler/interp/interpreter.h"
#include "compiler/passes/autodiff.h"
#include "helpers.h"

#include <catch2/catch.hpp>
#include <cmath>

using namespace nncc;
using interp::Tensor;

namespace {
Tensor f64(std::vector<int64_t> shape, std::vector<double> data) { return Tensor{ir::DType::F64, std::move(shape), std::move(data)}; }
Tensor f32(std::vector<int64_t> shape, std::vector<double> data) { return Tensor{ir::DType::F32, std::move(shape), std::move(data)}; }

interp::Execution run(const test::Compiled &c, std::map<std::string, Tensor> args, interp::RunOptions o = {}) {
  return interp::run(c.forward(), args, o);
}
} // namespace

TEST_CASE("interpreter: the computation graph L = c(a + 2b) of the lecture", "[interp]") {
  auto c = test::compile_body("input a : f64\n input b : f64\n input cc : f64\n e = a + 2 * b\n L = cc * e\n loss L");
  REQUIRE(c->result.module);
  auto ex = run(*c, {{"a", Tensor::scalar(3, ir::DType::F64)}, {"b", Tensor::scalar(1, ir::DType::F64)},
                     {"cc", Tensor::scalar(-2, ir::DType::F64)}});
  CHECK(ex.results.at("loss").item() == -10.0);
}

TEST_CASE("interpreter: a sigmoid neuron and a softmax, to the digits of the lecture", "[interp]") {
  auto c = test::compile_body("input x : f64[3]\n param w : f64[3]\n param b : f64\n p = sigmoid(x @ w + b)\n"
                              " input z : f64[3]\n s = softmax(z)\n output p, s");
  REQUIRE(c->result.module);
  auto ex = run(*c, {{"x", f64({3}, {0.5, 0.6, 0.1})}, {"w", f64({3}, {0.2, 0.3, 0.9})},
                     {"b", Tensor::scalar(0.5, ir::DType::F64)}, {"z", f64({3}, {-1.1, 2.1, -0.4})}});
  CHECK(ex.results.at("p").item() == Approx(0.7047).epsilon(1e-4)); // sigmoid(0.87) = 0.70
  const Tensor &s = ex.results.at("s");
  CHECK(s.data[0] == Approx(0.036).margin(5e-4));
  CHECK(s.data[1] == Approx(0.89).margin(5e-3));
  CHECK(s.data[2] == Approx(0.07).margin(5e-3));
}

TEST_CASE("interpreter: broadcasting, reductions and f32 rounding", "[interp]") {
  auto c = test::compile_body("input x : f32[N, 3]\n param b : f32[3]\n y = x + b\n s = sum(y, axis = 0)\n"
                              " m = mean(y)\n k = max(x, axis = -1, keepdims = true)\n t = 1 / 3 + x\n output y, s, m, k, t");
  REQUIRE(c->result.module);
  auto ex = run(*c, {{"x", f32({2, 3}, {1, 2, 3, 4, 5, 6})}, {"b", f32({3}, {10, 20, 30})}});
  CHECK(ex.dims.at("N") == 2);
  CHECK(ex.results.at("y").data == std::vector<double>{11, 22, 33, 14, 25, 36});
  CHECK(ex.results.at("s").data == std::vector<double>{25, 47, 69});
  CHECK(ex.results.at("m").item() == Approx(23.5));
  CHECK(ex.results.at("k").shape == std::vector<int64_t>{2, 1});
  CHECK(ex.results.at("k").data == std::vector<double>{3, 6});
  CHECK(ex.results.at("t").data[0] == static_cast<double>(1.0f / 3.0f + 1.0f)); // f32 arithmetic
}

TEST_CASE("interpreter: losses match their definitions", "[interp]") {
  auto c = test::compile_body("input z : f64[N, 3]\n input y : i32[N]\n input p : f64[N]\n input t : f64[N]\n"
                              " ce = cross_entropy(z, y)\n ls = cross_entropy(z, y, label_smoothing = 0.1)\n"
                              " nl = nll(log_softmax(z), y)\n se = mse(p, t)\n hi = hinge(p, t)\n"
                              " bl = bce_with_logits(p, t)\n be = bce(sigmoid(p), t)\n output ce, ls, nl, se, hi, bl, be");
  REQUIRE(c->result.module);
  auto ex = run(*c, {{"z", f64({2, 3}, {1, 2, 3, 0, 0, 0})}, {"y", Tensor{ir::DType::I32, {2}, {2, 0}}},
                     {"p", f64({2}, {0.5, -1})}, {"t", f64({2}, {1, 0})}});
  double lse0 = std::log(std::exp(1) + std::exp(2) + std::exp(3)), lse1 = std::log(3.0);
  double ce = ((lse0 - 3) + lse1) / 2;
  CHECK(ex.results.at("ce").item() == Approx(ce));
  CHECK(ex.results.at("nl").item() == Approx(ce));
  double smooth0 = 0.9 * (lse0 - 3) + 0.1 / 3 * ((lse0 - 1) + (lse0 - 2) + (lse0 - 3));
  CHECK(ex.results.at("ls").item() == Approx((smooth0 + lse1) / 2));
  CHECK(ex.results.at("se").item() == Approx((0.25 + 1) / 2));
  CHECK(ex.results.at("hi").item() == Approx((1.5 + 2) / 2)); // max(0, 1 - p + t)
  double bl = (std::log1p(std::exp(-0.5)) + std::log1p(std::exp(-1))) / 2;
  CHECK(ex.results.at("bl").item() == Approx(bl));
  CHECK(ex.results.at("be").item() == Approx(bl));
}

TEST_CASE("interpreter: bad arguments name the argument and both shapes", "[interp]") {
  auto c = test::compile_body("input x : f32[N, 2]\n input y : f32[N]\n s = sum(x) + sum(y)\n output s");
  REQUIRE(c->result.module);
  CHECK_THROWS_WITH(run(*c, {{"x", f32({2, 2}, {1, 2, 3, 4})}}), "missing input 'y' (f32[N])");
  CHECK_THROWS_WITH(run(*c, {{"x", f32({2, 3}, {1, 2, 3, 4, 5, 6})}, {"y", f32({2}, {1, 2})}}),
                    "'x' must be f32[N, 2], got f32[2, 3] (dimension 1 is 3, expected 2)");
  CHECK_THROWS_WITH(run(*c, {{"x", f32({2, 2}, {1, 2, 3, 4})}, {"y", f32({3}, {1, 2, 3})}}),
                    "symbolic dimension N is 2 in 'x' but 3 in 'y'");
  CHECK_THROWS_WITH(run(*c, {{"x", f64({2, 2}, {1, 2, 3, 4})}, {"y", f32({2}, {1, 2})}}),
                    "'x' must be f32[N, 2], got f64[2, 2]");
}

TEST_CASE("interpreter: dropout masks are seeded, scaled, and off in inference", "[interp]") {
  auto c = test::compile_body("input x : f32[1000]\n y = dropout(x, p = 0.25)\n output y");
  REQUIRE(c->result.module);
  Tensor ones = f32({1000}, std::vector<double>(1000, 1.0));
  auto a = run(*c, {{"x", ones}}, {true, 7, 0}), b = run(*c, {{"x", ones}}, {true, 7, 0});
  auto other_step = run(*c, {{"x", ones}}, {true, 7, 1}), eval = run(*c, {{"x", ones}}, {false, 7, 0});
  CHECK(a.results.at("y").data == b.results.at("y").data);
  CHECK(a.results.at("y").data != other_step.results.at("y").data);
  CHECK(eval.results.at("y").data == ones.data);
  int kept = 0;
  for (double v : a.results.at("y").data) {
    CHECK((v == 0.0 || v == Approx(1 / 0.75)));
    kept += v != 0.0;
  }
  CHECK(kept > 700);
  CHECK(kept < 800);
}

TEST_CASE("interpreter: conv2d is a cross-correlation, with zero padding and strides", "[interp][images]") {
  auto c = test::compile_body("input x : f64[1, 1, 3, 3]\n param W : f64[1, 1, 2, 2]\n"
                              " y = conv2d(x, W)\n z = conv2d(x, W, padding = 1, stride = 2)\n output y, z");
  REQUIRE(c->result.module);
  auto ex = run(*c, {{"x", f64({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9})}, {"W", f64({1, 1, 2, 2}, {1, 0, 0, -1})}});
  // y[i, j] = x[i, j] - x[i + 1, j + 1] (not flipped, as PyTorch)
  CHECK(ex.results.at("y").data == std::vector<double>{-4, -4, -4, -4});
  // Windows start at -1: the top-left tap of the first three falls on the padding.
  CHECK(ex.results.at("z").shape == std::vector<int64_t>{1, 1, 2, 2});
  CHECK(ex.results.at("z").data == std::vector<double>{-1, -3, -7, 5 - 9});
}

TEST_CASE("interpreter: pooling: max ignores padding, mean counts it, ties send the gradient to the first max", "[interp][images]") {
  auto c = test::compile_body("input x : f64[1, 1, 2, 2]\n m = max_pool2d(x, 2, stride = 1, padding = 1)\n"
                              " a = avg_pool2d(x, 2, padding = 1)\n output m, a");
  REQUIRE(c->result.module);
  auto ex = run(*c, {{"x", f64({1, 1, 2, 2}, {-1, -2, -3, -4})}});
  // 3x3 windows positions; every window holds some element, padding (-inf) never wins.
  CHECK(ex.results.at("m").data == std::vector<double>{-1, -1, -2, -1, -1, -2, -3, -3, -4});
  CHECK(ex.results.at("a").data == std::vector<double>{-0.25, -0.5, -0.75, -1});

  auto t = test::compile_body("param p : f64[1, 1, 2, 3]\n loss sum(max_pool2d(p, [2, 3]))");
  REQUIRE(t->result.module);
  const ir::Function &grad = compiler::build_grad(*t->result.module).fn;
  auto g = interp::run(grad, {{"p", f64({1, 1, 2, 3}, {0, 2, 1, 2, 2, 0})}});
  CHECK(g.results.at("d_p").data == std::vector<double>{0, 1, 0, 0, 0, 0}); // the first of three maxima
}
