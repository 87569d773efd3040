#include "ir/ops.h"

#include <catch2/catch.hpp>
#include <limits>

using namespace nncc::ir;

namespace {
const Dim N = Dim::named("N");
Type f32(Shape s) { return Type{DType::F32, std::move(s)}; }
Dim d(int64_t n) { return Dim::fixed(n); }

TypeResult infer(OpKind op, std::vector<Type> operands, Attrs attrs = {}) {
  if (attrs.empty()) attrs = default_attrs(op_info(op).attrs);
  return infer_type(op, operands, attrs);
}
} // namespace

TEST_CASE("op table: every op has a unique name and a rule", "[ops]") {
  for (const OpInfo &op : all_ops()) {
    CHECK(find_op(op.name) == &op);
    CHECK(op.rule != nullptr);
  }
  CHECK(find_op("relu")->kind == OpKind::Relu);
  CHECK(find_op("nope") == nullptr);
  CHECK(find_op("softmax")->attrs.at(0).name == "axis");
}

TEST_CASE("matmul shapes of SPEC 1.5", "[ops]") {
  CHECK(infer(OpKind::Matmul, {f32({N, d(2)}), f32({d(2), d(8)})}).type == f32({N, d(8)}));
  CHECK(infer(OpKind::Matmul, {f32({d(3)}), f32({d(3), d(8)})}).type == f32({d(8)}));
  CHECK(infer(OpKind::Matmul, {f32({N, d(3)}), f32({d(3)})}).type == f32({N}));
  CHECK(infer(OpKind::Matmul, {f32({d(3)}), f32({d(3)})}).type == f32({}));
  TypeResult bad = infer(OpKind::Matmul, {f32({N, d(2)}), f32({d(3), d(8)})});
  REQUIRE_FALSE(bad.type);
  CHECK(bad.error.message == "matmul inner dimensions differ: f32[N, 2] @ f32[3, 8] (2 vs 3)");
  CHECK(bad.error.operands == std::vector<int>{0, 1});
}

TEST_CASE("batched matmul shapes of SPEC 1.6b follow NumPy's matmul", "[ops]") {
  CHECK(infer(OpKind::Matmul, {f32({N, d(4), d(8)}), f32({d(8), d(3)})}).type == f32({N, d(4), d(3)}));
  CHECK(infer(OpKind::Matmul, {f32({d(2), d(1), d(4), d(8)}), f32({d(5), d(8), d(3)})}).type == f32({d(2), d(5), d(4), d(3)}));
  CHECK(infer(OpKind::Matmul, {f32({d(2), d(2), d(3)}), f32({d(3)})}).type == f32({d(2), d(2)}));
  CHECK(infer(OpKind::Matmul, {f32({d(3)}), f32({N, d(3), d(5)})}).type == f32({N, d(5)}));
  TypeResult bad = infer(OpKind::Matmul, {f32({N, d(4), d(8)}), f32({d(3), d(8), d(8)})});
  REQUIRE_FALSE(bad.type);
  CHECK(bad.error.message == "matmul batch axes do not broadcast: f32[N, 4, 8] @ f32[3, 8, 8] (batches [N] and [3])");
  CHECK_FALSE(infer(OpKind::Matmul, {f32({d(2), d(4), d(8)}), f32({d(2), d(4), d(8)})}).type); // 8 vs 4
  CHECK_FALSE(infer(OpKind::Matmul, {f32({d(1), d(1), d(1), d(1), d(1), d(1), d(1), d(2), d(2)}), f32({d(2), d(2)})}).type); // 7 batch axes
}

TEST_CASE("transpose permutes any axes; tril keeps a rank >= 2 type", "[ops]") {
  auto axes = [](std::vector<int64_t> a) {
    std::vector<Dim> dims;
    for (int64_t i : a) dims.push_back(Dim::fixed(i));
    return Attrs{dims};
  };
  CHECK(infer(OpKind::Transpose, {f32({N, d(3), d(4)})}, axes({0, 2, 1})).type == f32({N, d(4), d(3)}));
  CHECK(infer(OpKind::Transpose, {f32({N, d(3), d(4), d(5)})}, axes({-1, 0, -2, 1})).type == f32({d(5), N, d(4), d(3)}));
  TypeResult bad = infer(OpKind::Transpose, {f32({N, d(3), d(4)})}, axes({0, 0, 1}));
  REQUIRE_FALSE(bad.type);
  CHECK(bad.error.message == "transpose: axes = [0, 0, 1] is not a permutation of the 3 axes of f32[N, 3, 4]");
  CHECK_FALSE(infer(OpKind::Transpose, {f32({N, d(3), d(4)})}, axes({0, 3, 1})).type);
  CHECK_FALSE(infer(OpKind::Transpose, {f32({N, d(3), d(4)})}).type); // without axes: 2-D only
  CHECK(infer(OpKind::Tril, {f32({N, d(4), d(4)})}, {-std::numeric_limits<double>::infinity()}).type == f32({N, d(4), d(4)}));
  CHECK_FALSE(infer(OpKind::Tril, {f32({d(4)})}, {0.0}).type);
}

