// exp, log, tanh, sigmoid and pow as straight-line code. For f32 they are
// Cephes-style polynomials that LLVM vectorizes (a libm call per element
// costs ~3 ns, these ~0.2); f64, used for gradient checking rather than
// speed, calls libm. Range reductions are kept exact: fast-math is off here.
#include "compiler/codegen/emitter.h"

#include <cmath>
#include <numbers>
#include <llvm/IR/Intrinsics.h>

namespace nncc::codegen {

using llvm::Value;

namespace {

Value *libm(Kernel &k, const char *name, std::vector<Value *> args) {
  llvm::Type *d = k.b().getDoubleTy();
  auto callee = k.mc.module.getOrInsertFunction(name, llvm::FunctionType::get(d, std::vector<llvm::Type *>(args.size(), d), false));
  auto *call = k.b().CreateCall(callee, args);
  call->setDoesNotThrow();
  return call;
}

Value *f(Kernel &k, double v) { return llvm::ConstantFP::get(k.b().getFloatTy(), v); }

/// Horner's rule: c[0] * x^(n-1) + ... + c[n-1].
Value *horner(Kernel &k, Value *x, std::initializer_list<double> c) {
  auto &b = k.b();
  Value *acc = nullptr;
  for (double coefficient : c) acc = acc ? b.CreateFAdd(b.CreateFMul(acc, x), f(k, coefficient)) : f(k, coefficient);
  return acc;
}

Value *exp_f32(Kernel &k, Value *x) {
  auto &b = k.b();
  // exp(x) = 2^n * exp(r), n = round(x / ln 2), |r| <= ln 2 / 2.
  Value *clamped = b.CreateMinNum(b.CreateMaxNum(x, f(k, -87.33654)), f(k, 88.37626));
  Value *n = b.CreateUnaryIntrinsic(llvm::Intrinsic::rint, b.CreateFMul(clamped, f(k, 1.44269504088896341)));
  Value *r = b.CreateFSub(b.CreateFSub(clamped, b.CreateFMul(n, f(k, 0.693359375))), b.CreateFMul(n, f(k, -2.12194440e-4)));
  Value *r2 = b.CreateFMul(r, r);
  Value *p = horner(k, r, {1.9875691500E-4, 1.3981999507E-3, 8.3334519073E-3, 4.1665795894E-2, 1.6666665459E-1, 5.0000001201E-1});
  p = b.CreateFAdd(b.CreateFAdd(b.CreateFMul(p, r2), r), f(k, 1.0));
  // 2^n built in two halves so that n = 128 and n = -126 stay representable.
  Value *ni = b.CreateFPToSI(n, b.getInt32Ty());
  Value *half = b.CreateAShr(ni, 1);
  auto pow2 = [&](Value *e) { return b.CreateBitCast(b.CreateShl(b.CreateAdd(e, b.getInt32(127)), 23), b.getFloatTy()); };
  Value *y = b.CreateFMul(b.CreateFMul(p, pow2(half)), pow2(b.CreateSub(ni, half)));
  y = b.CreateSelect(b.CreateFCmpOGT(x, f(k, 88.72283)), f(k, INFINITY), y);
  y = b.CreateSelect(b.CreateFCmpOLT(x, f(k, -103.97)), f(k, 0.0), y);
  return b.CreateSelect(b.CreateFCmpUNO(x, x), x, y);
}

Value *log_f32(Kernel &k, Value *x) {
  auto &b = k.b();
  llvm::Type *i32 = b.getInt32Ty();
  // x = m * 2^e with m in [sqrt(1/2), sqrt(2)); log x = log m + e log 2.
  Value *bits = b.CreateBitCast(x, i32);
  Value *e = b.CreateSub(b.CreateLShr(bits, 23), b.getInt32(126));
  Value *m = b.CreateBitCast(b.CreateOr(b.CreateAnd(bits, b.getInt32(0x807fffff)), b.getInt32(0x3f000000)), b.getFloatTy());
  Value *small = b.CreateFCmpOLT(m, f(k, 0.707106781186547524));
  e = b.CreateSub(e, b.CreateZExt(small, i32));
  m = b.CreateSelect(small, b.CreateFAdd(m, m), m);
  Value *t = b.CreateFSub(m, f(k, 1.0)), *z = b.CreateFMul(t, t);
  Value *y = b.CreateFMul(b.CreateFMul(horner(k, t, {7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1, -1.2420140846E-1,
                                                      1.4249322787E-1, -1.6668057665E-1, 2.0000714765E-1, -2.4999993993E-1,
                                                      3.3333331174E-1}),
                                       t),
                          z);
  Value *ef = b.CreateSIToFP(e, b.getFloatTy());
  y = b.CreateFAdd(y, b.CreateFMul(ef, f(k, -2.12194440e-4)));
  y = b.CreateFSub(y, b.CreateFMul(z, f(k, 0.5)));
  y = b.CreateFAdd(b.CreateFAdd(t, y), b.CreateFMul(ef, f(k, 0.693359375)));
  // Edges as libm: log(0) = -inf, log(<0) = nan, log(inf) = inf, nan stays.
  y = b.CreateSelect(b.CreateFCmpOEQ(x, f(k, INFINITY)), x, y);
  y = b.CreateSelect(b.CreateFCmpOEQ(x, f(k, 0.0)), f(k, -INFINITY), y);
  return b.CreateSelect(b.CreateFCmpULT(x, f(k, 0.0)), f(k, NAN), y);
}

} // namespace

Value *emit_exp(Kernel &k, ir::DType d, Value *x) {
  llvm::IRBuilderBase::FastMathFlagGuard exact(k.b());
  k.b().clearFastMathFlags();
  return d == ir::DType::F32 ? exp_f32(k, x) : libm(k, "exp", {x});
}

Value *emit_log(Kernel &k, ir::DType d, Value *x) {
  llvm::IRBuilderBase::FastMathFlagGuard exact(k.b());
  k.b().clearFastMathFlags();
  return d == ir::DType::F32 ? log_f32(k, x) : libm(k, "log", {x});
}

Value *emit_log1p(Kernel &k, ir::DType d, Value *x) {
  llvm::IRBuilderBase::FastMathFlagGuard exact(k.b());
  auto &b = k.b();
  b.clearFastMathFlags();
  // log(u) * x / (u - 1) with u = 1 + x cancels the rounding of u (Goldberg);
  // when u rounds to 1, log1p(x) is x to working precision.
  Value *u = b.CreateFAdd(k.fconst(d, 1.0), x);
  Value *um1 = b.CreateFSub(u, k.fconst(d, 1.0));
  Value *corrected = b.CreateFDiv(b.CreateFMul(emit_log(k, d, u), x), um1);
  return b.CreateSelect(b.CreateFCmpOEQ(um1, k.fconst(d, 0.0)), x, corrected);
}

Value *emit_tanh(Kernel &k, ir::DType d, Value *x) {
  if (d != ir::DType::F32) return libm(k, "tanh", {x});
  llvm::IRBuilderBase::FastMathFlagGuard exact(k.b());
  auto &b = k.b();
  b.clearFastMathFlags();
  // |x| < 0.625: an odd polynomial (no cancellation near 0);
  // otherwise 1 - 2 / (exp(2|x|) + 1) with the sign of x.
  Value *ax = b.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x);
  Value *z = b.CreateFMul(x, x);
  Value *poly = b.CreateFAdd(b.CreateFMul(b.CreateFMul(horner(k, z, {-5.70498872745E-3, 2.06390887954E-2, -5.37397155531E-2,
                                                                    1.33314422036E-1, -3.33332819422E-1}),
                                                       z),
                                          x),
                             x);
  Value *e = exp_f32(k, b.CreateFMul(ax, f(k, 2.0)));
  Value *large = b.CreateFSub(f(k, 1.0), b.CreateFDiv(f(k, 2.0), b.CreateFAdd(e, f(k, 1.0))));
  large = b.CreateBinaryIntrinsic(llvm::Intrinsic::copysign, large, x);
  return b.CreateSelect(b.CreateFCmpOLT(ax, f(k, 0.625)), poly, large);
}

