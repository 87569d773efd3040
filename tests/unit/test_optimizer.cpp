// train_step against an independent transcription of torch.optim's SGD,
// Adam and AdamW steps (PyTorch 1.13, single tensor, no amsgrad), and
// training through the reference interpreter.
#include "compiler/interp/interpreter.h"
#include "compiler/interp/params.h"
#include "compiler/passes/autodiff.h"
#include "compiler/passes/optimizer.h"
#include "helpers.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include "nncc/rng.h"

using namespace nncc;
using interp::Tensor;

namespace {

const char *kMlp = "input x : f64[4, 3]\n input y : i32[4]\n param W1 : f64[3, 5]\n param b1 : f64[5] = uniform(-1, 1)\n"
                   " param W2 : f64[5, 3]\n h = tanh(x @ W1 + b1)\n loss cross_entropy(h @ W2, y)\n";

using Values = std::map<std::string, Tensor>;

struct Setup {
  std::unique_ptr<test::Compiled> c;
  const ir::Function *grad, *step;
  Values data, params;
};

Setup setup(const std::string &optimizer) {
  Setup s;
  s.c = test::compile_body(std::string(kMlp) + " optimizer " + optimizer);
  INFO(s.c->errors());
  REQUIRE(s.c->result.module);
  s.grad = &compiler::build_grad(*s.c->result.module).fn;
  s.step = &compiler::build_train_step(*s.c->result.module);
  s.data["x"] = Tensor{ir::DType::F64, {4, 3}, {0.1, -0.2, 0.3, 0.5, 0.4, -0.6, -0.7, 0.8, 0.2, 0.0, 0.3, -0.1}};
  s.data["y"] = Tensor{ir::DType::I32, {4}, {0, 2, 1, 2}};
  s.params = interp::initial_params(*s.c->result.module, 5);
  return s;
}

Values merged(const Values &a, const Values &b) {
  Values out = a;
  out.insert(b.begin(), b.end());
  return out;
}

/// The gradients at `params`, from the grad function.
Values gradients(const Setup &s, const Values &params) {
  auto ex = interp::run(*s.grad, merged(s.data, params));
  Values g;
  for (const auto &[name, t] : params) g[name] = ex.results.at("d_" + name);
  return g;
}

void scale_all(Values &grads, double clip) { // torch.nn.utils.clip_grad_norm_
  double sq = 0;
  for (const auto &[n, g] : grads)
    for (double e : g.data) sq += e * e;
  double coef = std::min(1.0, clip / (std::sqrt(sq) + 1e-6));
  for (auto &[n, g] : grads)
    for (double &e : g.data) e *= coef;
}

/// One train_step call: updates params and state in place.
void run_step(const Setup &s, Values &params, Values &state, double lr, int step) {
  Values args = merged(merged(s.data, params), state);
  args["lr"] = Tensor::scalar(lr, ir::DType::F64);
  args["step"] = Tensor::scalar(step, ir::DType::F64);
  auto ex = interp::run(*s.step, args);
  for (auto &[name, t] : params) t = ex.results.at(name);
  for (auto &[name, t] : state) t = ex.results.at(name);
}

void check_close(const Values &expected, const ir::Function &fn, const Values &got) {
  for (const auto &[name, t] : expected) {
    INFO(name);
    REQUIRE(got.at(name).data.size() == t.data.size());
    for (size_t i = 0; i < t.data.size(); ++i) CHECK(got.at(name).data[i] == Approx(t.data[i]).epsilon(1e-12).margin(1e-14));
  }
}

} // namespace

TEST_CASE("SGD with momentum, Nesterov and weight decay follows torch.optim.SGD", "[optimizer]") {
  Setup s = setup("sgd(lr = 0.1, momentum = 0.9, nesterov = true, weight_decay = 0.01)");
  double lr = 0.1, mu = 0.9, wd = 0.01;
  Values params = s.params, state, ref = s.params, buf;
  for (const auto &[name, t] : params) state["opt." + name + ".momentum"] = Tensor::zeros(ir::DType::F64, t.shape);
  for (int step = 1; step <= 2; ++step) {
    // Reference: torch.optim.SGD.step, one param at a time.
    Values g = gradients(s, ref);
    for (auto &[name, p] : ref) {
      Tensor &d = g[name];
      for (size_t i = 0; i < p.data.size(); ++i) d.data[i] += wd * p.data[i];
      if (step == 1) buf[name] = d; // buf = clone(d_p)
      else
        for (size_t i = 0; i < d.data.size(); ++i) buf[name].data[i] = mu * buf[name].data[i] + d.data[i];
      for (size_t i = 0; i < p.data.size(); ++i) p.data[i] -= lr * (d.data[i] + mu * buf[name].data[i]);
    }
    run_step(s, params, state, lr, step); // nncc: one train_step call
    check_close(ref, *s.step, params);
  }
}