TEST_CASE("elementwise ops need floats of one dtype", "[ops]") {
  TypeResult r = infer(OpKind::Add, {f32({N}), Type{DType::F64, {N}}});
  REQUIRE_FALSE(r.type);
  CHECK(r.error.message == "'add' operands have different dtypes: f32[N] and f64[N]");
  r = infer(OpKind::Tanh, {Type{DType::I32, {N}}});
  REQUIRE_FALSE(r.type);
  CHECK(r.error.message == "'tanh' needs a float operand, got i32[N]");
}

TEST_CASE("reductions with and without axis and keepdims", "[ops]") {
  Type x = f32({N, d(10)});
  CHECK(infer(OpKind::Sum, {x}).type == f32({}));
  CHECK(infer(OpKind::Sum, {x}, {int64_t{-1}, false}).type == f32({N}));
  CHECK(infer(OpKind::Mean, {x}, {int64_t{0}, true}).type == f32({d(1), d(10)}));
  CHECK(infer(OpKind::Logsumexp, {x}).type == f32({N}));
  CHECK(infer(OpKind::Argmax, {x}).type == Type{DType::I32, {N}});
  TypeResult r = infer(OpKind::Max, {x}, {int64_t{2}, false});
  REQUIRE_FALSE(r.type);
  CHECK(r.error.message == "'max': axis 2 is out of range for f32[N, 10] (rank 2)");
}

TEST_CASE("reshape infers -1, also as a symbolic dimension", "[ops]") {
  Attrs to_n784{std::vector<Dim>{d(-1), d(784)}};
  CHECK(infer(OpKind::Reshape, {f32({N, d(28), d(28)})}, to_n784).type == f32({N, d(784)}));
  CHECK(infer(OpKind::Reshape, {f32({d(4), d(6)})}, Attrs{std::vector<Dim>{d(3), d(-1)}}).type ==
        f32({d(3), d(8)}));
  TypeResult r = infer(OpKind::Reshape, {f32({d(4), d(6)})}, Attrs{std::vector<Dim>{d(5), d(-1)}});
  REQUIRE_FALSE(r.type);
  CHECK(r.error.message == "cannot reshape f32[4, 6] to [5, -1]: the element count is not divisible");
  CHECK_FALSE(infer(OpKind::Reshape, {f32({d(4)})}, Attrs{std::vector<Dim>{d(-1), d(-1)}}).type);
  CHECK_FALSE(infer(OpKind::Reshape, {f32({N, d(2)})}, Attrs{std::vector<Dim>{d(-1), d(4)}}).type);
}

TEST_CASE("concat, embedding, onehot, transpose", "[ops]") {
  CHECK(infer(OpKind::Concat, {f32({N, d(2)}), f32({N, d(3)})}).type == f32({N, d(5)}));
  CHECK_FALSE(infer(OpKind::Concat, {f32({N, d(2)}), f32({d(4), d(3)})}).type);
  CHECK(infer(OpKind::Embedding, {f32({d(100), d(16)}), Type{DType::I32, {N, d(5)}}}).type ==
        f32({N, d(5), d(16)}));
  CHECK(infer(OpKind::Onehot, {Type{DType::I32, {N}}}, {int64_t{10}, DType::F32}).type == f32({N, d(10)}));
  CHECK(infer(OpKind::Transpose, {f32({N, d(3)})}).type == f32({d(3), N}));
  CHECK_FALSE(infer(OpKind::Transpose, {f32({d(3)})}).type);
}

TEST_CASE("losses check labels against scores", "[ops]") {
  Type z = f32({N, d(10)});
  CHECK(infer(OpKind::CrossEntropy, {z, Type{DType::I32, {N}}}).type == f32({}));
  CHECK(infer(OpKind::CrossEntropy, {z, z}).type == f32({})); // soft targets
  TypeResult r = infer(OpKind::CrossEntropy, {z, Type{DType::I32, {N, d(1)}}});
  REQUIRE_FALSE(r.type);
  CHECK(r.error.message == "'cross_entropy': labels i32[N, 1] do not match scores f32[N, 10] (expected i32[N])");
  CHECK_FALSE(infer(OpKind::Nll, {z, z}).type);
  r = infer(OpKind::Bce, {f32({N, d(1)}), f32({N})});
  REQUIRE_FALSE(r.type);
  CHECK(r.error.message == "'bce' needs operands of the same type, got f32[N, 1] and f32[N]");
  CHECK_FALSE(infer(OpKind::CrossEntropy, {z, Type{DType::I32, {N}}}, {2.0}).type); // smoothing > 1
}

TEST_CASE("attribute ranges: dropout p, layernorm eps", "[ops]") {
  CHECK(infer(OpKind::Dropout, {f32({N})}, {0.0, int64_t{0}}).type);
  CHECK_FALSE(infer(OpKind::Dropout, {f32({N})}, {1.0, int64_t{0}}).type);
  CHECK_FALSE(infer(OpKind::Layernorm, {f32({N, d(4)})}, {0.0}).type);
}
