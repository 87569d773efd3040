// nncc trace FILE.nn --set NAME=VALUE ... [--format text|json|dot|svg] —
// evaluate the model once and print, for every node in order, its op, its
// value and dL/d(node): the table a lecture fills in by hand, or the graph
// with those numbers on it.
#include "ir/printer.h"
#include "nncc/nncc.hpp"
#include "tools/nncc/common.h"
#include "tools/nncc/tensor_text.h"
#include "tools/nncc/trace_graph.h"
#include "tools/nncc/trace_run.h"

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

struct TraceOptions : RunPoint {
  std::string format = "text", output;
  bool json = false;
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

int run_trace(const TraceOptions &opt) {
  return with_trace(opt, "trace", [&](const Trace &trace, const std::string &model) {
    std::string format = opt.json ? "json" : opt.format;
    if (format == "dot" || format == "svg") {
      std::string dot = trace_dot(trace, model);
      return write_output(opt.output, format == "svg" ? render_svg(dot) : dot) ? kSuccess : kUserError;
    }
    format == "json" ? print_json(trace) : print_text(trace);
    return kSuccess;
  });
}

} // namespace

void add_trace_command(CLI::App &app, int &status) {
  auto *cmd = app.add_subcommand("trace", "Evaluate a model once; print every node's value and dL/d(node)");
  auto opt = std::make_shared<TraceOptions>();
  add_run_point_options(*cmd, *opt);
  cmd->add_flag("--json", opt->json, "print {\"loss\", \"values\", \"grads\"} as JSON (--format=json)");
  cmd->add_option("--format", opt->format, "text (a table), json, dot (the graph with values and gradients, Graphviz) or svg (rendered by Graphviz's dot)")
      ->check(CLI::IsMember({"text", "json", "dot", "svg"}))
      ->capture_default_str();
  cmd->add_option("-o,--output", opt->output, "with dot or svg: write to this file instead of stdout");
  cmd->callback([opt, &status] { status = run_trace(*opt); });
}

} // namespace nncc::tool
