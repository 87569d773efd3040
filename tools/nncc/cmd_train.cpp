// nncc train FILE.nn --data SPEC [--test SPEC] [--epochs E] [--batch B]
//   [--seed S] [--lr X] [--threads T] [--save CKPT] [--log metrics.csv]
// JIT-compiles the model and trains it: seeded shuffling each epoch, the
// last partial batch included, a progress bar on a terminal, one line per
// epoch with train loss and (with test data) test loss and accuracy.
#include "compiler/jit/jit.h"
#include "compiler/pipeline.h"
#include "nncc/rng.h"
#include "tools/nncc/common.h"
#include "tools/nncc/evaluation.h"
#include "tools/nncc/svg_plot.h"

#include <chrono>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <numeric>
#include <optional>
#include <unistd.h>

namespace nncc::tool {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

/// A seeded permutation of [0, n) for an epoch (Fisher-Yates on the
/// counter-based RNG: the same on every machine).
std::vector<int64_t> shuffled(int64_t n, uint64_t seed, uint64_t epoch) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  for (int64_t i = n - 1; i > 0; --i) {
    auto j = static_cast<int64_t>(rng::bits(seed, 0x5eed0000 + epoch, static_cast<uint64_t>(i)) % static_cast<uint64_t>(i + 1));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  return order;
}

} // namespace

void add_train_command(CLI::App &app, int &status) {
  auto *cmd = app.add_subcommand("train", "Train a model on a dataset through the JIT");
  struct Options {
    std::string path, data, test_data, save, log, plot;
    int epochs = 1, threads = 0;
    int64_t batch = 64;
    uint64_t seed = 0;
    double lr = 0;
  };
  auto opt = std::make_shared<Options>();
  cmd->add_option("file", opt->path, "the .nn model file")->required();
  cmd->add_option("--data", opt->data, "training data: fashion-mnist, xor, idx:images=PATH,labels=PATH")->required();
  cmd->add_option("--test", opt->test_data, "test data (default: the dataset's own test split, if any)");
  cmd->add_option("--epochs", opt->epochs, "passes over the training data")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--batch", opt->batch, "samples per step (the last batch may be smaller)")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--seed", opt->seed, "seed of the initial params, shuffling and dropout")->capture_default_str();
  cmd->add_option("--lr", opt->lr, "learning rate (default: the model file's)")->check(CLI::PositiveNumber);
  cmd->add_option("--threads", opt->threads, "oneDNN threads (0: all cores)")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--save", opt->save, "write a safetensors checkpoint at the end");
  cmd->add_option("--log", opt->log, "write per-epoch metrics as CSV");
  cmd->add_option("--plot", opt->plot, "write the loss and accuracy curves as an SVG image");
  cmd->callback([opt, &status] {
    CompiledFile file;
    ir::Module *trainable = compile_trainable(opt->path, file, "train");
    if (!trainable) {
      status = kUserError;
      return;
    }
    ir::Module &module = *trainable;
    try {
      data::Splits data = data::load(opt->data);
      if (!opt->test_data.empty()) data.test = data::load(opt->test_data).train;
      compiler::build_entry_points(module);
      Model model(jit::compile(module, {.cpu = "native", .opt_level = 2}));
      Binding binding(model.desc(), data.train);
      std::optional<Binding> test_binding;
      if (data.test) test_binding.emplace(model.desc(), *data.test);
      Session s = model.new_session({.seed = opt->seed, .threads = opt->threads});
      if (opt->lr > 0) s.set_lr(opt->lr);
      std::string scores = class_scores(model.desc());
      fmt::print("training {} on {} ({} samples{}), batch {}, {} epoch{}\n", module.name, data.train.name, data.train.rows,
                 data.test ? fmt::format(", test {}", data.test->rows) : "", opt->batch, opt->epochs, opt->epochs > 1 ? "s" : "");
      std::ofstream log;
      if (!opt->log.empty()) {
        log.open(opt->log);
        if (!log) throw Error(fmt::format("cannot write '{}'", opt->log));
        log << "epoch,train_loss,test_loss,test_accuracy,seconds\n";
      }
      TrainingCurves curves{module.name, {}, {}, {}, {}};
      bool terminal = ::isatty(STDOUT_FILENO);
      auto start = Clock::now();
      for (int epoch = 1; epoch <= opt->epochs; ++epoch) {
        auto epoch_start = Clock::now(), last_draw = epoch_start;
        std::vector<int64_t> order = shuffled(data.train.rows, opt->seed, static_cast<uint64_t>(epoch));
        double total = 0;
        int64_t steps = (data.train.rows + opt->batch - 1) / opt->batch;
        for (int64_t step = 0; step < steps; ++step) {
          int64_t from = step * opt->batch, n = std::min(opt->batch, data.train.rows - from);
          double loss = s.train_step(binding.batch(data.train, std::span(order).subspan(static_cast<size_t>(from), static_cast<size_t>(n))));
          total += loss * static_cast<double>(n);
          curves.step_loss.push_back(loss);
          if (terminal && (seconds_since(last_draw) > 0.1 || step + 1 == steps)) {
            last_draw = Clock::now();
            double t = seconds_since(epoch_start), rate = static_cast<double>(from + n) / t;
            int filled = static_cast<int>(30 * (step + 1) / steps);
            fmt::print("\repoch {}/{} [{:<30}] step {}/{}  loss {:.4f}  {:.0f} samples/s  ETA {:.1f} s ", epoch, opt->epochs,
                       std::string(static_cast<size_t>(filled), '#'), step + 1, steps, loss, rate,
                       static_cast<double>(data.train.rows - from - n) / rate);
            std::fflush(stdout);
          }
        }
        if (terminal) fmt::print("\r{:<100}\r", "");
        double train_loss = total / static_cast<double>(data.train.rows);
        std::string line = fmt::format("epoch {}/{}  train_loss {:.4f}", epoch, opt->epochs, train_loss);
        Evaluation t;
        if (data.test) {
          t = evaluate(s, *test_binding, *data.test, scores);
          line += fmt::format("  test_loss {:.4f}", t.loss);
          if (t.accuracy >= 0) line += fmt::format("  test_acc {:.4f}", t.accuracy);
          curves.test_loss.push_back(t.loss);
          curves.epoch_end_step.push_back(static_cast<double>(curves.step_loss.size()));
          if (t.accuracy >= 0) curves.test_accuracy.push_back(t.accuracy);
        }
        double secs = seconds_since(epoch_start);
        fmt::print("{}  {:.1f} s\n", line, secs);
        std::fflush(stdout);
        if (log) log << fmt::format("{},{},{},{},{:.3f}\n", epoch, train_loss, data.test ? fmt::format("{}", t.loss) : "",
                                    t.accuracy >= 0 ? fmt::format("{}", t.accuracy) : "", secs);
      }
      fmt::print("trained in {:.1f} s\n", seconds_since(start));
      if (!opt->plot.empty()) {
        if (!write_output(opt->plot, training_svg(curves))) throw Error(fmt::format("cannot write '{}'", opt->plot));
        fmt::print("plot {}\n", opt->plot);
      }
      if (!opt->save.empty()) {
        s.save(opt->save);
        fmt::print("saved {}\n", opt->save);
      }
      status = kSuccess;
    } catch (const Error &e) {
      fmt::print(stderr, "nncc train: error: {}\n", e.what());
      status = kUserError;
    }
  });
}

} // namespace nncc::tool
