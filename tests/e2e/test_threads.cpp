// The runtime's own loops and the generated kernels on the session's
// threads (runtime/threads.h): generated loops split their outermost loop,
// row kernels their rows, reductions a loop over their output, copies
// their outermost axis;
// batch norm, its gradient and channel sums share the channels among the
// threads, blocked max pooling the planes; each unit is computed by one
// thread in one order, so a step gives the same numbers, bit for bit, on 1
// and 2 threads. The images are large enough (more than
// NNCC_MIN_PARALLEL_ELEMENTS) for the split to happen.
#include "nncc/nncc.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <initializer_list>

using namespace nncc;

namespace {

bool same(const Tensor &a, const Tensor &b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

Tensor random_tensor(std::vector<int64_t> shape, uint64_t seed) {
  Tensor t(DType::F32, std::move(shape));
  uint64_t z = seed;
  for (int64_t i = 0; i < t.numel(); ++i) {
    z = z * 6364136223846793005ull + 1442695040888963407ull;
    t.data<float>()[i] = static_cast<float>((z >> 40) % 2001) / 1000.0f - 1.0f;
  }
  return t;
}

/// Trains a 1-thread and a 2-thread session side by side for `steps` steps:
/// the same losses, then bit-identical params and optimizer state, and the
/// same `outputs` from forward.
void check_threads_agree(const Model &model, const TensorMap &inputs, int steps, std::initializer_list<const char *> outputs = {}) {
  Session one = model.new_session({.seed = 1, .threads = 1}), two = model.new_session({.seed = 1, .threads = 2});
  for (int step = 0; step < steps; ++step) CHECK(one.train_step(inputs) == two.train_step(inputs));
  TensorMap state_one = one.state(), state_two = two.state();
  for (const auto &[name, p] : state_one) {
    INFO(name);
    CHECK(same(p, state_two.at(name)));
  }
  if (outputs.size() == 0) return;
  TensorMap out_one = one.forward(inputs), out_two = two.forward(inputs);
  for (const char *name : outputs) {
    INFO(name);
    CHECK(same(out_one.at(name), out_two.at(name)));
  }
}

} // namespace

TEST_CASE("batch norm, channel sums and max pooling give the same numbers on 1 and 2 threads", "[threads]") {
  // Blocked images come from the convolution; its weights K are an input,
  // so no gradient of it is taken (oneDNN's weight gradient may sum in
  // another order on 2 threads). The bias c's gradient sums the blocked
  // channels; the second branch is plain (from x).
  static Compiler cc;
  Model model = cc.compile_source("threads", R"(model threads {
  input x : f32[N, 16, 24, 24]
  input K : f32[16, 16, 1, 1]
  input t : f32[N, 16, 12, 12]
  param c : f32[16, 1, 1]
  param g : f32[16] = ones
  param b : f32[16]
  param g2 : f32[16] = ones
  param b2 : f32[16]
  param a : f32[16, 1, 1] = ones
  param g3 : f32[16] = ones
  param b3 : f32[16]
  h = max_pool2d(relu(batch_norm(relu(batch_norm(conv2d(x, K) + c, g, b)), g2, b2)), 2)
  h3 = max_pool2d(relu(batch_norm(x * a, g3, b3)), 2)
  loss sum(h * t) + sum(h3 * t)
  optimizer sgd(lr = 0.01)
})");
  TensorMap inputs{{"x", random_tensor({8, 16, 24, 24}, 1)}, {"K", random_tensor({16, 16, 1, 1}, 2)}, {"t", random_tensor({8, 16, 12, 12}, 3)}};
  Session one = model.new_session({.seed = 1, .threads = 1}), two = model.new_session({.seed = 1, .threads = 2});
  TensorMap grads_one = one.grad(inputs), grads_two = two.grad(inputs);
  REQUIRE(grads_one.size() == grads_two.size());
  for (const auto &[name, g] : grads_one) {
    INFO(name);
    CHECK(same(g, grads_two.at(name)));
  }
  check_threads_agree(model, inputs, 3);
}

