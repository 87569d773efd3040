// nncc trace FILE.nn --set NAME=VALUE ... [--format text|json|dot|svg] —
// evaluate the model once and print, for every node in order, its op, its
// value and dL/d(node): the table a lecture fills in by hand, or the graph
// with those numbers on it.
#include "compiler/interp/interpreter.h"
#include "compiler/interp/params.h"
#include "compiler/passes/autodiff.h"
#include "ir/printer.h"
#include "tools/nncc/common.h"
#include "tools/nncc/tensor_text.h"
#include "nncc/nncc.hpp"
#include "tools/nncc/trace_graph.h"

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

struct TraceOptions {
  std::string path, format = "text", output;
  std::vector<std::string> sets;
  bool json = false, eval = false;
  uint64_t seed = 0;
};

/// The forward function's arguments: the params' initial values, then the
/// --set values; nullopt (after a message) when one is malformed or missing.
std::optional<std::map<std::string, interp::Tensor>> trace_arguments(const TraceOptions &opt, const ir::Module &m) {
  const ir::Function &fwd = *m.find_function("forward");
  std::map<std::string, interp::Tensor> args = interp::initial_params(m, opt.seed);
  for (const std::string &set : opt.sets) {
    size_t eq = set.find('=');
    std::string name = set.substr(0, eq);
    const ir::Value *arg = fwd.find_argument(name);
    if (eq == std::string::npos || !arg) {
      fmt::print(stderr, "error: --set {}: {}\n", set,
                 eq == std::string::npos ? "expected NAME=VALUE" : fmt::format("'{}' is not an input or param of '{}'", name, m.name));
      return std::nullopt;
    }
    std::string error;
    auto t = parse_tensor(std::string_view(set).substr(eq + 1), arg->type.dtype, error);
    if (!t) {
      fmt::print(stderr, "error: --set {}: {}\n", name, error);
      return std::nullopt;
    }
    args[name] = std::move(*t);
  }
  for (const ir::Value *a : fwd.arguments())
    if (!args.count(a->name)) {
      fmt::print(stderr, "error: input '{}' ({}) needs a value: --set {}=...\n", a->name, a->type.str(), a->name);
      return std::nullopt;
    }
  return args;
}

/// One run of the model (with its backward graph when it has a loss), and
/// each forward node's value and gradient in it.
class Trace {
public:
  Trace(ir::Module &m, const TraceOptions &opt, const std::map<std::string, interp::Tensor> &args) : fwd_(*m.find_function("forward")) {
    if (fwd_.find_result("loss")) grad_.emplace(compiler::build_grad(m, {.input_gradients = true, .keep_all = true}));
    run_ = interp::run(grad_ ? grad_->fn : fwd_, args, {.training = !opt.eval, .seed = opt.seed, .step = 0});
  }

  const interp::Tensor *loss() const { return grad_ ? &run_.results.at("loss") : nullptr; }
  const interp::Tensor *value(const ir::Value *v) const {
    auto it = run_.values.find(grad_ ? grad_->copy_of.at(v) : v);
    return it == run_.values.end() ? nullptr : &it->second;
  }
  const interp::Tensor *gradient(const ir::Value *v) const {
    if (!grad_) return nullptr;
    auto it = grad_->gradient_of.find(v);
    return it == grad_->gradient_of.end() ? nullptr : &run_.values.at(it->second);
  }
  /// The arguments, then the ops, of the forward function.
  std::vector<const ir::Value *> nodes() const {
    std::vector<const ir::Value *> out(fwd_.arguments().begin(), fwd_.arguments().end());
    out.insert(out.end(), fwd_.body().begin(), fwd_.body().end());
    return out;
  }
  const ir::Function &forward() const { return fwd_; }

private:
  const ir::Function &fwd_;
  std::optional<compiler::GradFunction> grad_;
  interp::Execution run_;
};

void print_json(const Trace &trace) {
  std::vector<std::pair<std::string, const interp::Tensor *>> values, grads;
  std::vector<const ir::Value *> nodes = trace.nodes();
  std::vector<interp::Tensor> zeros; // dL/d(value) = 0 where no gradient flows
  zeros.reserve(nodes.size());
  for (const ir::Value *v : nodes) {
    if (v->name.empty() || !trace.value(v)) continue;
    values.emplace_back(v->name, trace.value(v));
    if (!trace.loss() || !ir::is_float(v->type.dtype)) continue;
    const interp::Tensor *g = trace.gradient(v);
    if (!g) g = &zeros.emplace_back(interp::Tensor::zeros(v->type.dtype, trace.value(v)->shape));
    grads.emplace_back(v->name, g);
  }
  fmt::print("{{\"loss\": {}, \"values\": {}, \"grads\": {}}}\n", trace.loss() ? format_tensor(*trace.loss(), 0, true) : "null",
             json_map(values), json_map(grads));
}

