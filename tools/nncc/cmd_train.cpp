// nncc train FILE.nn --data SPEC [--test SPEC | --val-split F] [--patience K]
//   [--epochs E | --steps N] [--batch B] [--seed S] [--lr X] [--schedule constant|cosine]
//   [--threads T] [--precision f32|bf16] [--check-nan] [--save CKPT] [--resume CKPT]
//   [--log metrics.csv] [--plot loss.svg] [--scale F] [--bind INPUT=FIELD] [--standardize] [--check-sync N]
// JIT-compiles the model and trains it: seeded shuffling each epoch, the
// last partial batch included, a progress bar on a terminal, one line per
// epoch with train loss and (with test data) test loss and accuracy.
// Checkpoints carry the position in training (epoch, step in the epoch), so
// --resume continues exactly where an interrupted run (Ctrl-C) stopped.
// Started by `mpirun -np K`, it trains data-parallel (docs/distributed.md).
#include "compiler/jit/jit.h"
#include "compiler/pipeline.h"
#include "nncc/data_parallel.hpp"
#include "nncc/rng.h"
#include "tools/nncc/common.h"
#include "tools/nncc/data_options.h"
#include "tools/nncc/evaluation.h"
#include "tools/nncc/interrupt.h"
#include "tools/nncc/lr_schedule.h"
#include "tools/nncc/mpi_launch.h"
#include "tools/nncc/standardize.h"
#include "tools/nncc/svg_plot.h"

#include <chrono>
#include <cmath>
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

/// The shuffle stream of --val-split (epochs use 1, 2, ...).
constexpr uint64_t kValSplitStream = 0x7a1d5917;

/// Where training stands, stored in the checkpoint's metadata: with the same
/// seed and batch, the next step's batch is fully determined by it.
struct Position {
  int64_t epochs_done = 0, steps_done = 0; // steps done in epoch epochs_done + 1
  double loss_sum = 0;                     // sum of sample losses so far in that epoch
  uint64_t seed = 0;
  int64_t batch = 0;
  double base_lr = 0;               // the lr a schedule starts from (0: not recorded)
  std::string schedule = "constant"; // --schedule of the run

  std::map<std::string, std::string> metadata() const {
    return {{"train.epochs_done", std::to_string(epochs_done)}, {"train.steps_done", std::to_string(steps_done)},
            {"train.loss_sum", fmt::format("{}", loss_sum)},     {"train.seed", std::to_string(seed)},
            {"train.batch", std::to_string(batch)},           {"train.base_lr", fmt::format("{}", base_lr)},
            {"train.schedule", schedule}};
  }

  static Position from(const std::map<std::string, std::string> &m, const std::string &path) {
    Position p;
    try {
      p.epochs_done = std::stoll(m.at("train.epochs_done"));
      p.steps_done = std::stoll(m.at("train.steps_done"));
      p.loss_sum = std::stod(m.at("train.loss_sum"));
      p.seed = std::stoull(m.at("train.seed"));
      p.batch = std::stoll(m.at("train.batch"));
      if (auto base = m.find("train.base_lr"); base != m.end()) p.base_lr = std::stod(base->second);
      if (auto schedule = m.find("train.schedule"); schedule != m.end()) p.schedule = schedule->second;
    } catch (const std::exception &) {
      throw Error(fmt::format("checkpoint '{}' has no training position (train.* metadata): it was not written by nncc train", path));
    }
    return p;
  }
};

struct Options {
  DataOptions data;
  std::string path, test_data, save, resume, log, plot;
  int epochs = 1, threads = 0, patience = 0;
  int64_t max_steps = 0; // --steps: train until this many train steps are done (0: --epochs decides)
  int64_t check_sync = 0; // data-parallel runs: compare the processes' state every this many steps (0: at the end only)
  double val_split = 0;
  int64_t batch = 64;
  uint64_t seed = 0;
  double lr = 0;
  std::string schedule_name = "constant";
  CodeOptions code;
  LrSchedule schedule = LrSchedule::Constant;
  bool seed_given = false, batch_given = false, schedule_given = false, standardize = false;
  std::string vocabulary; // of a text: dataset (set when the data is loaded)
};

