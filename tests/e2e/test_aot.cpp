// AOT libraries (nncc compile, built by CMake into build/aot) against the
// JIT: same seed and one thread give bit-identical initial params and
// losses; checkpoints move between the two; the C ABI reports errors
// instead of crashing.
#include "nncc/nncc.h"
#include "nncc/nncc.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <dlfcn.h>
#include <filesystem>
#include <random>

using namespace nncc;
using Catch::Matchers::Contains;

namespace {

const std::string kExamples = NNCC_EXAMPLES_DIR, kAot = NNCC_AOT_DIR;

/// A random batch for every input of train_step (labels within their bound).
TensorMap random_batch(const ModelDesc &desc, int64_t n, unsigned seed) {
  std::mt19937 gen(seed);
  TensorMap out;
  for (const ArgDesc &a : desc.function("train_step")->args) {
    if (a.kind != ArgKind::Input) continue;
    std::vector<int64_t> shape;
    for (const DimDesc &d : a.shape) shape.push_back(d.is_symbolic() ? n : d.size);
    Tensor t(a.dtype, shape);
    for (int64_t i = 0; i < t.numel(); ++i) {
      if (a.dtype == DType::I32) t.data<int32_t>()[i] = static_cast<int32_t>(gen() % static_cast<unsigned>(a.index_limit ? a.index_limit : 2));
      else t.data<float>()[i] = std::uniform_real_distribution<float>(0, 1)(gen);
    }
    out.emplace(a.name, std::move(t));
  }
  return out;
}

bool same(const TensorMap &a, const TensorMap &b) {
  if (a.size() != b.size()) return false;
  for (const auto &[name, t] : a) {
    const Tensor &u = b.at(name);
    if (t.shape() != u.shape() || std::memcmp(t.raw(), u.raw(), t.nbytes()) != 0) return false;
  }
  return true;
}

struct Pair {
  Model jit, aot;
};

Pair models(const std::string &name) {
  static Compiler cc;
  return {cc.compile_file(kExamples + "/" + name + ".nn"), Model::load_library(kAot + "/lib" + name + ".so")};
}

} // namespace

TEST_CASE("AOT and JIT: identical initial params and 10 identical losses at one thread") {
  for (const char *name : {"xor", "fashion_mlp"}) {
    INFO(name);
    Pair m = models(name);
    CHECK(m.aot.desc().signature == m.jit.desc().signature);
    Session jit = m.jit.new_session({.seed = 5, .threads = 1}), aot = m.aot.new_session({.seed = 5, .threads = 1});
    CHECK(same(jit.state(), aot.state()));
    for (unsigned step = 0; step < 10; ++step) {
      TensorMap batch = random_batch(m.jit.desc(), 32, step);
      double a = jit.train_step(batch), b = aot.train_step(batch);
      CHECK(a == b);
    }
    CHECK(same(jit.state(), aot.state()));
  }
}

TEST_CASE("Checkpoints move between AOT and JIT sessions") {
  Pair m = models("fashion_mlp");
  auto dir = std::filesystem::temp_directory_path();
  std::string from_aot = (dir / "nncc_test_aot_from_aot.safetensors").string(), from_jit = (dir / "nncc_test_aot_from_jit.safetensors").string();
  Session aot = m.aot.new_session({.seed = 1, .threads = 1}), jit = m.jit.new_session({.seed = 2, .threads = 1});
  aot.train_step(random_batch(m.aot.desc(), 16, 1));
  aot.save(from_aot);
  jit.load(from_aot);
  CHECK(same(jit.state(), aot.state()));
  CHECK(jit.step() == 1);
  TensorMap batch = random_batch(m.aot.desc(), 16, 2);
  CHECK(jit.train_step(batch) == aot.train_step(batch));
  jit.train_step(batch);
  jit.save(from_jit);
  Session aot2 = m.aot.new_session({.seed = 3, .threads = 1});
  aot2.load(from_jit);
  CHECK(same(aot2.state(), jit.state()));
  std::filesystem::remove(from_aot);
  std::filesystem::remove(from_jit);
}

TEST_CASE("Model::load_library names what is wrong") {
  CHECK_THROWS_WITH(Model::load_library(kAot + "/libnone.so"), Contains("cannot load library") && Contains("libnone.so"));
  // A shared library that is not an nncc model.
  CHECK_THROWS_WITH(Model::load_library("libz.so.1"), Contains("is not an nncc model library"));
}

