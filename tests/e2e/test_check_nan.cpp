// --check-nan through the C++ API (CompilerOptions::check_nan): the first
// value that is not finite — an input, a forward op, a gradient, an update —
// makes the call throw a report naming it, its phase, its .nn line and the
// step, and the session stays as it was.
#include "nncc/nncc.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>

using namespace nncc;
using Catch::Matchers::Contains;

namespace {

// sqrt of a relu: finite forward, but d sqrt(h)/dh = 1 / (2 sqrt(h)) is inf
// where h is 0, so the first non-finite value is a gradient.
const char *kSqrtRelu = "model sqrt_relu {\n"
                        "  input x : f32[N, 2]\n"
                        "  input y : f32[N, 1]\n"
                        "  param W : f32[2, 1] = glorot_uniform\n"
                        "  h = relu(x @ W)\n"
                        "  loss mse(sqrt(h), y)\n"
                        "  optimizer sgd(lr = 0.1)\n"
                        "}\n";

Model compile(const char *source, bool check_nan) {
  Compiler cc({.check_nan = check_nan, .cache = false});
  return cc.compile_source("sqrt_relu.nn", source);
}

TensorMap batch(float x0, float x1, float target = 0) {
  Tensor x(DType::F32, {1, 2}), y(DType::F32, {1, 1});
  x.data<float>()[0] = x0, x.data<float>()[1] = x1, y.data<float>()[0] = target;
  return {{"x", x}, {"y", y}};
}

Tensor weights(float w0, float w1) {
  Tensor w(DType::F32, {2, 1});
  w.data<float>()[0] = w0, w.data<float>()[1] = w1;
  return w;
}

bool same(const Tensor &a, const Tensor &b) { return a.nbytes() == b.nbytes() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0; }

/// The message of the exception `f` throws ("" when it does not throw).
template <typename F> std::string error_of(F &&f) {
  try {
    f();
  } catch (const Error &e) {
    return e.what();
  }
  return "";
}

} // namespace

TEST_CASE("compiled with check_nan, a call names the first non-finite value and changes nothing", "[check-nan]") {
  Model model = compile(kSqrtRelu, true);
  CHECK(model.desc().check_nan);
  Session s = model.new_session({.seed = 3, .threads = 1});
  s.set_param("W", weights(1, -1));
  CHECK(std::isfinite(s.train_step(batch(2, 1)))); // h = 1: every value finite
  TensorMap before = s.state();

  SECTION("an input holding inf") {
    std::string e = error_of([&] { s.train_step(batch(std::numeric_limits<float>::infinity(), 1)); });
    CHECK_THAT(e, Contains("train_step: check-nan: step 2: input %x : f32[N, 2] has inf in 1 of 2 elements (the first is element 0)"));
    CHECK_THAT(e, Contains("sqrt_relu.nn:2:9: note: input 'x' is declared here\n  input x : f32[N, 2]\n        ^"));
  }
  SECTION("a gradient: sqrt's derivative at 0") {
    std::string e = error_of([&] { s.train_step(batch(1, 1)); }); // h = relu(0) = 0
    // dL/dh = dL/ds / (2 sqrt(h)) is 0 / 0 there.
    CHECK_THAT(e, Contains("train_step: check-nan: step 2: backward value %d_h = div(%7, %8) : f32[N, 1] has nan in 1 of 1 "
                           "elements (the first is element 0)"));
    CHECK_THAT(e, Contains("sqrt_relu.nn:6:12: note: dL/dh = dL/d(sqrt(h)) / (2 * sqrt(h))"));
    CHECK_THAT(e, Contains("  loss mse(sqrt(h), y)\n           ^"));
    // grad stops at the same value, in the same words.
    CHECK_THAT(error_of([&] { s.grad(batch(1, 1)); }), Contains("grad: check-nan: step 2: backward value"));
  }
  SECTION("the learning rate, a state") {
    s.set_lr(std::numeric_limits<double>::infinity());
    CHECK_THAT(error_of([&] { s.train_step(batch(2, 1)); }), Contains("check-nan: step 2: state %lr : f32 has inf"));
    s.set_lr(0.1);
  }
  SECTION("an update that overflows") {
    s.set_lr(3e38); // lr * dL/dW = 3e38 * 2 is beyond f32's 3.4e38
    std::string e = error_of([&] { s.train_step(batch(2, 1)); });
    CHECK_THAT(e, Contains("check-nan: step 2: update value"));
    CHECK_THAT(e, Contains("sqrt_relu.nn:7:3: note:"));
    s.set_lr(0.1);
  }
  CHECK(s.step() == 1);
  for (const auto &[name, t] : before) CHECK(same(s.state().at(name), t));
}

TEST_CASE("without --check-nan the same step runs and returns what it computed", "[check-nan]") {
  Model model = compile(kSqrtRelu, false);
  CHECK_FALSE(model.desc().check_nan);
  Session s = model.new_session({.seed = 3, .threads = 1});
  s.set_param("W", weights(1, -1));
  CHECK(s.train_step(batch(1, 1, 1)) == 1.0); // sqrt(0) = 0 against 1; the update is nan or inf
  CHECK_FALSE(std::isfinite(s.param("W").data<float>()[0]));
}
