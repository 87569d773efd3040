// Counter-based random numbers: every draw is a pure function of
// (seed, stream, index), so the interpreter, JIT and AOT code and the
// runtime's initializers all see the same numbers, in any order, on any
// thread. The mixer is SplitMix64's finalizer (Steele, Lea, Flood 2014).
#pragma once
#include <cstdint>

namespace nncc::rng {

inline uint64_t mix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// 64 random bits for draw `index` of stream `stream` under `seed`.
inline uint64_t bits(uint64_t seed, uint64_t stream, uint64_t index) {
  return mix64(mix64(mix64(seed) ^ stream) ^ index);
}

/// A uniform number in [0, 1) with 53 random bits.
inline double uniform(uint64_t seed, uint64_t stream, uint64_t index) {
  return static_cast<double>(bits(seed, stream, index) >> 11) * 0x1.0p-53;
}

/// The stream of dropout op `key` at training step `step`.
inline uint64_t dropout_stream(uint64_t step, uint64_t key) { return mix64(step * 0x100000001B3ull ^ key) | 1; }

} // namespace nncc::rng
