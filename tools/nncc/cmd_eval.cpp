// nncc eval FILE.nn --weights CKPT --data SPEC — loads a checkpoint into a
// JIT-compiled model and reports, in inference mode, the loss over the
// dataset's test split (or the data itself when it has none), the accuracy
// and a confusion matrix for classifiers.
#include "compiler/jit/jit.h"
#include "compiler/pipeline.h"
#include "tools/nncc/common.h"
#include "tools/nncc/data_options.h"
#include "tools/nncc/evaluation.h"
#include "tools/nncc/standardize.h"

#include <fmt/format.h>

namespace nncc::tool {

namespace {

struct EvalOptions {
  std::string path, weights;
  DataOptions data;
  int threads = 0;
};

void print_confusion(const std::vector<std::vector<int64_t>> &confusion) {
  fmt::print("confusion matrix (rows: true class, columns: predicted class)\n     ");
  for (size_t j = 0; j < confusion.size(); ++j) fmt::print("{:>6}", j);
  fmt::print("\n");
  for (size_t i = 0; i < confusion.size(); ++i) {
    fmt::print("{:>5}", i);
    for (int64_t n : confusion[i]) fmt::print("{:>6}", n);
    fmt::print("\n");
  }
}

int run_eval(const EvalOptions &opt) {
  CompiledFile file;
  compile_file(opt.path, file);
  if (!file.result.module || !require_loss(opt.path, *file.result.module, "evaluate")) return kUserError;
  ir::Module &module = *file.result.module;
  data::Splits splits = opt.data.load(opt.data.data);
  data::Dataset &d = splits.test ? *splits.test : splits.train;
  compiler::build_entry_points(module);
  Model model(jit::compile(module, {.cpu = "native", .opt_level = 2}));
  Session s = model.new_session({.seed = 0, .threads = opt.threads});
  // Features scaled as in training (nncc train --standardize), when it did.
  Standardization::from_metadata(s.load(opt.weights)).apply(d);
  Binding binding(model.desc(), d, opt.data.overrides());
  Evaluation e = evaluate(s, binding, d, class_scores(model.desc()));
  fmt::print("evaluated {} (step {}) on {} ({} samples)\n", module.name, s.step(), d.name, d.rows);
  fmt::print("loss {:.4f}", e.loss);
  if (e.accuracy >= 0) fmt::print("  accuracy {:.4f}", e.accuracy);
  fmt::print("\n");
  if (!e.confusion.empty()) print_confusion(e.confusion);
  return kSuccess;
}

} // namespace

void add_eval_command(CLI::App &app, int &status) {
  auto *cmd = app.add_subcommand("eval", "Evaluate trained weights on a dataset: loss, accuracy, confusion matrix");
  auto opt = std::make_shared<EvalOptions>();
  cmd->add_option("file", opt->path, "the .nn model file")->required();
  cmd->add_option("--weights", opt->weights, "a safetensors checkpoint written by nncc train or Session::save")->required();
  add_threads_option(*cmd, opt->threads);
  opt->data.add_to(*cmd, "the data: a SPEC as for nncc train (fashion-mnist: its test split)");
  cmd->callback([opt, &status] { status = run_eval(*opt); });
}

} // namespace nncc::tool
