#include "helpers.h"
#include "ir/printer.h"

#include <catch2/catch.hpp>

using namespace nncc;
using namespace nncc::ir;

namespace {
/// The ops of `forward`, in order, as "name:op" (temporaries have no name).
std::string op_list(const Function &fn) {
  std::string out;
  for (const Value *v : fn.body()) out += (out.empty() ? "" : " ") + v->name + ":" + std::string(v->info().name);
  return out;
}
} // namespace

TEST_CASE("sema lowers the XOR model to forward", "[sema]") {
  auto c = test::compile_body("input x : f32[N, 2]\n input y : f32[N, 1]\n param W : f32[2, 1]\n"
                              " param b : f32[1]\n p = sigmoid(x @ W + b)\n output p\n loss bce(p, y)\n"
                              " optimizer sgd(lr = 0.5)");
  INFO(c->errors());
  REQUIRE(c->result.module);
  const Function &fwd = c->forward();
  CHECK(op_list(fwd) == ":matmul :add p:sigmoid :bce");
  REQUIRE(fwd.arguments().size() == 4);
  CHECK(fwd.arguments()[2]->kind == ValueKind::Param);
  REQUIRE(fwd.results().size() == 2);
  CHECK(fwd.results()[0].name == "p");
  CHECK(fwd.results()[1].name == "loss");
  const Module &m = *c->result.module;
  REQUIRE(m.params.size() == 2);
  CHECK(m.params[0].init.kind == InitKind::GlorotUniform); // default for rank 2
  CHECK(m.params[1].init.kind == InitKind::Zeros);         // default for rank 1
  REQUIRE(m.optimizer);
  CHECK(attr_float(m.optimizer->attrs[0]) == 0.5);
  CHECK(std::get<double>(m.optimizer->attrs[1]) == 0.0); // momentum default
}

TEST_CASE("number literals take the float type of the other operand", "[sema]") {
  auto c = test::compile_body("input x : f64[3]\n y = 1 - x * 2\n output y");
  REQUIRE(c->result.module);
  for (const Value *v : c->forward().body()) CHECK(v->type.dtype == DType::F64);
  // Non-literal operands are lowered first, then the literals get their dtype.
  CHECK(op_list(c->forward()) == ":const :mul :const y:sub");
}

TEST_CASE("a def is inlined at each call and shares the params it reads", "[sema]") {
  auto c = test::compile_body("input a : f32[N, 4]\n input b : f32[N, 4]\n param W : f32[4, 2]\n"
                              " def f(v) = tanh(v @ W)\n s = f(a) + f(b)\n output s");
  INFO(c->errors());
  REQUIRE(c->result.module);
  CHECK(op_list(c->forward()) == ":matmul :tanh :matmul :tanh s:add");
  const Value *first = c->forward().body()[0], *second = c->forward().body()[2];
  CHECK(first->operands[1] == second->operands[1]); // the same W
}

TEST_CASE("positional and keyword attributes bind to the op table's specs", "[sema]") {
  auto c = test::compile_body("input x : f32[N, 28, 28]\n input y : i32[N]\n"
                              " z = reshape(x, [N, 784]) ** 3\n s = softmax(z, axis = 0)\n"
                              " h = onehot(y, 10)\n l = leaky_relu(s, 0.2)\n output s, h, l");
  INFO(c->errors());
  REQUIRE(c->result.module);
  const auto &body = c->forward().body();
  CHECK(body[0]->type.str() == "f32[N, 784]");
  CHECK(attr_float(body[1]->attrs[0]) == 3.0);
  CHECK(std::get<int64_t>(body[2]->attrs[0]) == 0);
  CHECK(body[3]->type.str() == "f32[N, 10]");
  CHECK(attr_float(body[4]->attrs[0]) == Approx(0.2));
}

TEST_CASE("sema reports independent errors together, with notes", "[sema]") {
  auto c = test::compile_body("input x : f32[N, 2]\n param W : f32[3, 4]\n h = x @ W\n h = relu(x)\n"
                              " q = reul(x)\n loss x");
  CHECK_FALSE(c->result.module);
  std::string e = c->errors();
  CHECK(c->diags.error_count() == 4);
  CHECK(e.find("t.nn:4:6: error: matmul inner dimensions differ: f32[N, 2] @ f32[3, 4] (2 vs 3)") != std::string::npos);
  CHECK(e.find("t.nn:2:7: note: 'x' declared here as f32[N, 2]") != std::string::npos);
  CHECK(e.find("t.nn:3:8: note: 'W' declared here as f32[3, 4]") != std::string::npos);
  CHECK(e.find("t.nn:5:2: error: redefinition of 'h'") != std::string::npos);
  CHECK(e.find("t.nn:6:6: error: unknown function 'reul'") != std::string::npos);
  CHECK(e.find("t.nn:6:6: note: did you mean 'relu'?") != std::string::npos);
  CHECK(e.find("t.nn:7:7: error: the loss must be a float scalar, got f32[N, 2]") != std::string::npos);
}

TEST_CASE("declarations: initializers, optimizer, params", "[sema]") {
  auto errors_of = [](const std::string &body) { return test::compile_body(body)->errors(); };
  CHECK(errors_of("param b : f32[4] = he_normal").find("'he_normal' needs a param of rank >= 2") != std::string::npos);
  CHECK(errors_of("param W : f32[N, 4]").find("param 'W' must have a static shape, but 'N' is a symbolic dimension") != std::string::npos);
  CHECK(errors_of("param E : i32[4]").find("param 'E' must be f32 or f64") != std::string::npos);
  CHECK(errors_of("param W : f32[2] = uniform(1, -1)").find("uniform needs lo < hi") != std::string::npos);
  CHECK(errors_of("param W : f32[2] = glorot").find("did you mean 'glorot_normal'?") != std::string::npos);
  CHECK(errors_of("input x : f32\n loss x\n optimizer sgd(momentum = 0.9)").find("'sgd' needs argument 'lr'") != std::string::npos);
  CHECK(errors_of("input x : f32\n loss x\n optimizer adam(beta1 = 1.5)").find("beta1 = 1.5 must be in [0, 1)") != std::string::npos);
  CHECK(errors_of("input x : f32\n optimizer adam").find("'optimizer' needs a 'loss' statement") != std::string::npos);
  CHECK(test::compile_body("param W : f32[2, 2] = normal(0, 0.1)")->errors().empty());
}
