// The op table is complete: every op has a type rule, a derivative rule
// unless it is NOT_DIFFERENTIABLE, and appears in the op cases that the
// gradient and JIT-vs-interpreter suites run (so its interpreter kernel and
// its generated code are checked). The switches over ops have no default
// and the build has -Werror=switch, so an op missing from one of them does
// not compile; this test catches an op that no test ever runs.
#include "compiler/passes/grad_rules.h"
#include "compiler/pipeline.h"
#include "helpers.h"
#include "op_cases.h"

#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <regex>
#include <span>

using namespace nncc;
using ir::OpKind;

namespace {

/// Every op kind in any entry point of any op case, at -O0 and -O2, with one
/// value of each kind as the op cases' frontend built it (for the rules).
struct Coverage {
  std::set<OpKind> seen;
  std::vector<std::unique_ptr<test::Compiled>> keep;
  std::map<OpKind, const ir::Value *> forward_example;
};

const Coverage &coverage() {
  static const Coverage c = [] {
    Coverage out;
    for (std::span<const test::OpCase> cases : {std::span<const test::OpCase>(test::kOpCases), std::span<const test::OpCase>(test::kForwardOpCases)})
      for (const test::OpCase &oc : cases)
        for (auto [level, dtype, bf16] : {std::tuple{-1, "f64", false}, {0, "f64", false}, {2, "f64", false}, {2, "f32", false}, {2, "f32", true}}) { // -1: the frontend's graph, kept as built
          // In f32 the images between convolutions may be stored blocked (relayout).
          auto compiled = test::compile(test::op_case_model(std::regex_replace(oc.body, std::regex("f64"), dtype).c_str()));
          INFO(oc.name << "\n" << compiled->errors());
          REQUIRE(compiled->result.module);
          if (level < 0) {
            for (const ir::Value *v : compiled->forward().body()) out.forward_example.try_emplace(v->op, v);
            out.keep.push_back(std::move(compiled));
            continue;
          }
          compiler::build_entry_points(*compiled->result.module, level, {.bf16 = bf16});
          for (const ir::Function *fn : compiler::entry_points(*compiled->result.module))
            for (const ir::Value *v : fn->body()) out.seen.insert(v->op);
          out.keep.push_back(std::move(compiled));
        }
    return out;
  }();
  return c;
}

} // namespace

TEST_CASE("every op of the table is run by some op case", "[ops]") {
  const Coverage &c = coverage();
  for (const ir::OpInfo &info : ir::all_ops()) {
    INFO("op '" << info.name << "' appears in no case of tests/op_cases.h (add one)");
    CHECK(c.seen.count(info.kind));
  }
}

TEST_CASE("every op has a type rule, and a derivative rule unless marked NOT_DIFFERENTIABLE", "[ops]") {
  const Coverage &c = coverage();
  for (const ir::OpInfo &info : ir::all_ops()) {
    INFO("op '" << info.name << "'");
    CHECK(info.rule != nullptr);
    if (info.has(ir::opflag::NOT_DIFFERENTIABLE) || info.has(ir::opflag::INTERNAL)) continue;
    // Every op callable from .nn is differentiable: its rule builds one
    // contribution per operand, each noted with what it computes.
    auto example = c.forward_example.find(info.kind);
    REQUIRE(example != c.forward_example.end());
    const ir::Value &y = *example->second;
    ir::Function scratch("scratch");
    ir::Builder b(scratch);
    ir::Value *g = scratch.add_argument(ir::ValueKind::Input, "g", y.type, {});
    std::vector<ir::Value *> grads = compiler::vjp(b, y, g);
    REQUIRE(grads.size() == y.operands.size());
    for (ir::Value *d : grads)
      if (d && d != g) {
        CHECK(d->note.rfind("dL/d", 0) == 0);
        CHECK(d->type.dtype == y.type.dtype);
      }
  }
}

TEST_CASE("op facts: families, epilogues and index operands are consistent", "[ops]") {
  for (const ir::OpInfo &info : ir::all_ops()) {
    INFO("op '" << info.name << "'");
    if (info.epilogue != ir::Epilogue::None) CHECK(info.lowering == ir::Lowering::Loop);
    if (info.index) {
      CHECK(info.index->operand < (info.arity < 0 ? 1 : info.arity));
      CHECK(info.index->bound_by < (info.arity < 0 ? 1 : info.arity));
    }
    if (info.has(ir::opflag::CONSTANT)) CHECK(info.arity == 0);
    if (info.infix) CHECK(info.arity == 2);
  }
  CHECK(ir::op_info(OpKind::Matmul).lowering == ir::Lowering::Primitive);
  CHECK(ir::op_info(OpKind::Reshape).lowering == ir::Lowering::Alias);
}
