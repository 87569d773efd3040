// nncc train FILE.nn --data SPEC [--test SPEC] [--epochs E] [--batch B]
//   [--seed S] [--lr X] [--threads T] [--save CKPT] [--resume CKPT]
//   [--log metrics.csv] [--plot loss.svg] [--scale F] [--bind INPUT=FIELD]
// JIT-compiles the model and trains it: seeded shuffling each epoch, the
// last partial batch included, a progress bar on a terminal, one line per
// epoch with train loss and (with test data) test loss and accuracy.
// Checkpoints carry the position in training (epoch, step in the epoch), so
// --resume continues exactly where an interrupted run (Ctrl-C) stopped.
#include "compiler/jit/jit.h"
#include "compiler/pipeline.h"
#include "nncc/rng.h"
#include "tools/nncc/common.h"
#include "tools/nncc/data_options.h"
#include "tools/nncc/evaluation.h"
#include "tools/nncc/interrupt.h"
#include "tools/nncc/svg_plot.h"

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <numeric>
#include <optional>
#include <unistd.h>

namespace nncc::tool {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

/// Exit status after Ctrl-C (128 + SIGINT, as shells report it): the
/// checkpoint is saved, but training did not finish.
constexpr int kInterrupted = 130;

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

/// Where training stands, stored in the checkpoint's metadata: with the same
/// seed and batch, the next step's batch is fully determined by it.
struct Position {
  int64_t epochs_done = 0, steps_done = 0; // steps done in epoch epochs_done + 1
  double loss_sum = 0;                     // sum of sample losses so far in that epoch
  uint64_t seed = 0;
  int64_t batch = 0;

  std::map<std::string, std::string> metadata() const {
    return {{"train.epochs_done", std::to_string(epochs_done)}, {"train.steps_done", std::to_string(steps_done)},
            {"train.loss_sum", fmt::format("{}", loss_sum)},     {"train.seed", std::to_string(seed)},
            {"train.batch", std::to_string(batch)}};
  }

