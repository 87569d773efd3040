// Training through the JIT: XOR converges, the Fashion MLP learns from a
// 10k-image subset of Fashion-MNIST in one epoch (in f32, and as well with
// bf16 products), and a seed fixes everything (1 thread).
#include "nncc/idx.hpp"
#include "nncc/nncc.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>

using namespace nncc;

namespace {

const std::string kExamples = NNCC_EXAMPLES_DIR;
const std::string kFashion = "/usr/share/datasets/fashion-mnist/";

Tensor xor_x() { return Tensor::f32({4, 2}, {0, 0, 0, 1, 1, 0, 1, 1}); }
Tensor xor_y() { return Tensor::f32({4, 1}, {0, 1, 1, 0}); }

std::vector<double> train_xor(Session &s, int steps) {
  std::vector<double> losses;
  for (int i = 0; i < steps; ++i) losses.push_back(s.train_step({{"x", xor_x()}, {"y", xor_y()}}));
  return losses;
}

} // namespace

TEST_CASE("xor.nn trains to a loss below 0.01 through the JIT", "[e2e]") {
  Compiler cc;
  Session s = cc.compile_file(kExamples + "/xor.nn").new_session({.seed = 42, .threads = 1});
  std::vector<double> losses = train_xor(s, 1000);
  INFO("first loss " << losses.front() << ", last " << losses.back());
  CHECK(losses.front() > 0.5);
  CHECK(losses.back() < 0.01);
  CHECK(s.step() == 1000);
  Tensor p = s.forward({{"x", xor_x()}}).at("p");
  REQUIRE(p.shape() == std::vector<int64_t>{4, 1});
  for (int i = 0; i < 4; ++i) CHECK(std::abs(p.data<float>()[i] - xor_y().data<float>()[i]) < 0.1);
}

TEST_CASE("the same seed gives bit-identical params and losses", "[e2e]") {
  Compiler cc;
  Model model = cc.compile_file(kExamples + "/xor.nn");
  Session a = model.new_session({.seed = 9, .threads = 1}), b = model.new_session({.seed = 9, .threads = 1});
  Session other = model.new_session({.seed = 10, .threads = 1});
  for (const std::string &name : a.param_names()) {
    Tensor pa = a.param(name), pb = b.param(name);
    CHECK(std::memcmp(pa.raw(), pb.raw(), pa.nbytes()) == 0);
  }
  CHECK(std::memcmp(a.param("W1").raw(), other.param("W1").raw(), a.param("W1").nbytes()) != 0);
  CHECK(train_xor(a, 50) == train_xor(b, 50));
  for (const auto &[name, t] : a.state()) CHECK(std::memcmp(t.raw(), b.state().at(name).raw(), t.nbytes()) == 0);
}

namespace {

/// fashion_mlp.nn after one epoch of the first 10k training images (batch
/// 64, seed 0, 1 thread): the lowest batch loss, and the loss on 2000 test
/// images before and after.
struct FashionRun {
  double lowest = INFINITY, before = 0, after = 0;
};

FashionRun train_fashion_subset(Precision precision) {
  data::IdxArray images = data::read_idx(kFashion + "train-images-idx3-ubyte.gz");
  data::IdxArray labels = data::read_idx(kFashion + "train-labels-idx1-ubyte.gz");
  REQUIRE(images.shape == std::vector<int64_t>{60000, 28, 28});
  REQUIRE(labels.shape == std::vector<int64_t>{60000});
  data::IdxArray test_images = data::read_idx(kFashion + "t10k-images-idx3-ubyte.gz");
  data::IdxArray test_labels = data::read_idx(kFashion + "t10k-labels-idx1-ubyte.gz");
  auto batch_of = [](const data::IdxArray &img, const data::IdxArray &lab, int64_t start, int64_t n) {
    TensorMap b{{"x", Tensor(DType::F32, {n, 784})}, {"y", Tensor(DType::I32, {n})}};
    for (int64_t i = 0; i < n * 784; ++i) b.at("x").data<float>()[i] = img.bytes[static_cast<size_t>(start * 784 + i)] / 255.0f;
    for (int64_t i = 0; i < n; ++i) b.at("y").data<int32_t>()[i] = lab.bytes[static_cast<size_t>(start + i)];
    return b;
  };
  Compiler cc({.precision = precision});
  Session s = cc.compile_file(kExamples + "/fashion_mlp.nn").new_session({.seed = 0, .threads = 1});
  const int64_t batch = 64, subset = 10000, held_out = 2000;
  FashionRun run;
  run.before = s.grad(batch_of(test_images, test_labels, 0, held_out)).at("loss").item();
  for (int64_t start = 0; start < subset; start += batch) // the last batch is partial
    run.lowest = std::min(run.lowest, s.train_step(batch_of(images, labels, start, std::min(batch, subset - start))));
  run.after = s.grad(batch_of(test_images, test_labels, 0, held_out)).at("loss").item();
  return run;
}

} // namespace

TEST_CASE("fashion_mlp.nn learns Fashion-MNIST: loss below 0.5 within one epoch of 10k images", "[e2e][data]") {
  if (!std::filesystem::exists(kFashion + "train-images-idx3-ubyte.gz")) FAIL("dataset-fashion-mnist is not installed (scripts/setup)");
  FashionRun r = train_fashion_subset(Precision::F32);
  INFO("loss on 2000 test images: " << r.before << " before, " << r.after << " after one epoch of 10k images; lowest batch loss "
                                    << r.lowest);
  CHECK(r.lowest < 0.5); // the training loss falls below 0.5 within the epoch
  CHECK(r.before > 2.0); // and the model generalizes: 2.45 -> 0.52 on unseen images
  CHECK(r.after < 0.6);
}

TEST_CASE("fashion_mlp.nn learns as well with bf16 products as in f32", "[e2e][data][bf16]") {
  if (!std::filesystem::exists(kFashion + "train-images-idx3-ubyte.gz")) FAIL("dataset-fashion-mnist is not installed (scripts/setup)");
  FashionRun f32 = train_fashion_subset(Precision::F32), bf16 = train_fashion_subset(Precision::BF16);
  INFO("test loss after one epoch of 10k images: f32 " << f32.after << ", bf16 " << bf16.after << " (before: " << f32.before << ", "
                                                       << bf16.before << ")");
  CHECK(bf16.before != f32.before); // the products did run in bf16
  CHECK(std::abs(bf16.before - f32.before) < 0.01);
  CHECK(bf16.after < 0.6);
  CHECK(std::abs(bf16.after - f32.after) < 0.03);
}
