// bfloat16 as stored by nncc: the upper 16 bits of an IEEE f32, rounded to
// nearest even (what vcvtneps2bf16 and oneDNN do). Generated code emits the
// same bit operations; the interpreter and the runtime's plain loops use
// these, so all three round alike.
#pragma once
#include <bit>
#include <cstdint>

namespace nncc::bf16 {

inline uint16_t from_float(float x) {
  uint32_t bits = std::bit_cast<uint32_t>(x);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40); // NaN stays a quiet NaN
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

inline float to_float(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

/// x rounded to the nearest bf16 value, as a float.
inline float round(float x) { return to_float(from_float(x)); }

} // namespace nncc::bf16