/// --resume: loads the checkpoint and returns where to continue; seed, batch
/// and lr schedule come from the checkpoint unless given, and seed and batch
/// must match it when the run stopped inside an epoch (the shuffled order
/// depends on both).
Position resume(Session &s, Options &opt) {
  std::map<std::string, std::string> metadata = s.load(opt.resume);
  Position p = Position::from(metadata, opt.resume);
  if (bool standardized = !Standardization::from_metadata(metadata).empty(); standardized != opt.standardize)
    throw Error(fmt::format("'{}' was trained {} --standardize: resume {} it, so that the features are scaled as before", opt.resume,
                            standardized ? "with" : "without", standardized ? "with" : "without"));
  if (auto it = metadata.find(data::kVocabularyMetadata); (it == metadata.end() ? std::string() : it->second) != opt.vocabulary)
    throw Error(fmt::format("'{}' was trained on {}: resume on a text with the same characters, so that each id means the same one", opt.resume,
                            it == metadata.end() ? "data that is no text: dataset" : "a text with another vocabulary"));
  bool mid_epoch = p.steps_done > 0;
  if (opt.seed_given && opt.seed != p.seed && mid_epoch)
    throw Error(fmt::format("'{}' stopped inside epoch {} with --seed {}: resume with the same seed", opt.resume, p.epochs_done + 1, p.seed));
  if (opt.batch_given && opt.batch != p.batch && mid_epoch)
    throw Error(fmt::format("'{}' stopped inside epoch {} with --batch {}: resume with the same batch", opt.resume, p.epochs_done + 1, p.batch));
  if (!opt.seed_given) opt.seed = p.seed;
  if (!opt.batch_given) opt.batch = p.batch;
  if (!opt.schedule_given && lr_schedule_names().contains(p.schedule)) opt.schedule_name = p.schedule;
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

/// The session of a run: a new one, or the checkpoint's with --resume; in
/// a data-parallel run every process then takes process 0's state.
Session open_session(Model &model, Options &opt, Position &at, std::shared_ptr<Communicator> comm) {
  Session s = model.new_session({.seed = opt.seed, .threads = opt.threads});
  if (uint64_t seed = opt.seed; !opt.resume.empty()) {
    at = resume(s, opt);
    if (opt.seed != seed) { // the checkpoint's seed: dropout draws depend on it
      s = model.new_session({.seed = opt.seed, .threads = opt.threads});
      s.load(opt.resume);
    }
  }
  at.seed = opt.seed, at.batch = opt.batch, at.schedule = opt.schedule_name;
  opt.schedule = lr_schedule_names().at(opt.schedule_name);
  if (opt.lr > 0) s.set_lr(opt.lr);
  // A resumed schedule goes on from the base it started with, not from the
  // decayed lr the checkpoint holds.
  at.base_lr = opt.lr > 0 ? opt.lr : at.base_lr > 0 ? at.base_lr : s.lr();
  s.set_communicator(std::move(comm));
  return s;
}

/// --log: per-epoch CSV, appended to when resuming a run that wrote one
/// (by rank 0 alone in a data-parallel run: `writer`).
std::ofstream open_log(const Options &opt, bool writer) {
  std::ofstream log;
  if (opt.log.empty() || !writer) return log;
  bool append = !opt.resume.empty() && std::filesystem::exists(opt.log);
  log.open(opt.log, append ? std::ios::app : std::ios::trunc);
  if (!log) throw Error(fmt::format("cannot write '{}'", opt.log));
  if (!append) log << "epoch,train_loss,test_loss,test_accuracy,seconds\n";
  return log;
}

/// One `nncc train` run: the compiled model, its data, the session and
/// where training stands.
class TrainingRun {
public:
  TrainingRun(ir::Module &module, Options &opt, std::shared_ptr<Communicator> comm)
      : comm_(rank_zero_prints(std::move(comm))), opt_(opt), name_(module.name), data_(load_data(opt)), scaling_(standardize(opt, data_)),
        model_(compile(module, opt, comm_ != nullptr)),
        binding_(model_.desc(), data_.train, opt.data.overrides()), session_(open_session(model_, opt, at_, comm_)), scores_(class_scores(model_.desc())),
        log_(open_log(opt, !comm_ || comm_->rank() == 0)),
        curves_{module.name, {}, {}, {}, {}}, bar_(!comm_ && ::isatty(STDOUT_FILENO)), steps_((data_.train.rows + opt.batch - 1) / opt.batch) {
    if (data_.test) test_binding_.emplace(model_.desc(), *data_.test, opt.data.overrides());
    if (opt_.max_steps > 0) { // the epochs --steps takes, from where training stands
      int64_t left = std::max<int64_t>(0, opt_.max_steps - session_.step()) + at_.steps_done;
      opt_.epochs = static_cast<int>(at_.epochs_done + (left + steps_ - 1) / steps_);
    }
  }

  int run() {
    if (opt_.patience > 0 && !data_.test)
      throw Error("--patience watches the test loss, and there is no test data: give --test or --val-split");
    fmt::print("training {} on {} ({} samples{}), batch {}, {}{}{}\n", name_, data_.train.name, data_.train.rows,
               data_.test ? fmt::format(", test {}", data_.test->rows) : "", opt_.batch,
               opt_.max_steps > 0 ? fmt::format("{} steps ({} epoch{})", opt_.max_steps, opt_.epochs, opt_.epochs != 1 ? "s" : "")
                                  : fmt::format("{} epoch{}", opt_.epochs, opt_.epochs > 1 ? "s" : ""),
               scheduled() ? fmt::format(", {} lr from {:.4g}", lr_schedule_name(opt_.schedule), at_.base_lr) : "",
               comm_ ? fmt::format(", data parallel on {} processes", comm_->size()) : "");
    if (!opt_.resume.empty())
      fmt::print("resumed from {} at epoch {}, step {} (train step {})\n", opt_.resume, at_.epochs_done + 1, at_.steps_done, session_.step());
    auto start = Clock::now();
    bool stopped = false;
    for (int epoch = static_cast<int>(at_.epochs_done) + 1; epoch <= opt_.epochs && !stopped; ++epoch) {
      auto epoch_start = Clock::now();
      stopped = !train_epoch(epoch);
      if (at_.steps_done < steps_ && out_of_steps()) {
        end_partial_epoch(epoch, seconds_since(epoch_start));
        break;
      }
      if (at_.steps_done < steps_) {
        fmt::print("interrupted in epoch {}/{} after step {}/{} (train step {})\n", epoch, opt_.epochs, at_.steps_done, steps_, session_.step());
        break;
      }
      end_epoch(epoch, seconds_since(epoch_start));
      if (out_of_patience(epoch)) break;
    }
    if (stopped && at_.steps_done == 0) fmt::print("interrupted after epoch {}/{}\n", at_.epochs_done, opt_.epochs);
    fmt::print("trained in {:.1f} s\n", seconds_since(start));
    write_results(stopped);
    return stopped ? kInterrupted : kSuccess;
  }

private:
  static data::Splits load_data(Options &opt) {
    data::Splits data = opt.data.load(opt.data.data);
    opt.vocabulary = data.train.vocabulary;
    if (!opt.test_data.empty()) data.test = opt.data.load(opt.test_data).train;
    if (opt.val_split > 0) data = hold_out(std::move(data.train), opt.val_split, opt.seed);
    return data;
  }

  /// --standardize: the training rows' statistics, applied to the test data too.
  static Standardization standardize(const Options &opt, data::Splits &data) {
    if (!opt.standardize) return {};
    Standardization s = Standardization::fit(data.train);
    s.apply(data.train);
    if (data.test) s.apply(*data.test);
    return s;
  }

  /// --val-split F: a seeded fraction F of the training rows becomes the
  /// test data (replacing a dataset's own test split), the rest is trained on.
  static data::Splits hold_out(data::Dataset all, double fraction, uint64_t seed) {
    auto held = static_cast<int64_t>(std::llround(fraction * static_cast<double>(all.rows)));
    if (held < 1 || held >= all.rows)
      throw Error(fmt::format("--val-split {:g} of the {} rows of '{}' leaves no {} rows", fraction, all.rows, all.name,
                              held < 1 ? "held-out" : "training"));
    std::vector<int64_t> order = shuffled(all.rows, seed, kValSplitStream);
    std::span<const int64_t> rows(order);
    std::string name = fmt::format("{}, {:g} held out", all.name, fraction);
    return {data::subset(all, rows.subspan(static_cast<size_t>(held)), name), data::subset(all, rows.first(static_cast<size_t>(held)), name)};
  }

  /// In a data-parallel run, processes other than rank 0 print nothing:
  /// their stdout goes nowhere (errors still reach stderr).
  static std::shared_ptr<Communicator> rank_zero_prints(std::shared_ptr<Communicator> comm) {
    if (comm && comm->rank() != 0 && !std::freopen("/dev/null", "w", stdout)) throw Error("cannot silence a data-parallel process's output");
    return comm;
  }

  /// Data-parallel runs compile apply_update too (grad, the gradients summed
  /// across processes, then the update).
  static Model compile(ir::Module &module, const Options &opt, bool data_parallel) {
    note_bf16_fallback(opt.code);
    compiler::PipelineOptions pipeline = opt.code.pipeline();
    pipeline.apply_update = data_parallel;
    compiler::build_entry_points(module, 2, pipeline);
    return Model(jit::compile(module, {.cpu = "native", .opt_level = 2}));
  }

  /// The steps of an epoch from where training stands; false when Ctrl-C
  /// stopped the run before its last step.
  bool train_epoch(int epoch) {
    bar_.start_epoch();
    std::vector<int64_t> order = shuffled(data_.train.rows, opt_.seed, static_cast<uint64_t>(epoch));
    for (int64_t step = at_.steps_done; step < steps_ && !out_of_steps(); ++step) {
      if (scheduled()) session_.set_lr(lr_at(epoch - 1, step));
      int64_t from = step * opt_.batch, n = std::min(opt_.batch, data_.train.rows - from);
      double loss = 0;
      try {
        loss = train_step(std::span<const int64_t>(order).subspan(static_cast<size_t>(from), static_cast<size_t>(n)));
      } catch (const PeerFailure &) { // another process's batch failed: it says why
        bar_.clear();
        throw;
      } catch (const Error &e) { // --check-nan's report, or a problem with the batch
        bar_.clear();
        throw Error(fmt::format("{}\ntraining stops at step {}/{} of epoch {} and saves nothing (a checkpoint already on disk is left as it was)",
                                e.what(), step + 1, steps_, epoch));
      }
      if (!std::isfinite(loss)) {
        bar_.clear();
        throw Error(fmt::format("the loss is {} at step {}/{} of epoch {} (train step {}): training diverged, so it stops here and "
                                "saves nothing (a checkpoint already on disk is left as it was); try a lower learning rate (--lr, now {:g}), "
                                "and --check-nan to find the op that first made a nan or inf",
                                loss, step + 1, steps_, epoch, session_.step(), session_.lr()));
      }
      at_.loss_sum += loss * static_cast<double>(n);
      at_.steps_done = step + 1;
      if (comm_ && opt_.check_sync > 0 && session_.step() % opt_.check_sync == 0) check_in_sync(session_, *comm_);
      curves_.step_loss.push_back(loss);
      bar_.draw(epoch, opt_.epochs, step, steps_, loss, from + n, data_.train.rows - from - n);
      if (stop_requested()) {
        bar_.clear();
        return (at_.steps_done == steps_ && epoch == opt_.epochs) || out_of_steps();
      }
    }
    bar_.clear();
    return true;
  }

  /// One step on these rows of the training data; in a data-parallel run,
  /// this process takes its contiguous share of them (shard_of).
  double train_step(std::span<const int64_t> rows) {
    if (!comm_) return session_.train_step(binding_.batch(data_.train, rows));
    auto n = static_cast<int64_t>(rows.size());
    Shard mine = shard_of(n, comm_->rank(), comm_->size());
    TensorMap shard = mine.end > mine.begin ? binding_.batch(data_.train, rows.subspan(static_cast<size_t>(mine.begin), static_cast<size_t>(mine.end - mine.begin)))
                                            : TensorMap{};
    return data_parallel_step(session_, *comm_, shard, mine, n);
  }

  /// Ctrl-C (or SIGUSR1) seen; in a data-parallel run by any process, so
  /// that every process stops after the same step (one more small sum).
  bool stop_requested() {
    if (!comm_) return InterruptGuard::requested();
    double requested = InterruptGuard::requested() ? 1 : 0;
    comm_->sum(&requested, 1);
    return requested > 0;
  }

  /// --steps N: N train steps are done (counted by the session, so a
  /// resumed run's count, even with another batch size).
  bool out_of_steps() const { return opt_.max_steps > 0 && session_.step() >= opt_.max_steps; }

  bool scheduled() const { return opt_.schedule != LrSchedule::Constant; }
  /// The scheduled lr before step `step` of epoch epochs_done + 1; with
  /// --steps the schedule spans the N steps, and the next step is the
  /// session's.
  double lr_at(int64_t epochs_done, int64_t step) const {
    if (opt_.max_steps > 0) return scheduled_lr(opt_.schedule, at_.base_lr, session_.step(), opt_.max_steps);
    return scheduled_lr(opt_.schedule, at_.base_lr, epochs_done * steps_ + step, opt_.epochs * steps_);
  }

  /// The epoch's line (train loss; test loss and accuracy), the log, the curves.
  void end_epoch(int epoch, double seconds) {
    double train_loss = at_.loss_sum / static_cast<double>(data_.train.rows);
    at_.epochs_done = epoch, at_.steps_done = 0, at_.loss_sum = 0;
    std::string line = fmt::format("epoch {}/{}  train_loss {:.4f}", epoch, opt_.epochs, train_loss);
    if (scheduled()) line += fmt::format("  next_lr {:.4g}", lr_at(epoch, 0));
    report(line, epoch, train_loss, seconds);
  }

  /// --steps ended the run inside an epoch: the same line for the steps of
  /// it that ran (train loss over their samples). The position stays inside
  /// the epoch, so --resume continues it.
  void end_partial_epoch(int epoch, double seconds) {
    double train_loss = at_.loss_sum / static_cast<double>(std::min(at_.steps_done * opt_.batch, data_.train.rows));
    report(fmt::format("step {}/{} (epoch {}/{}, step {}/{})  train_loss {:.4f}", session_.step(), opt_.max_steps, epoch, opt_.epochs,
                       at_.steps_done, steps_, train_loss),
           epoch, train_loss, seconds);
  }

  /// Prints `line` with the test loss and accuracy; the log and the curves.
  void report(std::string line, int epoch, double train_loss, double seconds) {
    Evaluation t;
    if (data_.test) {
      t = evaluate(session_, *test_binding_, *data_.test, scores_);
      line += fmt::format("  test_loss {:.4f}", t.loss);
      if (t.accuracy >= 0) line += fmt::format("  test_acc {:.4f}", t.accuracy);
      curves_.test_loss.push_back(t.loss);
      curves_.epoch_end_step.push_back(static_cast<double>(curves_.step_loss.size()));
      if (t.accuracy >= 0) curves_.test_accuracy.push_back(t.accuracy);
    }
    fmt::print("{}  {:.1f} s\n", line, seconds);
    std::fflush(stdout);
    if (log_) log_ << fmt::format("{},{},{},{},{:.3f}\n", epoch, train_loss, data_.test ? fmt::format("{}", t.loss) : "",
                                  t.accuracy >= 0 ? fmt::format("{}", t.accuracy) : "", seconds);
  }

  /// --patience K: true (after saying so) when the test loss has not
  /// improved for K epochs — early stopping, as Keras's EarlyStopping
  /// (the params are those of the last epoch).
  bool out_of_patience(int epoch) {
    if (opt_.patience <= 0 || curves_.test_loss.empty()) return false;
    double loss = curves_.test_loss.back();
    if (best_epoch_ == 0 || loss < best_test_loss_) best_test_loss_ = loss, best_epoch_ = epoch;
    if (epoch - best_epoch_ < opt_.patience) return false;
    fmt::print("early stop after epoch {}: test_loss has not improved for {} epochs (best {:.4f} after epoch {})\n", epoch, opt_.patience,
               best_test_loss_, best_epoch_);
    return true;
  }

  /// --plot and --save (a checkpoint also after Ctrl-C).
  void write_results(bool stopped) {
    if (comm_) { // what rank 0 saves is every process's state
      uint32_t crc = check_in_sync(session_, *comm_);
      fmt::print("in sync: the {} processes hold the same params and optimizer state (CRC-32 {:08x})\n", comm_->size(), crc);
      if (comm_->rank() != 0) return; // rank 0 writes for all
    }
    if (!opt_.plot.empty()) {
      if (!write_output(opt_.plot, training_svg(curves_))) throw Error(fmt::format("cannot write '{}'", opt_.plot));
      fmt::print("plot {}\n", opt_.plot);
    }
    if (!opt_.save.empty()) {
      std::map<std::string, std::string> metadata = at_.metadata();
      metadata.merge(scaling_.metadata());
      if (!opt_.vocabulary.empty()) metadata[data::kVocabularyMetadata] = opt_.vocabulary;
      session_.save(opt_.save, metadata);
      fmt::print("saved {}\n", opt_.save);
    } else if (stopped) {
      fmt::print("nothing saved (no --save)\n");
    }
  }

  InterruptGuard interrupt_;
  // The processes of a data-parallel run; null in one process. (No progress
  // bar then: mpirun gives every process a terminal.)
  std::shared_ptr<Communicator> comm_;
  Options &opt_;
  std::string name_;
  data::Splits data_;
  Standardization scaling_; // --standardize's statistics (empty without it)
  Model model_;
  Binding binding_;
  std::optional<Binding> test_binding_;
  Position at_;
  Session session_;
  std::string scores_;
  std::ofstream log_;
  TrainingCurves curves_;
  ProgressBar bar_;
  int64_t steps_;
  double best_test_loss_ = 0; // --patience: the lowest test loss so far, after epoch best_epoch_
  int best_epoch_ = 0;
};

} // namespace

