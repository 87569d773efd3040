// JIT-compiles examples/xor.nn, trains it on the four XOR points and prints
// the loss curve and the learned truth table.
//   train_xor [path/to/xor.nn] [steps]
#include <nncc/nncc.hpp>

#include <cstdio>
#include <exception>
#include <string>

int main(int argc, char **argv) {
  std::string path = argc > 1 ? argv[1] : "examples/xor.nn";
  int steps = argc > 2 ? std::stoi(argv[2]) : 1000;
  try {
    nncc::Compiler cc;
    nncc::Model model = cc.compile_file(path);
    model.prepare("train_step"); // else compiled at its first call
    nncc::Session s = model.new_session({.seed = 42, .threads = 1});
    std::printf("compiled %s in %.1f ms%s\n", model.name().c_str(), model.compile_ms(), model.from_cache() ? " (from the cache)" : "");

    nncc::Tensor x = nncc::Tensor::f32({4, 2}, {0, 0, 0, 1, 1, 0, 1, 1});
    nncc::Tensor y = nncc::Tensor::f32({4, 1}, {0, 1, 1, 0});
    double loss = 0;
    for (int step = 1; step <= steps; ++step) {
      loss = s.train_step({{"x", x}, {"y", y}});
      if (step == 1 || step % (steps / 10 > 0 ? steps / 10 : 1) == 0) std::printf("step %5d  loss %.6f\n", step, loss);
    }
    nncc::Tensor p = s.forward({{"x", x}}).at("p");
    for (int i = 0; i < 4; ++i)
      std::printf("xor(%g, %g) = %.4f\n", x.data<float>()[2 * i], x.data<float>()[2 * i + 1], p.data<float>()[i]);
    return loss < 0.01 ? 0 : 1;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "train_xor: %s\n", e.what());
    return 1;
  }
}