void print_text(const Trace &trace) {
  ir::ValueNames names(trace.forward());
  std::vector<Row> rows;
  for (const ir::Value *v : trace.nodes()) {
    std::string op(v->is_argument() ? ir::value_kind_name(v->kind) : v->info().name);
    rows.push_back({names[v], op, cell(trace.value(v)), cell(trace.gradient(v))});
  }
  print_table(rows, trace.loss());
}

/// A tensor as a graph node shows it: whole when small, else its first
/// few entries.
std::string preview(const interp::Tensor *t) {
  constexpr int64_t kShown = 4;
  if (!t) return "";
  if (t->numel() <= kMaxShownElements / 2) return format_tensor(*t, 4);
  interp::Tensor head = interp::Tensor::zeros(t->dtype, {kShown});
  std::copy_n(t->data.begin(), kShown, head.data.begin());
  std::string flat = format_tensor(head, 4);
  return flat.substr(0, flat.size() - 1) + ", ...]";
}

std::string graph_of(const Trace &trace, std::string title) {
  ir::ValueNames names(trace.forward());
  std::vector<const ir::Value *> values = trace.nodes();
  std::map<const ir::Value *, size_t> index;
  std::vector<TraceNode> nodes;
  for (const ir::Value *v : values) {
    TraceNode n;
    n.kind = v->kind == ir::ValueKind::Input ? TraceNode::Kind::Input : v->kind == ir::ValueKind::Param ? TraceNode::Kind::Param : TraceNode::Kind::Op;
    n.name = v->name.empty() ? names[v] : v->name; // named values as the .nn file writes them
    n.op = v->is_argument() ? std::string(ir::value_kind_name(v->kind)) : std::string(v->info().name);
    n.type = v->type.str();
    n.value = preview(trace.value(v));
    n.grad = preview(trace.gradient(v));
    for (const ir::Value *o : v->operands) n.operands.push_back(index.at(o));
    index[v] = nodes.size();
    nodes.push_back(std::move(n));
  }
  if (trace.loss()) title += fmt::format(" (L = {})", format_tensor(*trace.loss(), kDigits));
  return trace_dot(title, nodes);
}

int run_trace(const TraceOptions &opt) {
  CompiledFile f;
  compile_file(opt.path, f);
  if (!f.result.module) return kUserError;
  auto args = trace_arguments(opt, *f.result.module);
  if (!args) return kUserError;
  try {
    Trace trace(*f.result.module, opt, *args);
    std::string format = opt.json ? "json" : opt.format;
    if (format == "dot" || format == "svg") {
      std::string dot = graph_of(trace, f.result.module->name);
      if (!write_output(opt.output, format == "svg" ? render_svg(dot) : dot)) return kUserError;
    } else {
      format == "json" ? print_json(trace) : print_text(trace);
    }
  } catch (const interp::InterpError &e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return kUserError;
  } catch (const Error &e) {
    fmt::print(stderr, "nncc trace: error: {}\n", e.what());
    return kUserError;
  }
  return kSuccess;
}

} // namespace

void add_trace_command(CLI::App &app, int &status) {
  auto *cmd = app.add_subcommand("trace", "Evaluate a model once; print every node's value and dL/d(node)");
  auto opt = std::make_shared<TraceOptions>();
  cmd->add_option("file", opt->path, "the .nn model file")->required();
  cmd->add_option("--set", opt->sets, "NAME=VALUE for an input or param: a number or a nested list like [[1,2],[3,4]]");
  cmd->add_flag("--json", opt->json, "print {\"loss\", \"values\", \"grads\"} as JSON (--format=json)");
  cmd->add_option("--format", opt->format, "text (a table), json, dot (the graph with values and gradients, Graphviz) or svg (rendered by Graphviz's dot)")
      ->check(CLI::IsMember({"text", "json", "dot", "svg"}))
      ->capture_default_str();
  cmd->add_option("-o,--output", opt->output, "with dot or svg: write to this file instead of stdout");
  cmd->add_option("--seed", opt->seed, "seed of the params not set and of dropout")->capture_default_str();
  cmd->add_flag("--eval", opt->eval, "inference mode (dropout off)");
  cmd->callback([opt, &status] { status = run_trace(*opt); });
}

} // namespace nncc::tool