TEST_CASE("The C ABI of a library: errors are return codes with messages, and change nothing") {
  // Reached as a C host reaches it: the library's own exported functions.
  void *lib = ::dlopen((kAot + "/libxor.so").c_str(), RTLD_NOW | RTLD_LOCAL);
  REQUIRE(lib);
  auto fn = [&](const char *name) {
    void *p = ::dlsym(lib, name);
    REQUIRE(p);
    return p;
  };
  auto model = reinterpret_cast<const nncc_model *(*)()>(fn("xor_model"))();
  auto create = reinterpret_cast<decltype(&nncc_session_create)>(fn("nncc_session_create"));
  auto destroy = reinterpret_cast<decltype(&nncc_session_destroy)>(fn("nncc_session_destroy"));
  auto set_input = reinterpret_cast<decltype(&nncc_set_input)>(fn("nncc_set_input"));
  auto train_step = reinterpret_cast<decltype(&nncc_train_step)>(fn("nncc_train_step"));
  auto forward = reinterpret_cast<decltype(&nncc_forward)>(fn("nncc_forward"));
  auto get_output = reinterpret_cast<decltype(&nncc_get_output)>(fn("nncc_get_output"));
  auto output_shape = reinterpret_cast<decltype(&nncc_output_shape)>(fn("nncc_output_shape"));
  auto last_error = reinterpret_cast<decltype(&nncc_last_error)>(fn("nncc_last_error"));
  auto step = reinterpret_cast<decltype(&nncc_step)>(fn("nncc_step"));
  auto param = reinterpret_cast<decltype(&nncc_param)>(fn("nncc_param"));
  auto model_name = reinterpret_cast<decltype(&nncc_model_name)>(fn("nncc_model_name"));

  CHECK(std::string(model_name(model)) == "xor");
  CHECK(create(nullptr, 0, 1) == nullptr);
  CHECK_THAT(last_error(nullptr), Contains("no model"));
  nncc_session *s = create(model, 42, 1);
  REQUIRE(s);
  CHECK(train_step(s, nullptr) == NNCC_ERROR);
  CHECK_THAT(last_error(s), Contains("missing input 'x'"));
  const float x[8] = {0, 0, 0, 1, 1, 0, 1, 1}, y[4] = {0, 1, 1, 0};
  const int64_t x_shape[2] = {4, 2}, y_shape[2] = {4, 1}, bad_shape[2] = {4, 3};
  CHECK(set_input(s, "x", 7, x, 2, x_shape) == NNCC_ERROR);
  CHECK_THAT(last_error(s), Contains("unknown dtype code 7"));
  REQUIRE(set_input(s, "x", NNCC_F32, x, 2, x_shape) == 0);
  REQUIRE(set_input(s, "y", NNCC_F32, y, 2, y_shape) == 0);
  int64_t numel = 0;
  float *w1 = static_cast<float *>(param(s, "W1", &numel));
  REQUIRE(w1);
  CHECK(numel == 16);
  float w1_before = w1[0];
  double loss = 0;
  REQUIRE(train_step(s, &loss) == 0);
  CHECK(loss > 0);
  CHECK(step(s) == 1);
  CHECK(static_cast<float *>(param(s, "W1", nullptr))[0] != w1_before);
  // A bad call: nothing trains.
  REQUIRE(set_input(s, "x", NNCC_F32, x, 2, bad_shape) == 0);
  CHECK(train_step(s, &loss) == NNCC_ERROR);
  CHECK_THAT(last_error(s), Contains("input 'x' is f32[4, 3], but the model declares f32[N, 2]"));
  CHECK(step(s) == 1);
  REQUIRE(set_input(s, "x", NNCC_F32, x, 2, x_shape) == 0);
  REQUIRE(forward(s) == 0);
  int rank = 0;
  int64_t shape[8] = {};
  REQUIRE(output_shape(s, "p", &rank, shape) == 0);
  CHECK((rank == 2 && shape[0] == 4 && shape[1] == 1));
  float p[4];
  CHECK(get_output(s, "p", p, 3) == NNCC_ERROR);
  CHECK_THAT(last_error(s), Contains("result 'p' is f32[4, 1] (4 elements), the buffer holds 3"));
  CHECK(get_output(s, "p", p, 4) == 0);
  CHECK(get_output(s, "q", p, 4) == NNCC_ERROR);
  CHECK_THAT(last_error(s), Contains("no result 'q' (results: p)"));
  destroy(s);
  ::dlclose(lib);
}
