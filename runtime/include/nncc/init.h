// Parameter initializers (SPEC §1.7). A param's initial values depend only
// on the session seed and the param's name, so the interpreter, JIT and AOT
// builds of a model start from bit-identical weights. Kinds are named as in
// the .nn language (ir/initializers.def is the list).
#pragma once
#include "nncc/rng.h"

#include <cmath>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace nncc::init {

/// FNV-1a: the RNG stream of a param is a hash of its name.
inline uint64_t name_stream(std::string_view name) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : name) h = (h ^ c) * 0x100000001b3ull;
  return rng::mix64(h);
}

/// A standard normal draw (Box-Muller on two uniforms of the same stream).
inline double normal(uint64_t seed, uint64_t stream, uint64_t i) {
  double u1 = rng::uniform(seed, stream, 2 * i), u2 = rng::uniform(seed, stream, 2 * i + 1);
  return std::sqrt(-2.0 * std::log1p(-u1)) * std::cos(2.0 * 3.14159265358979323846 * u2);
}

/// Fills `out` for a param of the given shape. `args` are the initializer's
/// arguments in the order of its spec (constant: value; uniform: lo, hi;
/// normal: mean, std). For a weight [fan_in, fan_out] (more generally: all
/// but the last dimension, and the last) the fan-based kinds use PyTorch's
/// formulas; a convolution's [O, C, KH, KW] (rank 3 or more) has
/// fan_in = C*KH*KW and fan_out = O*KH*KW, as PyTorch computes them.
/// Throws std::invalid_argument for an unknown kind.
template <typename T>
void fill(std::string_view kind, std::span<const double> args, std::span<const int64_t> shape, uint64_t seed,
          std::string_view param_name, std::span<T> out) {
  double fan_in = 1, fan_out = shape.empty() ? 1 : static_cast<double>(shape.back());
  if (shape.size() >= 3) {
    double window = 1;
    for (size_t i = 2; i < shape.size(); ++i) window *= static_cast<double>(shape[i]);
    fan_in = static_cast<double>(shape[1]) * window, fan_out = static_cast<double>(shape[0]) * window;
  } else {
    for (size_t i = 0; i + 1 < shape.size(); ++i) fan_in *= static_cast<double>(shape[i]);
  }
  uint64_t stream = name_stream(param_name);
  auto uniform = [&](double lo, double hi) {
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<T>(lo + (hi - lo) * rng::uniform(seed, stream, i));
  };
  auto gaussian = [&](double mean, double std) {
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<T>(mean + std * normal(seed, stream, i));
  };
  auto constant = [&](double v) {
    for (T &e : out) e = static_cast<T>(v);
  };
  if (kind == "zeros") constant(0);
  else if (kind == "ones") constant(1);
  else if (kind == "constant") constant(args[0]);
  else if (kind == "uniform") uniform(args[0], args[1]);
  else if (kind == "normal") gaussian(args[0], args[1]);
  else if (kind == "glorot_uniform") {
    double a = std::sqrt(6.0 / (fan_in + fan_out));
    uniform(-a, a);
  } else if (kind == "glorot_normal") gaussian(0, std::sqrt(2.0 / (fan_in + fan_out)));
  else if (kind == "he_uniform") {
    double a = std::sqrt(6.0 / fan_in);
    uniform(-a, a);
  } else if (kind == "he_normal") gaussian(0, std::sqrt(2.0 / fan_in));
  else if (kind == "lecun_normal") gaussian(0, std::sqrt(1.0 / fan_in));
  else throw std::invalid_argument("unknown initializer '" + std::string(kind) + "'");
}

} // namespace nncc::init
