// The C functions compiled code calls. They never throw into generated
// frames: an error is stored in the call context and the Session raises it
// after the call returns.
#include "nncc/kernel_abi.h"

#include "call_context.h"
#include "nncc/batch_norm_loops.hpp"
#include "nncc/bf16.h"
#include "nncc/image_loops.hpp"
#include "nncc/nonfinite.h"
#include "nncc/rng.h"
#include "nncc/tensor.hpp"
#include "max_pool_blocked.h"
#include "memory.h"
#include "threads.h"

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
    nncc::runtime::check_fits_in_memory(static_cast<uint64_t>(bytes), "this call's scratch memory");
    return c.arena.alloc(static_cast<size_t>(bytes));
  } catch (const nncc::Error &e) {
    record(c, e.what());
    return nullptr;
  } catch (const std::exception &e) {
    record(c, fmt::format("out of memory allocating {} bytes of scratch", bytes));
    return nullptr; // generated code returns at once
  }
}

namespace {
/// A matrix product through oneDNN; when it fails, records why (the
/// Session reports it) and computes the product with the plain loop.
template <typename In>
void matmul(void *ctx, const char *what, int32_t site, int32_t flags, const In *a, const In *b, float *c, int64_t m, int64_t k,
            int64_t n, const float *bias, int32_t activation) {
  CallContext &cc = context(ctx);
  try {
    cc.matmul.run(site, flags, a, b, c, m, k, n, bias, activation);
  } catch (const std::exception &e) {
    record(cc, fmt::format("{} {}x{} @ {}x{}: {}", what, m, k, k, n, e.what()));
    nncc::runtime::matmul_loop(flags, a, b, c, m, k, n, bias, activation);
  }
}
} // namespace

extern "C" void nncc_rt_matmul_f32(void *ctx, int32_t site, int32_t flags, const float *a, const float *b, float *c,
                                   int64_t m, int64_t k, int64_t n, const float *bias, int32_t activation) {
  matmul(ctx, "matmul", site, flags, a, b, c, m, k, n, bias, activation);
}

extern "C" void nncc_rt_matmul_bf16(void *ctx, int32_t site, int32_t flags, const uint16_t *a, const uint16_t *b,
                                    float *c, int64_t m, int64_t k, int64_t n, const float *bias, int32_t activation) {
  matmul(ctx, "bf16 matmul", site, flags, a, b, c, m, k, n, bias, activation);
}

extern "C" void nncc_rt_matmul_f64(void *, int32_t, int32_t flags, const double *a, const double *b, double *c,
                                   int64_t m, int64_t k, int64_t n, const double *bias, int32_t activation) {
  nncc::runtime::matmul_loop(flags, a, b, c, m, k, n, bias, activation);
}

namespace {
template <typename In>
void batch_matmul(void *ctx, const char *what, int32_t site, const nncc_matmul_shape *s, const In *a, const In *b, float *c) {
  CallContext &cc = context(ctx);
  try {
    cc.batch_matmul.run(site, *s, a, b, c);
  } catch (const std::exception &e) {
    record(cc, fmt::format("{} of rank {}: {}", what, s->rank, e.what()));
  }
}
} // namespace

extern "C" void nncc_rt_batch_matmul_f32(void *ctx, int32_t site, const nncc_matmul_shape *s, const float *a, const float *b, float *c) {
  batch_matmul(ctx, "batched matmul", site, s, a, b, c);
}

extern "C" void nncc_rt_batch_matmul_bf16(void *ctx, int32_t site, const nncc_matmul_shape *s, const uint16_t *a, const uint16_t *b,
                                          float *c) {
  batch_matmul(ctx, "batched bf16 matmul", site, s, a, b, c);
}

extern "C" void nncc_rt_batch_matmul_f64(void *, int32_t, const nncc_matmul_shape *s, const double *a, const double *b, double *c) {
  nncc::runtime::batch_matmul_loop(nncc::runtime::MatmulGeometry(*s), a, b, c);
}

namespace {
/// Runs a oneDNN call on images of shape s; when it fails, records why and
/// computes the result with the plain loops instead (the Session then
/// reports the error). The loops know NCHW only: with a blocked side the
/// failed call's result is left alone (the step fails either way).
template <typename Call, typename Fallback>
void with_fallback(CallContext &c, const char *what, const nncc_conv_shape &s, Call call, Fallback fallback) {
  try {
    call();
  } catch (const std::exception &e) {
    record(c, fmt::format("{}: {}", what, e.what()));
    if (s.layout == 0) fallback();
  }
}

/// Both sides channel-blocked: how the layouts pass stores a pooling's images when it blocks them.
bool blocked_image(const nncc_conv_shape &s) { return s.layout == (NNCC_INPUT_BLOCKED | NNCC_OUTPUT_BLOCKED); }
} // namespace