void add_train_command(CLI::App &app, int &status) {
  auto *cmd = app.add_subcommand("train", "Train a model on a dataset through the JIT");
  auto opt = std::make_shared<Options>();
  cmd->add_option("file", opt->path, "the .nn model file")->required();
  opt->data.add_to(*cmd, "training data: fashion-mnist, xor, spirals[:n=N,k=K,seed=S], idx:images=P,labels=P, csv:PATH[,label=COL][,header=yes|no], npy:NAME=PATH,..., text:PATH,context=T[,split=F][,stride=S][,holdout=chunks|tail]");
  auto *test = cmd->add_option("--test", opt->test_data, "test data (default: the dataset's own test split, if any)");
  cmd->add_option("--val-split", opt->val_split, "hold out this fraction of the training data (seeded by --seed) as the test data")
      ->check(CLI::Range(0.0, 1.0))
      ->excludes(test);
  cmd->add_option("--patience", opt->patience, "stop when the test loss has not improved for this many epochs (early stopping)")
      ->check(CLI::PositiveNumber);
  auto *epochs = cmd->add_option("--epochs", opt->epochs, "train until this many epochs are done (counting a resumed run's)")
                     ->capture_default_str()
                     ->check(CLI::PositiveNumber);
  cmd->add_option("--steps", opt->max_steps,
                  "train until this many steps are done (counting a resumed run's), then evaluate; the epochs follow from the batch "
                  "(the last may end early), a --schedule spans the steps")
      ->check(CLI::PositiveNumber)
      ->excludes(epochs);
  auto *batch = cmd->add_option("--batch", opt->batch, "samples per step (the last batch may be smaller)")->capture_default_str()->check(CLI::PositiveNumber);
  auto *seed = cmd->add_option("--seed", opt->seed, "seed of the initial params, shuffling and dropout")->capture_default_str();
  cmd->add_option("--lr", opt->lr, "learning rate (default: the model file's, or the checkpoint's)")->check(CLI::PositiveNumber);
  auto *schedule = cmd->add_option("--schedule", opt->schedule_name, "lr schedule: constant, or cosine (from the lr to 0 over all steps, set before each step)")
      ->capture_default_str()
      ->check(CLI::IsMember(lr_schedule_names()));
  add_threads_option(*cmd, opt->threads);
  add_code_options(*cmd, opt->code);
  cmd->add_flag("--standardize", opt->standardize,
               "scale every feature column to mean 0 and variance 1 with the training data's statistics (kept in the checkpoint; "
               "nncc eval applies them)");
  cmd->add_option("--save", opt->save, "write a safetensors checkpoint at the end (also after Ctrl-C)");
  cmd->add_option("--resume", opt->resume, "continue from a checkpoint written by nncc train --save");
  cmd->add_option("--log", opt->log, "write per-epoch metrics as CSV (appended to when resuming)");
  cmd->add_option("--plot", opt->plot, "write the loss and accuracy curves as an SVG image");
  cmd->add_option("--check-sync", opt->check_sync,
                  "data-parallel runs (mpirun): check every this many steps that all processes hold the same params and "
                  "optimizer state (a CRC-32 of each; always at the end)")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([opt, batch, seed, schedule, &status] {
    opt->seed_given = seed->count() > 0;
    opt->batch_given = batch->count() > 0;
    opt->schedule_given = schedule->count() > 0;
    CompiledFile file;
    ir::Module *trainable = compile_trainable(opt->path, file, "train");
    if (!trainable) {
      status = kUserError;
      return;
    }
    std::shared_ptr<Communicator> comm = launched_communicator();
    try {
      status = TrainingRun(*trainable, *opt, comm).run(); // an Error: main prints it, exit 1
    } catch (const PeerFailure &) {
      throw; // the failing process ends the run
    } catch (const Error &e) {
      if (!comm) throw;
      // The other processes may be waiting for this one: say why, then end them all.
      fmt::print(stderr, "nncc train: error: process {} of {}: {}\nnncc train: stopping every process (MPI_Abort)\n", comm->rank(),
                 comm->size(), e.what());
      std::fflush(stderr);
      comm->abort(kUserError);
    }
  });
}

} // namespace nncc::tool
