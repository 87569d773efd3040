#include "ir/shape_rules.h"
#include "ir/types.h"

#include <catch2/catch.hpp>

using namespace nncc::ir;

TEST_CASE("types print as in the language", "[types]") {
  CHECK(Type::scalar(DType::F32).str() == "f32");
  CHECK(Type{DType::F64, {Dim::named("N"), Dim::fixed(2)}}.str() == "f64[N, 2]");
  CHECK(Type{DType::I32, {Dim::fixed(7)}}.str() == "i32[7]");
  CHECK(parse_dtype("f64") == DType::F64);
  CHECK_FALSE(parse_dtype("f16").has_value());
}

TEST_CASE("static_numel multiplies static dims and refuses symbols and overflow", "[types]") {
  CHECK(static_numel({Dim::fixed(784), Dim::fixed(512)}) == 401408);
  CHECK(static_numel({}) == 1);
  CHECK_FALSE(static_numel({Dim::named("N"), Dim::fixed(2)}).has_value());
  CHECK_FALSE(static_numel({Dim::fixed(int64_t{1} << 40), Dim::fixed(int64_t{1} << 40)}).has_value());
}

TEST_CASE("broadcasting follows NumPy", "[types]") {
  Shape n8{Dim::named("N"), Dim::fixed(8)};
  CHECK(broadcast_shapes(n8, {Dim::fixed(8)}) == n8);
  CHECK(broadcast_shapes(n8, {}) == n8);
  CHECK(broadcast_shapes({Dim::named("N"), Dim::fixed(1)}, {Dim::fixed(1), Dim::fixed(5)}) ==
        Shape{Dim::named("N"), Dim::fixed(5)});
  int clash = -1;
  CHECK_FALSE(broadcast_shapes(n8, {Dim::fixed(4)}, &clash).has_value());
  CHECK(clash == 0);
  CHECK_FALSE(broadcast_shapes({Dim::named("N")}, {Dim::named("M")}).has_value());
  CHECK_FALSE(broadcast_shapes({Dim::named("N"), Dim::fixed(2)}, {Dim::fixed(3), Dim::fixed(2)}, &clash));
  CHECK(clash == 1);
}