TEST_CASE("generated loops shared among threads give the numbers of one thread", "[threads]") {
  // Elementwise kernels of 2 x 64 x 1024 elements (a fused chain with a
  // dropout, which draws by the element's index; relu's and tanh's
  // backward; the Adam update of each param) run in parts on 2 threads.
  static Compiler cc;
  Model model = cc.compile_source("loops", R"(model loops {
  input x : f32[N, 64, 1024]
  param P : f32[64, 1024] = normal(0, 1)
  param Q : f32[64, 1024] = ones
  h = tanh(dropout(relu(x * P + Q), p = 0.25))
  output h
  loss mean(square(h - x))
  optimizer adam(lr = 0.01)
})");
  TensorMap inputs{{"x", random_tensor({2, 64, 1024}, 4)}};
  // forward's output is the fused chain's result (no dropout outside training).
  check_threads_agree(model, inputs, 3, {"h"});
}

TEST_CASE("row kernels shared among threads give the numbers of one thread", "[threads]") {
  // Rows of 2 x 64 x 512 elements, each computed by one thread: layer norm
  // with its affine and dropout after it (fuse's row-epilogue, which also
  // stores the normalized value for the backward pass), layer norm's
  // gradient, a causal softmax of scaled scores (row-prologue), log_softmax
  // and logsumexp in cross_entropy's neighbourhood, argmax in forward.
  static Compiler cc;
  Model model = cc.compile_source("rows", R"(model rows {
  input x : f32[N, 64, 512]
  param g : f32[512] = normal(1, 0.1)
  param b : f32[512] = normal(0, 0.1)
  param S : f32[64, 512] = normal(0, 1)
  h = dropout(layernorm(x * S) * g + b, p = 0.1)
  s = softmax(tril(reshape(h, [N, 512, 64]) * 0.5, fill = -inf))
  c = argmax(h)
  output h, c
  loss mean(square(reshape(s, [N, 64, 512]) - x)) - mean(log_softmax(h) * x) + mean(logsumexp(h * x))
  optimizer adam(lr = 0.01)
})");
  TensorMap inputs{{"x", random_tensor({2, 64, 512}, 5)}};
  check_threads_agree(model, inputs, 3, {"h", "c"});
}

TEST_CASE("reductions shared among threads give the numbers of one thread", "[threads]") {
  // Each part takes a share of a loop over the output: the columns of b's
  // gradient (sum_to over N and 64 rows), the rows of c's (sum_to to
  // [64, 1]), the rows of sum(axis = 1) and of a keepdims mean, the columns
  // of max over the batch; a scalar sum stays on one thread.
  static Compiler cc;
  Model model = cc.compile_source("sums", R"(model sums {
  input x : f32[N, 64, 512]
  param P : f32[64, 512] = normal(0, 1)
  param b : f32[512]
  param c : f32[64, 1]
  h = tanh(x * P + b + c)
  m = max(h, axis = 0)
  output m
  loss mean(square(sum(h, axis = 1))) + mean(m) + sum(mean(h * x, axis = -1, keepdims = true))
  optimizer adam(lr = 0.01)
})");
  TensorMap inputs{{"x", random_tensor({3, 64, 512}, 6)}};
  check_threads_agree(model, inputs, 3, {"m"});
}

TEST_CASE("copies shared among threads give the numbers of one thread", "[threads]") {
  // An embedding lookup (each part its share of the ids) and a transpose
  // copy (its share of the outermost axis); the scatter-add of the
  // embedding's gradient stays on one thread.
  static Compiler cc;
  Model model = cc.compile_source("copies", R"(model copies {
  input ids : i32[N, 64]
  input t : f32[N, 512, 64]
  param E : f32[100, 512] = normal(0, 1)
  u = transpose(embedding(E, ids), axes = [0, 2, 1]) * t
  output u
  loss mean(square(u))
  optimizer sgd(lr = 0.1)
})");
  Tensor ids(DType::I32, {3, 64});
  for (int64_t i = 0; i < ids.numel(); ++i) ids.data<int32_t>()[i] = static_cast<int32_t>((i * 37) % 100);
  TensorMap inputs{{"ids", ids}, {"t", random_tensor({3, 512, 64}, 7)}};
  check_threads_agree(model, inputs, 2, {"u"});
}
