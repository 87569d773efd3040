// nncc train FILE.nn --data SPEC [--test SPEC] [--epochs E] [--batch B]
//   [--seed S] [--lr X] [--threads T] [--save CKPT] [--log metrics.csv]
// JIT-compiles the model and trains it: seeded shuffling each epoch, the
// last partial batch included, a progress bar on a terminal, one line per
// epoch with train loss and (with test data) test loss and accuracy.
#include "compiler/jit/jit.h"
#include "compiler/pipeline.h"
#include "nncc/dataset.hpp"
#include "nncc/rng.h"
#include "tools/nncc/common.h"

#include <chrono>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <numeric>
#include <unistd.h>

namespace nncc::tool {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

/// Which dataset field feeds each input of the model: the field of the same
/// name, else by role (the first float input takes "x", the other "y").
class Binding {
public:
  Binding(const ModelDesc &model, const data::Dataset &d) {
    std::vector<const ArgDesc *> inputs;
    for (const FunctionDesc &f : model.functions)
      for (const ArgDesc &a : f.args)
        if (a.kind == ArgKind::Input && std::none_of(inputs.begin(), inputs.end(), [&](auto *i) { return i->name == a.name; }))
          inputs.push_back(&a);
    bool features_taken = false;
    for (const ArgDesc *a : inputs) {
      std::string field = d.fields.count(a->name) ? a->name : (a->dtype != DType::I32 && !features_taken ? "x" : "y");
      features_taken |= field == "x";
      if (!d.fields.count(field)) throw Error(fmt::format("dataset '{}' has no field for input '{}'", d.name, a->name));
      const Tensor &t = d.fields.at(field);
      std::vector<int64_t> row(a->shape.size() > 0 ? a->shape.size() - 1 : 0);
      int64_t need = 1, have = t.numel() / std::max<int64_t>(t.shape()[0], 1);
      for (size_t i = 1; i < a->shape.size(); ++i) need *= a->shape[i].is_symbolic() ? -1 : a->shape[i].size;
      bool batched = !a->shape.empty() && a->shape[0].is_symbolic();
      if (!batched || need != have || t.dtype() != a->dtype)
        throw Error(fmt::format("input '{}' ({} with a symbolic batch dimension first) cannot take field '{}' of dataset '{}' ({})",
                                a->name, dtype_name(a->dtype), field, d.name, t.type_str()));
      std::vector<int64_t> shape;
      for (size_t i = 1; i < a->shape.size(); ++i) shape.push_back(a->shape[i].size);
      fields_.push_back({a->name, field, shape});
    }
  }

  /// The model's inputs for rows `rows`.
  TensorMap batch(const data::Dataset &d, std::span<const int64_t> rows) const {
    TensorMap picked = data::gather(d, rows), out;
    for (const auto &b : fields_) {
      const Tensor &t = picked.at(b.field);
      std::vector<int64_t> shape{static_cast<int64_t>(rows.size())};
      shape.insert(shape.end(), b.row_shape.begin(), b.row_shape.end());
      Tensor reshaped(t.dtype(), shape);
      std::memcpy(reshaped.raw(), t.raw(), t.nbytes());
      out.emplace(b.input, std::move(reshaped));
    }
    return out;
  }
  std::string label_input() const {
    for (const auto &b : fields_)
      if (b.field == "y") return b.input;
    return "";
  }

private:
  struct Field {
    std::string input, field;
    std::vector<int64_t> row_shape;
  };
  std::vector<Field> fields_;
};

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

struct TestResult {
  double loss = 0, accuracy = -1; // accuracy < 0: not a classifier with labels
};

/// Loss and accuracy over the whole test set, in inference mode.
TestResult test(Session &s, const Binding &binding, const data::Dataset &d, const std::string &scores) {
  TestResult r;
  std::string labels = binding.label_input();
  int64_t correct = 0;
  const int64_t chunk = 1000;
  for (int64_t start = 0; start < d.rows; start += chunk) {
    std::vector<int64_t> rows(static_cast<size_t>(std::min(chunk, d.rows - start)));
    std::iota(rows.begin(), rows.end(), start);
    TensorMap inputs = binding.batch(d, rows), out = s.evaluate(inputs);
    r.loss += out.at("loss").item() * static_cast<double>(rows.size());
    if (scores.empty() || labels.empty() || inputs.at(labels).dtype() != DType::I32) continue;
    const Tensor &z = out.at(scores);
    int64_t k = z.shape().back();
    for (size_t i = 0; i < rows.size(); ++i) {
      int64_t best = 0;
      for (int64_t j = 1; j < k; ++j)
        if (z.at(static_cast<int64_t>(i) * k + j) > z.at(static_cast<int64_t>(i) * k + best)) best = j;
      correct += best == inputs.at(labels).data<int32_t>()[i];
    }
    r.accuracy = 0;
  }
  r.loss /= static_cast<double>(d.rows);
  if (r.accuracy >= 0) r.accuracy = static_cast<double>(correct) / static_cast<double>(d.rows);
  return r;
}

/// The model's first output when it holds class scores [N, K].
std::string class_scores(const ModelDesc &m) {
  const FunctionDesc *f = m.function("evaluate");
  if (!f || f->results.size() < 2) return "";
  const TensorDesc &first = f->results.front();
  return first.shape.size() == 2 && first.shape[0].is_symbolic() && !first.shape[1].is_symbolic() && first.dtype != DType::I32 ? first.name : "";
}

} // namespace

void add_train_command(CLI::App &app, int &status) {
  auto *cmd = app.add_subcommand("train", "Train a model on a dataset through the JIT");
  struct Options {
    std::string path, data, test_data, save, log;
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
      if (data.test) Binding(model.desc(), *data.test);
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
        TestResult t;
        if (data.test) {
          t = test(s, binding, *data.test, scores);
          line += fmt::format("  test_loss {:.4f}", t.loss);
          if (t.accuracy >= 0) line += fmt::format("  test_acc {:.4f}", t.accuracy);
        }
        double secs = seconds_since(epoch_start);
        fmt::print("{}  {:.1f} s\n", line, secs);
        std::fflush(stdout);
        if (log) log << fmt::format("{},{},{},{},{:.3f}\n", epoch, train_loss, data.test ? fmt::format("{}", t.loss) : "",
                                    t.accuracy >= 0 ? fmt::format("{}", t.accuracy) : "", secs);
      }
      fmt::print("trained in {:.1f} s\n", seconds_since(start));
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
