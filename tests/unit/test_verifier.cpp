#include "compiler/passes/pass_registry.h"
#include "ir/builder.h"
#include "ir/verifier.h"

#include <catch2/catch.hpp>

using namespace nncc;
using namespace nncc::ir;

namespace {
Type f32(Shape s) { return Type{DType::F32, std::move(s)}; }
} // namespace

TEST_CASE("a well-formed module verifies", "[verifier]") {
  Module m;
  m.name = "m";
  m.params.push_back({"W", f32({Dim::fixed(2), Dim::fixed(2)}), {}, {}});
  Function &f = m.add_function("forward");
  Value *x = f.add_argument(ValueKind::Input, "x", f32({Dim::named("N"), Dim::fixed(2)}), {});
  Value *w = f.add_argument(ValueKind::Param, "W", m.params[0].type, {});
  Builder b(f);
  Value *y = b.create(OpKind::Matmul, {x, w});
  f.add_result("loss", b.create(OpKind::Mean, {y}));
  CHECK(verify(m).empty());
}

TEST_CASE("the verifier names each broken invariant", "[verifier]") {
  Module m;
  m.name = "m";
  Function &f = m.add_function("forward");
  Value *x = f.add_argument(ValueKind::Input, "x", f32({Dim::fixed(3)}), {});
  Value *w = f.add_argument(ValueKind::Param, "W", f32({Dim::fixed(3)}), {}); // undeclared param
  Value *bad = f.append(OpKind::Tanh, {x}, {}, f32({Dim::fixed(4)}));       // wrong type
  Function &g = m.add_function("other");
  g.append(OpKind::Neg, {x}, {}, x->type); // operand from another function
  f.add_result("loss", bad);               // not a scalar
  (void)w;
  std::vector<std::string> errors = verify(m);
  auto has = [&](std::string_view s) {
    for (const std::string &e : errors)
      if (e.find(s) != std::string::npos) return true;
    return false;
  };
  CHECK(has("@forward: %W: no module param '@W'"));
  CHECK(has("@forward: %0: type f32[4] differs from the inferred f32[3]"));
  CHECK(has("@other: %0: uses a value not defined before it in this function"));
  CHECK(has("the loss must be a float scalar, got f32[4]"));
  CHECK(errors.size() == 4);
}

TEST_CASE("the pass registry runs verify and reports failures by pass", "[passes]") {
  REQUIRE(compiler::find_pass("verify"));
  CHECK_FALSE(compiler::find_pass("nonexistent"));
  Module m;
  Function &f = m.add_function("forward");
  Value *x = f.add_argument(ValueKind::Input, "x", f32({Dim::fixed(3)}), {});
  f.append(OpKind::Exp, {x}, {}, f32({}));
  const compiler::PassInfo *passes[] = {compiler::find_pass("verify")};
  std::string trace;
  std::vector<std::string> errors;
  CHECK_FALSE(compiler::run_pipeline(m, passes, {}, trace, errors));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == "after pass 'verify': @forward: %0: type f32 differs from the inferred f32[3]");
}