extern "C" void nncc_rt_conv2d_f32(void *ctx, int32_t site, const nncc_conv_shape *s, const float *x, const float *w, const float *bias,
                                   float *y, int32_t activation) {
  CallContext &c = context(ctx);
  with_fallback(c, "conv2d", *s, [&] { c.image.conv2d(site, *s, x, w, bias, y, activation); }, [&] {
    nncc::loops::conv2d(*s, x, w, bias, y);
    nncc::loops::apply_activation(activation, y, s->n * s->o * s->oh * s->ow);
  });
}

extern "C" void nncc_rt_conv2d_f64(void *, int32_t, const nncc_conv_shape *s, const double *x, const double *w, const double *bias, double *y,
                                   int32_t activation) {
  nncc::loops::conv2d(*s, x, w, bias, y);
  nncc::loops::apply_activation(activation, y, s->n * s->o * s->oh * s->ow);
}

// bf16 convolutions (widened to f32 where oneDNN has no bf16 for the CPU):
// a failed call is reported by the Session, which fails the step.
extern "C" void nncc_rt_conv2d_bf16(void *ctx, int32_t site, const nncc_conv_shape *s, const uint16_t *x, const uint16_t *w,
                                    const float *bias, float *y, int32_t activation) {
  CallContext &c = context(ctx);
  with_fallback(c, "bf16 conv2d", *s, [&] { c.image.conv2d(site, *s, x, w, bias, y, activation); }, [] {});
}

extern "C" void nncc_rt_conv2d_grad_input_bf16(void *ctx, int32_t site, const nncc_conv_shape *s, const uint16_t *w, const uint16_t *dy,
                                               float *dx) {
  CallContext &c = context(ctx);
  with_fallback(c, "bf16 conv2d backward (input)", *s, [&] { c.image.conv2d_grad_input(site, *s, w, dy, dx); }, [] {});
}

extern "C" void nncc_rt_conv2d_grad_weight_bf16(void *ctx, int32_t site, const nncc_conv_shape *s, const uint16_t *x, const uint16_t *dy,
                                                float *dw) {
  CallContext &c = context(ctx);
  with_fallback(c, "bf16 conv2d backward (weights)", *s, [&] { c.image.conv2d_grad_weight(site, *s, x, dy, dw); }, [] {});
}

extern "C" void nncc_rt_conv2d_grad_input_f32(void *ctx, int32_t site, const nncc_conv_shape *s, const float *w, const float *dy, float *dx) {
  CallContext &c = context(ctx);
  with_fallback(c, "conv2d backward (input)", *s, [&] { c.image.conv2d_grad_input(site, *s, w, dy, dx); },
                [&] { nncc::loops::conv2d_grad_input(*s, w, dy, dx); });
}

extern "C" void nncc_rt_conv2d_grad_input_f64(void *, int32_t, const nncc_conv_shape *s, const double *w, const double *dy, double *dx) {
  nncc::loops::conv2d_grad_input(*s, w, dy, dx);
}

extern "C" void nncc_rt_conv2d_grad_weight_f32(void *ctx, int32_t site, const nncc_conv_shape *s, const float *x, const float *dy, float *dw) {
  CallContext &c = context(ctx);
  with_fallback(c, "conv2d backward (weights)", *s, [&] { c.image.conv2d_grad_weight(site, *s, x, dy, dw); },
                [&] { nncc::loops::conv2d_grad_weight(*s, x, dy, dw); });
}

extern "C" void nncc_rt_conv2d_grad_weight_f64(void *, int32_t, const nncc_conv_shape *s, const double *x, const double *dy, double *dw) {
  nncc::loops::conv2d_grad_weight(*s, x, dy, dw);
}

extern "C" void nncc_rt_pool2d_f32(void *ctx, int32_t site, int32_t kind, int32_t training, const nncc_conv_shape *s, const float *x,
                                   float *y) {
  if (kind == NNCC_POOL_MAX && blocked_image(*s)) return nncc::runtime::max_pool2d_blocked(*s, nncc::runtime::channel_block(), x, y);
  CallContext &c = context(ctx);
  with_fallback(c, "pooling", *s, [&] { c.image.pool2d(site, kind, *s, x, y, training != 0); }, [&] { nncc::loops::pool2d(kind, *s, x, y); });
}

