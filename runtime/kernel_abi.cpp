// The C functions compiled code calls. They never throw into generated
// frames: an error is stored in the call context and the Session raises it
// after the call returns.
#include "nncc/kernel_abi.h"

#include "call_context.h"
#include "nncc/rng.h"

#include <exception>
#include <fmt/format.h>

using nncc::runtime::CallContext;

namespace {
CallContext &context(void *ctx) { return *static_cast<CallContext *>(ctx); }

void record(CallContext &c, std::string message) {
  if (c.error.empty()) c.error = std::move(message);
}
} // namespace

extern "C" void *nncc_rt_alloc(void *ctx, int64_t bytes) {
  CallContext &c = context(ctx);
  try {
    return c.arena.alloc(static_cast<size_t>(bytes));
  } catch (const std::exception &e) {
    record(c, fmt::format("out of memory allocating {} bytes of scratch", bytes));
    return nullptr; // generated code returns at once
  }
}

extern "C" void nncc_rt_matmul_f32(void *ctx, int32_t site, int32_t flags, const float *a, const float *b, float *c,
                                   int64_t m, int64_t k, int64_t n, const float *bias, int32_t activation) {
  CallContext &cc = context(ctx);
  try {
    cc.matmul.run_f32(site, flags, a, b, c, m, k, n, bias, activation);
  } catch (const std::exception &e) {
    record(cc, fmt::format("matmul {}x{} @ {}x{}: {}", m, k, k, n, e.what()));
    nncc::runtime::matmul_loop(flags, a, b, c, m, k, n, bias, activation);
  }
}

extern "C" void nncc_rt_matmul_f64(void *, int32_t, int32_t flags, const double *a, const double *b, double *c,
                                   int64_t m, int64_t k, int64_t n, const double *bias, int32_t activation) {
  nncc::runtime::matmul_loop(flags, a, b, c, m, k, n, bias, activation);
}

extern "C" uint64_t nncc_rt_dropout_base(void *ctx, int64_t key) {
  CallContext &c = context(ctx);
  return nncc::rng::mix64(nncc::rng::mix64(c.seed) ^ nncc::rng::dropout_stream(c.step, static_cast<uint64_t>(key)));
}
