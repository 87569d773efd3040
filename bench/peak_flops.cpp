// The machine's f32 FMA peak, measured: independent chains of fused
// multiply-adds in the widest vector registers the CPU has (AVX-512 or
// AVX2), on 1 thread and on every core. Benchmarks quote their GFLOP/s as a
// fraction of this figure and name the CPU it was measured on.
//   build/bench/peak_flops [--seconds S]
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kChains = 16; // independent accumulators: enough to cover the FMA latency of two units

/// FLOPs done: iterations x chains x lanes x 2.
__attribute__((target("avx512f"))) double run_avx512(long iterations) {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (long n = 0; n < iterations; ++n)
#pragma GCC unroll 16
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  float sink = 0;
  for (int i = 0; i < kChains; ++i) sink += _mm512_reduce_add_ps(acc[i]);
  asm volatile("" : : "x"(sink)); // keep the loop
  return static_cast<double>(iterations) * kChains * 16 * 2;
}

/// bf16 dot products (vdpbf16ps: 32 pairs multiplied and added into 16 f32
/// sums, 64 FLOPs), the instruction oneDNN's bf16 products use without AMX.
/// Its rate against the f32 FMA's says whether --precision bf16 can pay off.
__attribute__((target("avx512f,avx512bf16"))) double run_avx512_bf16(long iterations) {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  const __m512bh a = (__m512bh)_mm512_set1_epi16(0x3f80), b = (__m512bh)_mm512_set1_epi16(0x3380); // 1 and 2^-24
  for (long n = 0; n < iterations; ++n)
#pragma GCC unroll 16
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_dpbf16_ps(acc[i], a, b);
  float sink = 0;
  for (int i = 0; i < kChains; ++i) sink += _mm512_reduce_add_ps(acc[i]);
  asm volatile("" : : "x"(sink));
  return static_cast<double>(iterations) * kChains * 32 * 2;
}

__attribute__((target("avx2,fma"))) double run_avx2(long iterations) {
  __m256 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (long n = 0; n < iterations; ++n)
#pragma GCC unroll 16
    for (int i = 0; i < kChains; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  float lanes[8], sink = 0;
  for (int i = 0; i < kChains; ++i) {
    _mm256_storeu_ps(lanes, acc[i]);
    for (float l : lanes) sink += l;
  }
  asm volatile("" : : "x"(sink));
  return static_cast<double>(iterations) * kChains * 8 * 2;
}

/// GFLOP/s of `threads` threads each running `kernel`, best of 3 runs.
double measure(double (*kernel)(long), int threads, double seconds) {
  long iterations = 1 << 20;
  double best = 0;
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::vector<std::thread> pool;
    std::vector<double> flops(static_cast<size_t>(threads));
    auto t0 = std::chrono::steady_clock::now();
    for (int t = 0; t < threads; ++t) pool.emplace_back([&, t] { flops[static_cast<size_t>(t)] = kernel(iterations); });
    for (std::thread &t : pool) t.join();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double total = 0;
    for (double f : flops) total += f;
    best = std::max(best, total / s / 1e9);
    iterations = static_cast<long>(static_cast<double>(iterations) * seconds / std::max(s, 1e-3)); // the next run lasts `seconds`
  }
  return best;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

} // namespace

int main(int argc, char **argv) {
  double seconds = argc > 2 && std::strcmp(argv[1], "--seconds") == 0 ? std::atof(argv[2]) : 0.5;
  __builtin_cpu_init();
  bool avx512 = __builtin_cpu_supports("avx512f"), avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (!avx512 && !avx2) {
    std::printf("{\"error\": \"this CPU has neither AVX-512 nor AVX2 with FMA\"}\n");
    return 1;
  }
  auto kernel = avx512 ? run_avx512 : run_avx2;
  int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  double one = measure(kernel, 1, seconds), all = measure(kernel, cores, seconds);
  std::printf("{\"cpu\": \"%s\", \"isa\": \"%s\", \"f32_fma_gflops_1_thread\": %.1f, \"threads\": %d, \"f32_fma_gflops_all\": %.1f",
              cpu_model().c_str(), avx512 ? "avx512f" : "avx2+fma", one, cores, all);
  if (__builtin_cpu_supports("avx512bf16")) std::printf(", \"bf16_dot_gflops_1_thread\": %.1f", measure(run_avx512_bf16, 1, seconds));
  std::printf(", \"amx\": %s}\n", __builtin_cpu_supports("amx-bf16") ? "true" : "false");
  return 0;
}