extern "C" void nncc_rt_pool2d_f64(void *, int32_t, int32_t kind, int32_t, const nncc_conv_shape *s, const double *x, double *y) {
  nncc::loops::pool2d(kind, *s, x, y);
}

extern "C" void nncc_rt_pool2d_grad_f32(void *ctx, int32_t site, int32_t kind, int32_t forward_site, const nncc_conv_shape *s, const float *x,
                                        const float *dy, float *dx) {
  if (kind == NNCC_POOL_MAX && blocked_image(*s)) return nncc::runtime::max_pool2d_grad_blocked(*s, nncc::runtime::channel_block(), x, dy, dx);
  CallContext &c = context(ctx);
  with_fallback(c, "pooling backward", *s, [&] { c.image.pool2d_grad(site, kind, forward_site, *s, x, dy, dx); },
                [&] { nncc::loops::pool2d_grad(kind, *s, x, dy, dx); });
}

extern "C" void nncc_rt_pool2d_grad_f64(void *, int32_t, int32_t kind, int32_t, const nncc_conv_shape *s, const double *x, const double *dy,
                                        double *dx) {
  nncc::loops::pool2d_grad(kind, *s, x, dy, dx);
}

extern "C" void nncc_rt_relayout_f32(void *ctx, int32_t site, const nncc_conv_shape *s, const float *x, float *y) {
  CallContext &c = context(ctx);
  try {
    c.image.relayout(site, *s, x, y);
  } catch (const std::exception &e) {
    record(c, fmt::format("relayout: {}", e.what()));
  }
}

extern "C" void nncc_rt_parallel_loop(void *, int64_t elements, nncc_loop_task task, void *args) {
  nncc::runtime::on_threads(elements, [&](int64_t part, int64_t parts) { task(args, part, parts); });
}

extern "C" int64_t nncc_rt_first_row(void *ctx) { return context(ctx).first_row; }

extern "C" uint64_t nncc_rt_dropout_base(void *ctx, int64_t key) {
  CallContext &c = context(ctx);
  return nncc::rng::mix64(nncc::rng::mix64(c.seed) ^ nncc::rng::dropout_stream(c.step, static_cast<uint64_t>(key)));
}

