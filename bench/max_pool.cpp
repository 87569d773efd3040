// Max pooling of channel-blocked f32 images, forward and backward: the
// runtime's own loops (runtime/max_pool_blocked.cpp) against oneDNN 2.6's
// primitives (forward in training with its workspace, backward from it), on
// fashion_cnn's two poolings at batch 128, alternated in one run.
//   OMP_NUM_THREADS=1 build/bench/max_pool [ROUNDS]
#include "dnnl/image.h"
#include "max_pool_blocked.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

template <typename F> double ms_per_call(int calls, F f) {
  auto start = Clock::now();
  for (int i = 0; i < calls; ++i) f();
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count() / calls;
}

std::string cpu_model() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

/// The largest difference between two arrays (the two must agree exactly).
float max_difference(const std::vector<float> &a, const std::vector<float> &b) {
  float d = 0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

void compare(const char *name, nncc_conv_shape s, int rounds) {
  int64_t lanes = nncc::runtime::channel_block();
  s.layout = NNCC_INPUT_BLOCKED | NNCC_OUTPUT_BLOCKED;
  size_t in = static_cast<size_t>(s.n * s.c * s.h * s.w), out = static_cast<size_t>(s.n * s.c * s.oh * s.ow);
  std::vector<float> x(in), dy(out), y_own(out), y_dnnl(out), dx_own(in), dx_dnnl(in);
  std::srand(1);
  for (float &v : x) v = static_cast<float>(std::rand() % 1000) / 1000.0f - 0.5f;
  for (float &v : dy) v = static_cast<float>(std::rand() % 1000) / 1000.0f;
  nncc::runtime::ImagePrimitives dnnl(2);
  auto own_fwd = [&] { nncc::runtime::max_pool2d_blocked(s, lanes, x.data(), y_own.data()); };
  auto own_bwd = [&] { nncc::runtime::max_pool2d_grad_blocked(s, lanes, x.data(), dy.data(), dx_own.data()); };
  auto dnnl_fwd = [&] { dnnl.pool2d(0, NNCC_POOL_MAX, s, x.data(), y_dnnl.data(), true); };
  auto dnnl_bwd = [&] { dnnl.pool2d_grad(1, NNCC_POOL_MAX, 0, s, x.data(), dy.data(), dx_dnnl.data()); };
  own_fwd(), own_bwd(), dnnl_fwd(), dnnl_bwd();
  double best[4] = {1e30, 1e30, 1e30, 1e30};
  for (int r = 0; r < rounds; ++r) {
    best[0] = std::min(best[0], ms_per_call(5, own_fwd));
    best[1] = std::min(best[1], ms_per_call(5, dnnl_fwd));
    best[2] = std::min(best[2], ms_per_call(5, own_bwd));
    best[3] = std::min(best[3], ms_per_call(5, [&] { dnnl_fwd(), dnnl_bwd(); }) - best[1]);
  }
  // Bytes each pass must move: forward reads x, writes y; backward reads x and dy, writes dx.
  double fwd_gb = static_cast<double>((in + out) * 4) / 1e9, bwd_gb = static_cast<double>((2 * in + out) * 4) / 1e9;
  std::printf("%-22s forward  own %6.2f ms (%5.1f GB/s)  oneDNN %6.2f ms  oneDNN/own %.2fx  max |diff| %g\n", name, best[0],
              fwd_gb / best[0] * 1e3, best[1], best[1] / best[0], max_difference(y_own, y_dnnl));
  std::printf("%-22s backward own %6.2f ms (%5.1f GB/s)  oneDNN %6.2f ms  oneDNN/own %.2fx  max |diff| %g\n", "", best[2],
              bwd_gb / best[2] * 1e3, best[3], best[3] / best[2], max_difference(dx_own, dx_dnnl));
}

} // namespace

int main(int argc, char **argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 5;
  std::printf("%s, nChw%dc, OMP_NUM_THREADS=%s; best of %d rounds of 5 calls\n", cpu_model().c_str(),
              nncc::runtime::channel_block(), std::getenv("OMP_NUM_THREADS") ? std::getenv("OMP_NUM_THREADS") : "unset", rounds);
  //                               n    c   h   w   o  kh kw  oh  ow  sh sw ph pw dh dw g layout
  compare("pool1 [128,32,28,28]", {128, 32, 28, 28, 32, 2, 2, 14, 14, 2, 2, 0, 0, 1, 1, 1, 0}, rounds);
  compare("pool2 [128,64,14,14]", {128, 64, 14, 14, 64, 2, 2, 7, 7, 2, 2, 0, 0, 1, 1, 1, 0}, rounds);
}
