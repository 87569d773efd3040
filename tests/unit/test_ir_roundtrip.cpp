#include "helpers.h"
#include "ir/ir_parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace nncc;

namespace {
std::unique_ptr<ir::Module> parse_ir(const std::string &text, std::string *errors = nullptr) {
  SourceManager sources;
  DiagnosticEngine diags(sources);
  auto m = ir::parse_module(sources.add("t.nnir", text), sources, diags);
  if (errors) *errors = diags.render();
  return m;
}
} // namespace

TEST_CASE("printer -> parser -> printer is the identity on every example", "[ir]") {
  int examples = 0;
  for (const auto &entry : std::filesystem::directory_iterator(NNCC_EXAMPLES_DIR)) {
    if (entry.path().extension() != ".nn") continue;
    ++examples;
    INFO(entry.path());
    auto c = test::compile(test::read_file(entry.path()), entry.path().filename().string());
    INFO(c->errors());
    REQUIRE(c->result.module);
    CHECK(ir::verify(*c->result.module).empty());
    std::string once = ir::print_module(*c->result.module), errors;
    auto reparsed = parse_ir(once, &errors);
    INFO(errors);
    REQUIRE(reparsed);
    CHECK(ir::verify(*reparsed).empty());
    CHECK(ir::print_module(*reparsed) == once);
  }
  CHECK(examples >= 6);
}

TEST_CASE("the IR parser checks types and names", "[ir]") {
  std::string errors;
  CHECK_FALSE(parse_ir("module @m {\n  func @f(input %x : f32[2]) {\n    %0 = tanh(%y) : f32[2]\n"
                       "    return\n  }\n}\n",
                       &errors));
  CHECK(errors.find("t.nnir:3:15: error: use of undefined value '%y'") != std::string::npos);
  CHECK_FALSE(parse_ir("module @m {\n  func @f(input %x : f32[2]) {\n    %0 = tanh(%x) : f32[3]\n"
                       "    return\n  }\n}\n",
                       &errors));
  CHECK(errors.find("declared type f32[3] does not match the inferred type f32[2]") != std::string::npos);
  CHECK_FALSE(parse_ir("module @m {\n  func @f(input %x : f32[2]) {\n    %0 = softmax(%x) {axes = 1} : f32[2]\n"
                       "    return\n  }\n}\n",
                       &errors));
  CHECK(errors.find("'softmax' has no attribute 'axes'") != std::string::npos);
  CHECK_FALSE(parse_ir("module @m {\n  func @f(input %x : f32[2]) {\n    %0 = pow(%x) : f32[2]\n"
                       "    return\n  }\n}\n",
                       &errors));
  CHECK(errors.find("'pow' needs attribute 'exponent'") != std::string::npos);
  CHECK_FALSE(parse_ir("module @m {\n  func @f(input %x : f32[2]) {\n    %x = neg(%x) : f32[2]\n"
                       "    return\n  }\n}\n",
                       &errors));
  CHECK(errors.find("value '%x' is defined twice") != std::string::npos);
}

TEST_CASE("attributes print so that they parse back to the same value", "[ir]") {
  for (double v : {0.5, 1e-5, 1e-8, 0.001, 3.0, -2.0, 1e300, 0.1})
    CHECK(std::get<double>(ir::coerce_attr({"v", ir::AttrKind::Float, false, {}},
                                           std::stod(ir::format_attr(v)))
                               .value()) == v);
  CHECK(ir::format_attr(3.0) == "3.0");
  CHECK(ir::format_attr(std::vector<ir::Dim>{ir::Dim::named("N"), ir::Dim::fixed(-1)}) == "[N, -1]");
}