Value *emit_sigmoid(Kernel &k, ir::DType d, Value *x) {
  auto &b = k.b();
  // Stable for both signs: e = exp(-|x|) never overflows.
  Value *e = emit_exp(k, d, b.CreateFNeg(b.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x)));
  Value *s = b.CreateFDiv(k.fconst(d, 1.0), b.CreateFAdd(k.fconst(d, 1.0), e));
  return b.CreateSelect(b.CreateFCmpOGE(x, k.fconst(d, 0.0)), s, b.CreateFMul(e, s));
}

Value *emit_pow(Kernel &k, ir::DType d, Value *x, double c) {
  auto &b = k.b();
  if (c == 0) return k.fconst(d, 1.0);
  if (c == 0.5) return b.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, x);
  if (c == std::trunc(c) && std::abs(c) <= 16) { // repeated squaring, as pow does for integers
    Value *result = nullptr, *base = x;
    for (auto n = static_cast<int64_t>(std::abs(c)); n > 0; n >>= 1) {
      if (n & 1) result = result ? b.CreateFMul(result, base) : base;
      if (n > 1) base = b.CreateFMul(base, base);
    }
    return c < 0 ? b.CreateFDiv(k.fconst(d, 1.0), result) : result;
  }
  if (d != ir::DType::F32) return libm(k, "pow", {x, k.fconst(d, c)});
  // x^c = exp(c log x): nan for x < 0 as pow; 0^c = 0 (c > 0) or inf.
  return emit_exp(k, d, b.CreateFMul(emit_log(k, d, x), k.fconst(d, c)));
}

