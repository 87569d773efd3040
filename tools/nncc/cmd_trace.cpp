// nncc trace FILE.nn --set NAME=VALUE ... [--json] — evaluate the model once
// and print, for every node in order, its op, its value and dL/d(node): the
// table a lecture fills in by hand.
#include "compiler/interp/interpreter.h"
#include "compiler/interp/params.h"
#include "compiler/passes/autodiff.h"
#include "ir/printer.h"
#include "tools/nncc/common.h"
#include "tools/nncc/tensor_text.h"

#include <fmt/format.h>

namespace nncc::tool {
namespace {

constexpr int kDigits = 6;
constexpr int64_t kMaxShownElements = 12;

std::string cell(const interp::Tensor *t) {
  if (!t) return "";
  if (t->numel() > kMaxShownElements) return fmt::format("<{}>", t->type_str());
  return format_tensor(*t, kDigits);
}

struct Row {
  std::string name, op, value, grad;
};

void print_table(const std::vector<Row> &rows, const interp::Tensor *loss) {
  size_t wn = 4, wo = 2, wv = 5;
  for (const Row &r : rows) {
    wn = std::max(wn, r.name.size());
    wo = std::max(wo, r.op.size());
    wv = std::max(wv, r.value.size());
  }
  fmt::print("{:<{}}  {:<{}}  {:<{}}  {}\n", "node", wn, "op", wo, "value", wv, loss ? "dL/dnode" : "");
  for (const Row &r : rows) fmt::print("{:<{}}  {:<{}}  {:<{}}  {}\n", r.name, wn, r.op, wo, r.value, wv, r.grad);
  if (loss) fmt::print("loss = {}\n", format_tensor(*loss, kDigits));
}

std::string json_map(const std::vector<std::pair<std::string, const interp::Tensor *>> &entries) {
  std::string out = "{";
  for (size_t i = 0; i < entries.size(); ++i)
    out += fmt::format("{}{}: {}", i ? ", " : "", ir::quote_string(entries[i].first), format_tensor(*entries[i].second, 0, true));
  return out + "}";
}

} // namespace

void add_trace_command(CLI::App &app, int &status) {
  auto *cmd = app.add_subcommand("trace", "Evaluate a model once; print every node's value and dL/d(node)");
  struct Options {
    std::string path;
    std::vector<std::string> sets;
    bool json = false, eval = false;
    uint64_t seed = 0;
  };
  auto opt = std::make_shared<Options>();
  cmd->add_option("file", opt->path, "the .nn model file")->required();
  cmd->add_option("--set", opt->sets, "NAME=VALUE for an input or param: a number or a nested list like [[1,2],[3,4]]");
  cmd->add_flag("--json", opt->json, "print {\"loss\", \"values\", \"grads\"} as JSON");
  cmd->add_option("--seed", opt->seed, "seed of the params not set and of dropout")->capture_default_str();
  cmd->add_flag("--eval", opt->eval, "inference mode (dropout off)");
  cmd->callback([opt, &status] {
    status = kUserError;
    CompiledFile f;
    compile_file(opt->path, f);
    if (!f.result.module) return;
    ir::Module &m = *f.result.module;
    const ir::Function &fwd = *m.find_function("forward");

    std::map<std::string, interp::Tensor> args = interp::initial_params(m, opt->seed);
    for (const std::string &set : opt->sets) {
      size_t eq = set.find('=');
      std::string name = set.substr(0, eq);
      const ir::Value *arg = fwd.find_argument(name);
      if (eq == std::string::npos || !arg) {
        fmt::print(stderr, "error: --set {}: {}\n", set,
                   eq == std::string::npos ? "expected NAME=VALUE" : fmt::format("'{}' is not an input or param of '{}'", name, m.name));
        return;
      }
      std::string error;
      auto t = parse_tensor(std::string_view(set).substr(eq + 1), arg->type.dtype, error);
      if (!t) {
        fmt::print(stderr, "error: --set {}: {}\n", name, error);
        return;
      }
      args[name] = std::move(*t);
    }
    for (const ir::Value *a : fwd.arguments())
      if (!args.count(a->name)) {
        fmt::print(stderr, "error: input '{}' ({}) needs a value: --set {}=...\n", a->name, a->type.str(), a->name);
        return;
      }

    bool has_loss = fwd.find_result("loss") != nullptr;
    std::optional<compiler::GradFunction> grad;
    if (has_loss) grad.emplace(compiler::build_grad(m, {.input_gradients = true, .keep_all = true}));
    interp::Execution ex;
    try {
      ex = interp::run(grad ? grad->fn : fwd, args, {.training = !opt->eval, .seed = opt->seed, .step = 0});
    } catch (const interp::InterpError &e) {
      fmt::print(stderr, "error: {}\n", e.what());
      return;
    }
    auto value_of = [&](const ir::Value *v) -> const interp::Tensor * {
      const ir::Value *in_run = grad ? grad->copy_of.at(v) : v;
      auto it = ex.values.find(in_run);
      return it == ex.values.end() ? nullptr : &it->second;
    };
    auto gradient_of = [&](const ir::Value *v) -> const interp::Tensor * {
      if (!grad) return nullptr;
      auto it = grad->gradient_of.find(v);
      return it == grad->gradient_of.end() ? nullptr : &ex.values.at(it->second);
    };
    const interp::Tensor *loss = has_loss ? &ex.results.at("loss") : nullptr;

    std::vector<const ir::Value *> nodes(fwd.arguments().begin(), fwd.arguments().end());
    nodes.insert(nodes.end(), fwd.body().begin(), fwd.body().end());
    if (opt->json) {
      std::vector<std::pair<std::string, const interp::Tensor *>> values, grads;
      std::vector<interp::Tensor> zeros; // dL/d(value) = 0 where no gradient flows
      zeros.reserve(nodes.size());
      for (const ir::Value *v : nodes) {
        if (v->name.empty() || !value_of(v)) continue;
        values.emplace_back(v->name, value_of(v));
        if (!loss || !ir::is_float(v->type.dtype)) continue;
        const interp::Tensor *g = gradient_of(v);
        if (!g) g = &zeros.emplace_back(interp::Tensor::zeros(v->type.dtype, value_of(v)->shape));
        grads.emplace_back(v->name, g);
      }
      fmt::print("{{\"loss\": {}, \"values\": {}, \"grads\": {}}}\n", loss ? format_tensor(*loss, 0, true) : "null",
                 json_map(values), json_map(grads));
    } else {
      ir::ValueNames names(fwd);
      std::vector<Row> rows;
      for (const ir::Value *v : nodes) {
        std::string op(v->is_argument() ? ir::value_kind_name(v->kind) : v->info().name);
        rows.push_back({names[v], op, cell(value_of(v)), cell(gradient_of(v))});
      }
      print_table(rows, loss);
    }
    status = kSuccess;
  });
}

} // namespace nncc::tool
