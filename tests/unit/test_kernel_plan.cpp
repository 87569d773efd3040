// The kernel plan's invariants on every example at -O0 and -O2: each op is
// computed by exactly one kernel (or needs none), every kernel reads only
// memory that holds its value by then, and no two values share an arena
// slot while both are live.
#include "compiler/kernel_plan.h"
#include "compiler/pipeline.h"
#include "helpers.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_set>

using namespace nncc;
using compiler::Storage;

namespace {

void check_plan(const ir::Function &fn) {
  INFO("function " << fn.name());
  compiler::KernelPlan plan = compiler::plan_kernels(fn);
  std::unordered_set<const ir::Value *> computed, stored(fn.arguments().begin(), fn.arguments().end());
  for (size_t k = 0; k < plan.kernels.size(); ++k) {
    const compiler::Kernel &kernel = plan.kernels[k];
    INFO("kernel k" << k << " " << kernel.root().info().name);
    for (const ir::Value *r : kernel.reads) {
      Storage::Kind kind = plan.where(r).kind;
      CHECK(kind != Storage::Kind::Register);
      CHECK(kind != Storage::Kind::Immediate);
      CHECK(stored.count(plan.memory_of(r))); // written before it is read
      if (plan.lifetimes.count(plan.memory_of(r))) CHECK(plan.lifetimes.at(plan.memory_of(r)).last >= k);
    }
    for (const ir::Value *v : kernel.values) CHECK(computed.insert(v).second);
    if (kernel.kind == ir::Lowering::Alias) {
      CHECK(kernel.writes.empty());
      continue;
    }
    REQUIRE(!kernel.writes.empty());
    CHECK(kernel.writes.front() == &kernel.root());
    for (const ir::Value *w : kernel.writes) stored.insert(w);
  }
  // The ops no kernel computes are views or immediates.
  for (const ir::Value *v : fn.body())
    if (!computed.count(v)) {
      Storage::Kind kind = plan.where(v).kind;
      CHECK((kind == Storage::Kind::Transposed || kind == Storage::Kind::Immediate));
    }
  for (const auto &[i, v] : plan.result_copies) CHECK(stored.count(plan.memory_of(v)));
  // Values sharing a slot have disjoint lifetimes (the next may start where the last read is: in place).
  for (const ir::Value *a : plan.scratch)
    for (const ir::Value *b : plan.scratch) {
      if (a == b || a->slot < 0 || a->slot != b->slot) continue;
      const compiler::Lifetime &la = plan.lifetimes.at(a), &lb = plan.lifetimes.at(b);
      if (la.first < lb.first) CHECK(la.last <= lb.first);
    }
}

} // namespace

TEST_CASE("the kernel plan of every example computes each op once from memory that holds it", "[kernel_plan]") {
  int examples = 0;
  for (const auto &entry : std::filesystem::directory_iterator(NNCC_EXAMPLES_DIR)) {
    if (entry.path().extension() != ".nn") continue;
    ++examples;
    for (int opt : {0, 2}) {
      INFO(entry.path() << " -O" << opt);
      auto c = test::compile(test::read_file(entry.path()), entry.path().filename().string());
      INFO(c->errors());
      REQUIRE(c->result.module);
      compiler::build_entry_points(*c->result.module, opt);
      for (const ir::Function *fn : compiler::entry_points(*c->result.module)) check_plan(*fn);
    }
  }
  CHECK(examples >= 6);
}

TEST_CASE("a fused matmul region is one primitive call with its epilogue, written apart from its inputs", "[kernel_plan]") {
  auto c = test::compile_body("input x : f32[N, 4]\nparam W : f32[4, 4] = glorot_uniform\nparam b : f32[4] = zeros\n"
                              "h = exp(x)\nz = sum(tanh(h @ W + b))\noutput z");
  INFO(c->errors());
  REQUIRE(c->result.module);
  compiler::build_entry_points(*c->result.module, 2);
  const ir::Function &fn = *c->result.module->find_function("forward");
  compiler::KernelPlan plan = compiler::plan_kernels(fn);
  REQUIRE(plan.kernels.size() == 3);
  const compiler::Kernel &call = plan.kernels[1];
  CHECK(call.kind == ir::Lowering::Primitive);
  REQUIRE(call.values.size() == 3);
  CHECK(call.values[0]->op == ir::OpKind::Matmul);
  CHECK(call.root().op == ir::OpKind::Tanh);
  CHECK(call.reads.size() == 3); // h, W, b
  const ir::Value *h = plan.kernels[0].writes.front();
  CHECK(plan.where(h).kind == Storage::Kind::Scratch);
  CHECK(plan.where(&call.root()).index != plan.where(h).index);
  CHECK(plan.where(call.values[0]).kind == Storage::Kind::Register);
  CHECK(plan.kernels[2].kind == ir::Lowering::Reduce);
  CHECK(plan.where(&plan.kernels[2].root()).kind == Storage::Kind::Result);
}