Value *emit_softplus(Kernel &k, ir::DType d, Value *x) {
  auto &b = k.b();
  Value *e = emit_exp(k, d, b.CreateFNeg(b.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x)));
  Value *high = b.CreateSelect(b.CreateFCmpOGT(x, k.fconst(d, 0.0)), x, k.fconst(d, 0.0));
  return b.CreateFAdd(high, emit_log1p(k, d, e));
}

Value *emit_normal_cdf(Kernel &k, ir::DType d, Value *x) {
  auto &b = k.b();
  if (d != ir::DType::F32) return b.CreateFMul(libm(k, "erfc", {b.CreateFMul(x, k.fconst(d, -1 / std::numbers::sqrt2))}), k.fconst(d, 0.5));
  llvm::IRBuilderBase::FastMathFlagGuard exact(b);
  b.clearFastMathFlags();
  // erfc(z) for z = |x| / sqrt 2 >= 0 as t P(t) exp(-z^2), t = 1 / (1 + p z)
  // (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7); the tail of the sign of
  // x is 0.5 erfc(z) itself, so small probabilities keep their digits.
  Value *z = b.CreateFMul(b.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x), f(k, 1 / std::numbers::sqrt2));
  Value *t = b.CreateFDiv(f(k, 1.0), b.CreateFAdd(f(k, 1.0), b.CreateFMul(z, f(k, 0.3275911))));
  Value *poly = b.CreateFMul(horner(k, t, {1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592}), t);
  Value *tail = b.CreateFMul(b.CreateFMul(poly, exp_f32(k, b.CreateFNeg(b.CreateFMul(z, z)))), f(k, 0.5));
  return b.CreateSelect(b.CreateFCmpOGE(x, f(k, 0.0)), b.CreateFSub(f(k, 1.0), tail), tail);
}

} // namespace nncc::codegen
