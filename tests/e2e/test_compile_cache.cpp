// The JIT's on-disk object cache (compiler/jit/object_cache.h): a second
// compile of the same model loads the object and trains exactly as a fresh
// compile does; a different model, optimization level or target CPU misses;
// a damaged entry is ignored and rewritten; concurrent compiles leave one
// whole entry.
#include "compiler/jit/jit.h"
#include "compiler/pipeline.h"
#include "frontend/frontend.h"
#include "nncc/nncc.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>
#include <unistd.h>

using namespace nncc;
namespace fs = std::filesystem;

namespace {

std::string read_file(const std::string &path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

const std::string &xor_source() {
  static const std::string text = read_file(std::string(NNCC_EXAMPLES_DIR) + "/xor.nn");
  return text;
}

/// An empty cache directory of its own for each test.
struct TempCache {
  fs::path dir;
  explicit TempCache(const std::string &name)
      : dir(fs::temp_directory_path() / ("nncc-cache-test-" + name + "-" + std::to_string(::getpid()))) {
    fs::remove_all(dir);
  }
  ~TempCache() { fs::remove_all(dir); }

  /// Every file in the directory (entries and anything else).
  std::vector<fs::path> files() const {
    std::vector<fs::path> out;
    if (fs::exists(dir))
      for (const auto &e : fs::directory_iterator(dir)) out.push_back(e.path());
    return out;
  }
};

/// The model with train_step compiled (one cache entry).
Model compile(const TempCache &cache, const std::string &source, int opt_level = 2) {
  Compiler cc({.opt_level = opt_level, .cache = true, .cache_dir = cache.dir.string()});
  Model model = cc.compile_source("xor.nn", source);
  model.prepare("train_step");
  return model;
}

TensorMap xor_batch() {
  Tensor x(DType::F32, {4, 2}), y(DType::F32, {4, 1});
  for (int i = 0; i < 4; ++i) {
    x.data<float>()[2 * i] = static_cast<float>(i & 1);
    x.data<float>()[2 * i + 1] = static_cast<float>((i >> 1) & 1);
    y.data<float>()[i] = static_cast<float>((i & 1) ^ ((i >> 1) & 1));
  }
  return {{"x", x}, {"y", y}};
}

/// The losses of 20 train steps from seed 7, then W1 after them.
std::vector<float> train(const Model &model) {
  Session s = model.new_session({.seed = 7, .threads = 1});
  std::vector<float> out;
  for (int i = 0; i < 20; ++i) out.push_back(static_cast<float>(s.train_step(xor_batch())));
  Tensor w1 = s.param("W1");
  out.insert(out.end(), w1.data<float>(), w1.data<float>() + w1.numel());
  return out;
}

bool bitwise_equal(const std::vector<float> &a, const std::vector<float> &b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

} // namespace

TEST_CASE("a second compile of a model loads its object from the cache and trains identically", "[cache]") {
  TempCache cache("hit");
  Model fresh = compile(cache, xor_source());
  CHECK_FALSE(fresh.from_cache());
  REQUIRE(cache.files().size() == 1);
  CHECK(cache.files()[0].extension() == ".o");

  Model cached = compile(cache, xor_source());
  CHECK(cached.from_cache());
  CHECK(cache.files().size() == 1);
  CHECK(bitwise_equal(train(fresh), train(cached)));
}

TEST_CASE("each entry point compiles at its first call, from the cache when it is there", "[cache]") {
  TempCache cache("lazy");
  Compiler cc({.cache_dir = cache.dir.string()});
  Model model = cc.compile_source("xor.nn", xor_source());
  CHECK_FALSE(model.from_cache()); // nothing compiled yet
  CHECK(cache.files().empty());
  double lowered_ms = model.compile_ms();

  Session s = model.new_session({.seed = 3, .threads = 1});
  Tensor x(DType::F32, {1, 2});
  TensorMap out = s.forward({{"x", x}});
  CHECK(out.at("p").shape() == std::vector<int64_t>{1, 1});
  CHECK(cache.files().size() == 1);
  CHECK(model.compile_ms() > lowered_ms);
  s.train_step(xor_batch());
  CHECK(cache.files().size() == 2);
  s.train_step(xor_batch()); // compiled once
  CHECK(cache.files().size() == 2);
  CHECK_FALSE(model.from_cache());

  Model again = cc.compile_source("xor.nn", xor_source());
  again.prepare("forward");
  again.prepare("train_step");
  CHECK(again.from_cache());
  CHECK(cache.files().size() == 2);
  CHECK_THROWS_WITH(again.prepare("backward"), Catch::Matchers::Contains("model 'xor' has no entry point 'backward'"));
}

TEST_CASE("the cache key covers the model, the optimization level and the target CPU", "[cache]") {
  TempCache cache("key");
  compile(cache, xor_source());
  REQUIRE(cache.files().size() == 1);

  // Another activation: other code.
  std::string relu = std::regex_replace(xor_source(), std::regex("tanh\\("), "relu(");
  REQUIRE(relu != xor_source());
  Model other_model = compile(cache, relu);
  CHECK_FALSE(other_model.from_cache());
  CHECK(cache.files().size() == 2);

  // Another learning rate is the same code: the lr is a value of the
  // session (set_lr), its initial value part of the model's description,
  // which is never cached.
  std::string slower = std::regex_replace(xor_source(), std::regex("lr = 0\\.5"), "lr = 0.25");
  REQUIRE(slower != xor_source());
  Model same_code = compile(cache, slower);
  CHECK(same_code.from_cache());
  CHECK(cache.files().size() == 2);
  CHECK(same_code.new_session().lr() == 0.25);
  CHECK_FALSE(bitwise_equal(train(same_code), train(compile(cache, xor_source()))));

  Model other_level = compile(cache, xor_source(), 1);
  CHECK_FALSE(other_level.from_cache());
  CHECK(cache.files().size() == 3);

  // Another CPU: the same module through the JIT for x86-64-v2 (runs on every x86-64 host this project supports).
  SourceManager sources;
  DiagnosticEngine diags(sources);
  frontend::FrontendResult result = frontend::compile_source(sources.add("xor.nn", xor_source()), sources, diags);
  REQUIRE(result.module);
  compiler::build_entry_points(*result.module, 2);
  auto object_cache = jit::ObjectCache::open(cache.dir.string());
  REQUIRE(object_cache);
  Model native(jit::compile(*result.module, {.cpu = "native", .opt_level = 2}, object_cache));
  native.prepare("train_step");
  CHECK(native.from_cache()); // the first compile's entry
  Model v2(jit::compile(*result.module, {.cpu = "x86-64-v2", .opt_level = 2}, object_cache));
  v2.prepare("train_step");
  CHECK_FALSE(v2.from_cache());
  CHECK(cache.files().size() == 4);
  // Both trained the same way up to float reassociation (other vector widths).
  std::vector<float> a = train(native), b = train(v2);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(a[i] == Approx(b[i]).epsilon(1e-4).margin(1e-6));
}

TEST_CASE("a damaged cache entry is ignored, compiled afresh and rewritten", "[cache]") {
  TempCache cache("damaged");
  std::vector<float> expected = train(compile(cache, xor_source()));
  REQUIRE(cache.files().size() == 1);
  fs::path entry = cache.files()[0];
  uintmax_t size = fs::file_size(entry);

  auto damage = [&](auto change) {
    std::string bytes = read_file(entry.string());
    change(bytes);
    std::ofstream(entry, std::ios::binary | std::ios::trunc) << bytes;
    Model model = compile(cache, xor_source());
    CHECK_FALSE(model.from_cache());
    CHECK(bitwise_equal(train(model), expected));
    CHECK(fs::file_size(entry) == size); // rewritten whole
    CHECK(compile(cache, xor_source()).from_cache());
  };
  SECTION("a flipped byte in the code") { damage([](std::string &b) { b[b.size() / 2] ^= 0x40; }); }
  SECTION("cut short") { damage([](std::string &b) { b.resize(b.size() - 100); }); }
  SECTION("not an entry at all") { damage([](std::string &b) { b = "garbage"; }); }
  SECTION("empty") { damage([](std::string &b) { b.clear(); }); }
}

TEST_CASE("concurrent compiles of one model leave one whole entry and no temporary files", "[cache]") {
  TempCache cache("concurrent");
  std::vector<std::vector<float>> results(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i)
    threads.emplace_back([&, i] { results[i] = train(compile(cache, xor_source())); });
  for (std::thread &t : threads) t.join();
  for (size_t i = 1; i < results.size(); ++i) CHECK(bitwise_equal(results[i], results[0]));
  std::vector<fs::path> files = cache.files();
  REQUIRE(files.size() == 1);
  CHECK(files[0].extension() == ".o");
  CHECK(compile(cache, xor_source()).from_cache());
}

TEST_CASE("NNCC_CACHE=off and CompilerOptions::cache = false compile without touching the cache", "[cache]") {
  TempCache cache("off");
  Compiler no_cache({.cache = false, .cache_dir = cache.dir.string()});
  Model uncached = no_cache.compile_source("xor.nn", xor_source());
  uncached.prepare("train_step");
  CHECK_FALSE(uncached.from_cache());
  CHECK(cache.files().empty());

  ::setenv("NNCC_CACHE", "off", 1);
  Model off = compile(cache, xor_source());
  ::unsetenv("NNCC_CACHE");
  CHECK_FALSE(off.from_cache());
  CHECK(cache.files().empty());
}
