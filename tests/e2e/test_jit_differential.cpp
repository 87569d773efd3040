// The JIT against the reference interpreter: every op (f32 and f64), every
// example model; forward, grad and three train steps (SPEC §1.6 ops through
// generated loops, matmuls through the runtime).
#include "jit_check.h"
#include "op_cases.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <span>
#include <sstream>

using namespace nncc;

namespace {

std::string model_of(const std::string &body, const std::string &dtype) {
  return test::op_case_model(std::regex_replace(body, std::regex("f64"), dtype).c_str());
}

struct ExampleModel {
  std::string name, text;
  bool adam; // Adam or AdamW
};

/// The models of examples/ (not its subdirectories).
std::vector<ExampleModel> example_models() {
  std::vector<ExampleModel> out;
  for (const auto &entry : std::filesystem::directory_iterator(NNCC_EXAMPLES_DIR)) {
    if (entry.path().extension() != ".nn") continue;
    std::ifstream in(entry.path());
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string text = buffer.str();
    out.push_back({entry.path().filename().string(), text, text.find("optimizer adam") != std::string::npos});
  }
  return out;
}

} // namespace

// At -O0 the JIT compiles the graph as autodiff built it; at -O2 after the
// graph passes (simplify, cse, dce) and LLVM's O2. The interpreter runs the
// unoptimized graph either way.
TEST_CASE("JIT matches the interpreter on every op in f32 and f64, at -O0 and -O2", "[jit]") {
  for (int level : {0, 2})
    for (const char *dtype : {"f32", "f64"})
      for (std::span<const test::OpCase> cases : {std::span<const test::OpCase>(test::kOpCases), std::span<const test::OpCase>(test::kForwardOpCases)})
        for (const test::OpCase &c : cases) {
          INFO("-O" << level << " " << dtype << ": " << c.name);
          test::check_against_interpreter(c.name, model_of(c.body, dtype), {.opt_level = level});
        }
}

// --precision bf16: the interpreter rounds each cast to bf16 as the
// generated code does and accumulates products in double, so the two agree
// to f32 rounding (a bf16 rounding flipped by it aside).
TEST_CASE("JIT matches the interpreter on every op with bf16 products, at -O0 and -O2", "[jit][bf16]") {
  for (int level : {0, 2})
    for (std::span<const test::OpCase> cases : {std::span<const test::OpCase>(test::kOpCases), std::span<const test::OpCase>(test::kForwardOpCases)})
      for (const test::OpCase &c : cases) {
        INFO("-O" << level << " bf16: " << c.name);
        test::check_against_interpreter(c.name, model_of(c.body, "f32"), {.tolerance = 1e-4, .opt_level = level, .bf16 = true});
      }
}

// In f32, Adam turns the rounding noise of near-zero gradient elements into
// steps of up to ±lr (update = lr g / (|g| + eps)), so f32 runs of Adam
// models compare losses after each step but params and optimizer state only
// in the f64 copy of the model, where that noise is 1e-16.
TEST_CASE("JIT matches the interpreter on every example model, at -O0 and -O2", "[jit]") {
  for (int level : {0, 2})
    for (const ExampleModel &m : example_models()) {
      test::check_against_interpreter(m.name, m.text, {.symbolic_dim = 8, .opt_level = level, .check_updated_state = !m.adam});
      test::check_against_interpreter(m.name + " (f64)", std::regex_replace(m.text, std::regex("f32"), "f64"), {.symbolic_dim = 8, .opt_level = level});
    }
}

// Products of these sizes go through oneDNN's bf16 matmul (the op cases'
// tiny ones through the runtime's plain loop). Behind convolutions (f32,
// summed in another order by oneDNN) and batch norm, which amplifies the
// difference, a few more bf16 roundings flip: 3e-3 there. (Products in f32
// fail the 1e-4 of the op cases and of the other models.) Adam turns those
// flips into steps of ±lr (see below), so Adam models take one step.
// The transformer chains ~20 products whose bf16-rounded operands come from
// softmax and layer norm: 4e-3 at most there (3.6e-4 with its layer norms
// taken out, where a wrong product would be off by O(1)).
TEST_CASE("JIT matches the interpreter on every example model with bf16 products", "[jit][bf16]") {
  for (const ExampleModel &m : example_models()) {
    auto has = [&](const char *op) { return m.text.find(op) != std::string::npos; };
    double tolerance = has("layernorm") ? 1e-2 : has("conv2d") ? 3e-3 : 1e-4;
    test::check_against_interpreter(m.name + " (bf16)", m.text,
                                    {.symbolic_dim = 8, .train_steps = m.adam ? 1 : 3, .tolerance = tolerance, .check_updated_state = !m.adam, .bf16 = true});
  }
}