  static Position from(const std::map<std::string, std::string> &m, const std::string &path) {
    Position p;
    try {
      p.epochs_done = std::stoll(m.at("train.epochs_done"));
      p.steps_done = std::stoll(m.at("train.steps_done"));
      p.loss_sum = std::stod(m.at("train.loss_sum"));
      p.seed = std::stoull(m.at("train.seed"));
      p.batch = std::stoll(m.at("train.batch"));
    } catch (const std::exception &) {
      throw Error(fmt::format("checkpoint '{}' has no training position (train.* metadata): it was not written by nncc train", path));
    }
    return p;
  }
};

struct Options {
  DataOptions data;
  std::string path, test_data, save, resume, log, plot;
  int epochs = 1, threads = 0;
  int64_t batch = 64;
  uint64_t seed = 0;
  double lr = 0;
  bool seed_given = false, batch_given = false;
};

/// --resume: loads the checkpoint and returns where to continue; seed and
/// batch come from the checkpoint unless given, and must match it when the
/// run stopped inside an epoch (the shuffled order depends on both).
Position resume(Session &s, Options &opt) {
  Position p = Position::from(s.load(opt.resume), opt.resume);
  bool mid_epoch = p.steps_done > 0;
  if (opt.seed_given && opt.seed != p.seed && mid_epoch)
    throw Error(fmt::format("'{}' stopped inside epoch {} with --seed {}: resume with the same seed", opt.resume, p.epochs_done + 1, p.seed));
  if (opt.batch_given && opt.batch != p.batch && mid_epoch)
    throw Error(fmt::format("'{}' stopped inside epoch {} with --batch {}: resume with the same batch", opt.resume, p.epochs_done + 1, p.batch));
  if (!opt.seed_given) opt.seed = p.seed;
  if (!opt.batch_given) opt.batch = p.batch;
  return p;
}

class ProgressBar {
public:
  explicit ProgressBar(bool enabled) : enabled_(enabled) {}
  void start_epoch() { epoch_start_ = last_draw_ = Clock::now(); }
  void draw(int epoch, int epochs, int64_t step, int64_t steps, double loss, int64_t samples_done, int64_t samples_left) {
    if (!enabled_ || (seconds_since(last_draw_) < 0.1 && step + 1 != steps)) return;
    last_draw_ = Clock::now();
    double rate = static_cast<double>(samples_done) / std::max(seconds_since(epoch_start_), 1e-9);
    int filled = static_cast<int>(30 * (step + 1) / steps);
    fmt::print("\repoch {}/{} [{:<30}] step {}/{}  loss {:.4f}  {:.0f} samples/s  ETA {:.1f} s ", epoch, epochs,
               std::string(static_cast<size_t>(filled), '#'), step + 1, steps, loss, rate, static_cast<double>(samples_left) / rate);
    std::fflush(stdout);
  }
  void clear() {
    if (enabled_) fmt::print("\r{:<100}\r", "");
  }

private:
  bool enabled_;
  Clock::time_point epoch_start_, last_draw_;
};

int train(ir::Module &module, Options &opt) {
  InterruptGuard interrupt;
  data::Splits data = opt.data.load(opt.data.data);
  if (!opt.test_data.empty()) data.test = opt.data.load(opt.test_data).train;
  compiler::build_entry_points(module);
  Model model(jit::compile(module, {.cpu = "native", .opt_level = 2}));
  Binding binding(model.desc(), data.train, opt.data.overrides());
  std::optional<Binding> test_binding;
  if (data.test) test_binding.emplace(model.desc(), *data.test, opt.data.overrides());
  Position at;
  Session s = model.new_session({.seed = opt.seed, .threads = opt.threads});
  if (uint64_t seed = opt.seed; !opt.resume.empty()) {
    at = resume(s, opt);
    if (opt.seed != seed) { // the checkpoint's seed: dropout draws depend on it
      s = model.new_session({.seed = opt.seed, .threads = opt.threads});
      s.load(opt.resume);
    }
  }
  at.seed = opt.seed, at.batch = opt.batch;
  if (opt.lr > 0) s.set_lr(opt.lr);
  std::string scores = class_scores(model.desc());
  fmt::print("training {} on {} ({} samples{}), batch {}, {} epoch{}\n", module.name, data.train.name, data.train.rows,
             data.test ? fmt::format(", test {}", data.test->rows) : "", opt.batch, opt.epochs, opt.epochs > 1 ? "s" : "");
  if (!opt.resume.empty())
    fmt::print("resumed from {} at epoch {}, step {} (train step {})\n", opt.resume, at.epochs_done + 1, at.steps_done, s.step());

  std::ofstream log;
  if (!opt.log.empty()) {
    bool append = !opt.resume.empty() && std::filesystem::exists(opt.log);
    log.open(opt.log, append ? std::ios::app : std::ios::trunc);
    if (!log) throw Error(fmt::format("cannot write '{}'", opt.log));
    if (!append) log << "epoch,train_loss,test_loss,test_accuracy,seconds\n";
  }
  TrainingCurves curves{module.name, {}, {}, {}, {}};
  ProgressBar bar(::isatty(STDOUT_FILENO));
  auto start = Clock::now();
  bool stopped = false;
  int64_t steps = (data.train.rows + opt.batch - 1) / opt.batch;
  for (int epoch = static_cast<int>(at.epochs_done) + 1; epoch <= opt.epochs && !stopped; ++epoch) {
    bar.start_epoch();
    auto epoch_start = Clock::now();
    std::vector<int64_t> order = shuffled(data.train.rows, opt.seed, static_cast<uint64_t>(epoch));
    for (int64_t step = at.steps_done; step < steps; ++step) {
      int64_t from = step * opt.batch, n = std::min(opt.batch, data.train.rows - from);
      double loss = s.train_step(binding.batch(data.train, std::span(order).subspan(static_cast<size_t>(from), static_cast<size_t>(n))));
      at.loss_sum += loss * static_cast<double>(n);
      at.steps_done = step + 1;
      curves.step_loss.push_back(loss);
      bar.draw(epoch, opt.epochs, step, steps, loss, from + n, data.train.rows - from - n);
      if (InterruptGuard::requested()) {
        stopped = at.steps_done < steps || epoch < opt.epochs;
        break;
      }
    }
    bar.clear();
    if (at.steps_done < steps) {
      fmt::print("interrupted in epoch {}/{} after step {}/{} (train step {})\n", epoch, opt.epochs, at.steps_done, steps, s.step());
      break;
    }
    double train_loss = at.loss_sum / static_cast<double>(data.train.rows);
    at = {epoch, 0, 0, at.seed, at.batch};
    std::string line = fmt::format("epoch {}/{}  train_loss {:.4f}", epoch, opt.epochs, train_loss);
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
  if (stopped && at.steps_done == 0) fmt::print("interrupted after epoch {}/{}\n", at.epochs_done, opt.epochs);
  fmt::print("trained in {:.1f} s\n", seconds_since(start));
  if (!opt.plot.empty()) {
    if (!write_output(opt.plot, training_svg(curves))) throw Error(fmt::format("cannot write '{}'", opt.plot));
    fmt::print("plot {}\n", opt.plot);
  }
  if (!opt.save.empty()) {
    s.save(opt.save, at.metadata());
    fmt::print("saved {}\n", opt.save);
  } else if (stopped) {
    fmt::print("nothing saved (no --save)\n");
  }
  return stopped ? kInterrupted : kSuccess;
}

} // namespace

void add_train_command(CLI::App &app, int &status) {
  auto *cmd = app.add_subcommand("train", "Train a model on a dataset through the JIT");
  auto opt = std::make_shared<Options>();
  cmd->add_option("file", opt->path, "the .nn model file")->required();
  opt->data.add_to(*cmd, "training data: fashion-mnist, xor, spirals[:n=N,k=K,seed=S], idx:images=P,labels=P, csv:PATH[,label=COL], npy:NAME=PATH,...");
  cmd->add_option("--test", opt->test_data, "test data (default: the dataset's own test split, if any)");
  cmd->add_option("--epochs", opt->epochs, "train until this many epochs are done (counting a resumed run's)")->capture_default_str()->check(CLI::PositiveNumber);
  auto *batch = cmd->add_option("--batch", opt->batch, "samples per step (the last batch may be smaller)")->capture_default_str()->check(CLI::PositiveNumber);
  auto *seed = cmd->add_option("--seed", opt->seed, "seed of the initial params, shuffling and dropout")->capture_default_str();
  cmd->add_option("--lr", opt->lr, "learning rate (default: the model file's, or the checkpoint's)")->check(CLI::PositiveNumber);
  cmd->add_option("--threads", opt->threads, "oneDNN threads (0: all cores)")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--save", opt->save, "write a safetensors checkpoint at the end (also after Ctrl-C)");
  cmd->add_option("--resume", opt->resume, "continue from a checkpoint written by nncc train --save");
  cmd->add_option("--log", opt->log, "write per-epoch metrics as CSV (appended to when resuming)");
  cmd->add_option("--plot", opt->plot, "write the loss and accuracy curves as an SVG image");
  cmd->callback([opt, batch, seed, &status] {
    opt->seed_given = seed->count() > 0;
    opt->batch_given = batch->count() > 0;
    CompiledFile file;
    ir::Module *trainable = compile_trainable(opt->path, file, "train");
    if (!trainable) {
      status = kUserError;
      return;
    }
    try {
      status = train(*trainable, *opt);
    } catch (const Error &e) {
      fmt::print(stderr, "nncc train: error: {}\n", e.what());
      status = kUserError;
    }
  });
}

} // namespace nncc::tool