TEST_CASE("Adam with weight decay and clipping, and AdamW, follow torch.optim", "[optimizer]") {
  for (bool decoupled : {false, true}) {
    SECTION(decoupled ? "adamw" : "adam") {
      Setup s = setup(decoupled ? "adamw(lr = 0.01, weight_decay = 0.1, clip_norm = 0.05)"
                                : "adam(lr = 0.01, beta1 = 0.8, weight_decay = 0.1, clip_norm = 0.05)");
      double lr = 0.01, b1 = decoupled ? 0.9 : 0.8, b2 = 0.999, eps = 1e-8, wd = 0.1;
      Values params = s.params, state, ref = s.params, m, v;
      for (const auto &[name, t] : params) {
        state["opt." + name + ".m"] = state["opt." + name + ".v"] = m[name] = v[name] = Tensor::zeros(ir::DType::F64, t.shape);
      }
      for (int step = 1; step <= 3; ++step) {
        Values g = gradients(s, ref);
        scale_all(g, 0.05);
        for (auto &[name, p] : ref) {
          Tensor &d = g[name];
          for (size_t i = 0; i < p.data.size(); ++i) {
            if (decoupled) p.data[i] *= 1 - lr * wd;
            else d.data[i] += wd * p.data[i];
            m[name].data[i] = b1 * m[name].data[i] + (1 - b1) * d.data[i];
            v[name].data[i] = b2 * v[name].data[i] + (1 - b2) * d.data[i] * d.data[i];
            double bc1 = 1 - std::pow(b1, step), bc2 = 1 - std::pow(b2, step);
            double denom = std::sqrt(v[name].data[i]) / std::sqrt(bc2) + eps;
            p.data[i] -= lr / bc1 * m[name].data[i] / denom;
          }
        }
        run_step(s, params, state, lr, step);
        check_close(ref, *s.step, params);
      }
    }
  }
}

TEST_CASE("the interpreter trains XOR to a loss below 0.01", "[optimizer][training]") {
  auto c = test::compile(R"(model xor {
    input x : f32[N, 2]
    input y : f32[N, 1]
    param W1 : f32[2, 8] = glorot_uniform
    param b1 : f32[8]
    param W2 : f32[8, 1] = glorot_uniform
    param b2 : f32[1]
    p = sigmoid(tanh(x @ W1 + b1) @ W2 + b2)
    loss bce(p, y)
    optimizer sgd(lr = 0.5, momentum = 0.9)
  })");
  REQUIRE(c->result.module);
  const ir::Function &step = compiler::build_train_step(*c->result.module);
  Values values = interp::initial_params(*c->result.module, 1);
  values["x"] = Tensor{ir::DType::F32, {4, 2}, {0, 0, 0, 1, 1, 0, 1, 1}};
  values["y"] = Tensor{ir::DType::F32, {4, 1}, {0, 1, 1, 0}};
  values["lr"] = Tensor::scalar(0.5);
  for (const ir::Value *a : step.arguments())
    if (a->kind == ir::ValueKind::State && a->name.starts_with("opt.")) values[a->name] = Tensor::zeros(ir::DType::F32, values[a->name.substr(4, a->name.rfind('.') - 4)].shape);
  double first = 0, last = 0;
  for (int i = 1; i <= 500; ++i) {
    values["step"] = Tensor::scalar(i);
    auto ex = interp::run(step, values);
    for (const ir::FunctionResult &r : step.results())
      if (r.name != "loss") values[r.name] = ex.results.at(r.name);
    last = ex.results.at("loss").item();
    if (i == 1) first = last;
  }
  CHECK(first > 0.5);
  CHECK(last < 0.01);
}

TEST_CASE("the interpreter trains the window classifier to zero hinge loss", "[optimizer][training]") {
  std::ifstream in(std::string(NNCC_EXAMPLES_DIR) + "/window_ner.nn");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto c = test::compile(text, "window_ner.nn");
  REQUIRE(c->result.module);
  const ir::Function &step = compiler::build_train_step(*c->result.module);
  // 16 true windows (a "location" pattern at the centre word, features 8..11)
  // and 16 corrupt ones (random words only).
  const int64_t n = 16;
  Values values = interp::initial_params(*c->result.module, 3);
  Tensor x = Tensor::zeros(ir::DType::F32, {n, 20}), xc = x;
  for (int64_t i = 0; i < n * 20; ++i) {
    x.data[static_cast<size_t>(i)] = static_cast<float>(rng::uniform(9, 1, static_cast<uint64_t>(i)) - 0.5);
    xc.data[static_cast<size_t>(i)] = static_cast<float>(rng::uniform(9, 2, static_cast<uint64_t>(i)) - 0.5);
  }
  for (int64_t r = 0; r < n; ++r)
    for (int64_t k = 8; k < 12; ++k) x.data[static_cast<size_t>(r * 20 + k)] = 1.0;
  values["x"] = x;
  values["x_c"] = xc;
  values["lr"] = Tensor::scalar(0.1);
  double loss = 1;
  int steps = 0;
  for (; steps < 3000 && loss > 0; ++steps) {
    values["step"] = Tensor::scalar(steps + 1);
    auto ex = interp::run(step, values);
    loss = ex.results.at("loss").item();
    for (const ir::FunctionResult &r : step.results())
      if (r.name != "loss") values[r.name] = ex.results.at(r.name);
  }
  INFO("steps: " << steps);
  CHECK(loss == 0.0); // every true window scores at least 1 above its corrupt one
}