// Batch normalization: the same loops for both dtypes (batch_norm_loops.hpp
// says why not oneDNN), compiled for AVX-512, AVX2 and the baseline, the
// host's best picked when the library loads (the runtime itself is built
// for any x86-64; these passes run at memory speed only with wide vectors).
// The clones are file-local: GCC gives a clone dispatcher default
// visibility whatever -fvisibility says, so an exported one would leak out
// of AOT libraries.
namespace {
int64_t lanes(int32_t blocked) { return blocked ? nncc::runtime::channel_block() : 1; }

/// Runs a pass over the batch on the session's threads, each with its share
/// of the channels (whole blocks): every channel's sums are one thread's in
/// one order, so results do not depend on the thread count.
template <typename Pass> void by_channels(int64_t n, int64_t c, int64_t inner, int32_t blocked, Pass pass) {
  nncc::loops::NormShape s{n, c, inner, lanes(blocked)};
  nncc::runtime::share_among_threads(c / s.lanes, n * c * inner, [&](int64_t first, int64_t last) {
    nncc::loops::NormShape part = s;
    part.from = first * s.lanes, part.to = last * s.lanes;
    pass(part);
  });
}
} // namespace
#define NNCC_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#define NNCC_BATCH_NORM_FUNCTIONS(T, suffix)                                                                                                 \
  static NNCC_VECTOR_CLONES void channel_sums_##suffix(nncc::loops::NormShape s, const T *x, T *sums) {                                      \
    nncc::loops::channel_sums(s, x, sums);                                                                                                   \
  }                                                                                                                                          \
  static NNCC_VECTOR_CLONES void batch_stats_##suffix(nncc::loops::NormShape s, const T *x, T *stats) {                                      \
    nncc::loops::batch_stats(s, x, stats);                                                                                                   \
  }                                                                                                                                          \
  static NNCC_VECTOR_CLONES void batch_norm_##suffix(nncc::loops::NormShape s, double eps, const T *x, const T *stats, const T *gamma,       \
                                                     const T *beta, bool relu, T *y) {                                                       \
    nncc::loops::batch_norm(s, eps, x, stats, gamma, beta, relu, y);                                                                         \
  }                                                                                                                                          \
  static NNCC_VECTOR_CLONES void batch_norm_grad_sums_##suffix(nncc::loops::NormShape s, double eps, const T *x, const T *stats,             \
                                                               const T *dy, T *sums) {                                                       \
    nncc::loops::batch_norm_grad_sums(s, eps, x, stats, dy, sums);                                                                           \
  }                                                                                                                                          \
  static NNCC_VECTOR_CLONES void batch_norm_grad_##suffix(nncc::loops::NormShape s, double eps, const T *x, const T *stats,                  \
                                                          const T *gamma, const T *dy, const T *sums, T *dx) {                               \
    nncc::loops::batch_norm_grad(s, eps, x, stats, gamma, dy, sums, dx);                                                                     \
  }                                                                                                                                          \
  extern "C" void nncc_rt_channel_sums_##suffix(void *, int64_t n, int64_t c, int64_t inner, int32_t blocked, const T *x, T *sums) {         \
    by_channels(n, c, inner, blocked, [&](nncc::loops::NormShape s) { channel_sums_##suffix(s, x, sums); });                                 \
  }                                                                                                                                          \
  extern "C" void nncc_rt_batch_stats_##suffix(void *, int64_t n, int64_t c, int64_t inner, int32_t blocked, const T *x, T *stats) {         \
    by_channels(n, c, inner, blocked, [&](nncc::loops::NormShape s) { batch_stats_##suffix(s, x, stats); });                                 \
  }                                                                                                                                          \
  extern "C" void nncc_rt_batch_norm_##suffix(void *, int64_t n, int64_t c, int64_t inner, int32_t blocked, double eps, const T *x, const T *stats,  \
                                              const T *gamma, const T *beta, int32_t relu, T *y) {                                           \
    by_channels(n, c, inner, blocked, [&](nncc::loops::NormShape s) { batch_norm_##suffix(s, eps, x, stats, gamma, beta, relu != 0, y); });  \
  }                                                                                                                                          \
  extern "C" void nncc_rt_batch_norm_grad_sums_##suffix(void *, int64_t n, int64_t c, int64_t inner, int32_t blocked, double eps, const T *x,  \
                                                        const T *stats, const T *dy, T *sums) {                                              \
    by_channels(n, c, inner, blocked, [&](nncc::loops::NormShape s) { batch_norm_grad_sums_##suffix(s, eps, x, stats, dy, sums); });         \
  }                                                                                                                                          \
  extern "C" void nncc_rt_batch_norm_grad_##suffix(void *, int64_t n, int64_t c, int64_t inner, int32_t blocked, double eps, const T *x, const T *stats,  \
                                                   const T *gamma, const T *dy, const T *sums, T *dx) {                                      \
    by_channels(n, c, inner, blocked, [&](nncc::loops::NormShape s) { batch_norm_grad_##suffix(s, eps, x, stats, gamma, dy, sums, dx); });   \
  }
NNCC_BATCH_NORM_FUNCTIONS(float, f32)
NNCC_BATCH_NORM_FUNCTIONS(double, f64)
#undef NNCC_BATCH_NORM_FUNCTIONS
#undef NNCC_VECTOR_CLONES

namespace {
/// Bits: the unsigned integer of T's size; exponent: T's exponent mask.
template <typename Bits, typename T, typename ToDouble>
int32_t check_finite(void *ctx, const char *what, const char *where, const T *data, int64_t n, Bits exponent, ToDouble to_double) {
  static_assert(sizeof(Bits) == sizeof(T));
  if (!nncc::nonfinite::any_nonfinite_bits(reinterpret_cast<const Bits *>(data), n, exponent)) return 0;
  nncc::nonfinite::Found found = nncc::nonfinite::scan(data, n, to_double);
  CallContext &c = context(ctx);
  record(c, nncc::nonfinite::report(what, where, found, n, c.step));
  return 1;
}
} // namespace

extern "C" int32_t nncc_rt_check_finite_f32(void *ctx, const char *what, const char *where, const float *data, int64_t n) {
  return check_finite(ctx, what, where, data, n, uint32_t{0x7f800000}, [](float v) { return static_cast<double>(v); });
}

extern "C" int32_t nncc_rt_check_finite_f64(void *ctx, const char *what, const char *where, const double *data, int64_t n) {
  return check_finite(ctx, what, where, data, n, uint64_t{0x7ff0000000000000}, [](double v) { return v; });
}

extern "C" int32_t nncc_rt_check_finite_bf16(void *ctx, const char *what, const char *where, const uint16_t *data, int64_t n) {
  return check_finite(ctx, what, where, data, n, uint16_t{0x7f80}, [](uint16_t v) { return static_cast<double>(nncc::bf16::to_float(v)); });
}
