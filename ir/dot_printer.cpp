#include "ir/dot_printer.h"

#include "ir/printer.h"

#include <fmt/format.h>
#include <unordered_set>

namespace nncc::ir {
namespace {


std::string node_id(const Function &fn, const ValueNames &names, const Value *v) {
  return fmt::format("\"{}{}\"", fn.name(), escape_quotes(names[v]));
}

/// In grad and train_step, the forward computation is what the loss is
/// computed from; everything after it is backward (or update) work.
std::unordered_set<const Value *> forward_part(const Function &fn) {
  std::unordered_set<const Value *> fwd;
  const FunctionResult *loss = fn.find_result("loss");
  if (fn.name() == "forward" || !loss) {
    fwd.insert(fn.body().begin(), fn.body().end());
    return fwd;
  }
  fwd.insert(loss->value);
  for (auto it = fn.body().rbegin(); it != fn.body().rend(); ++it)
    if (fwd.count(*it)) fwd.insert((*it)->operands.begin(), (*it)->operands.end());
  return fwd;
}

} // namespace

std::string print_dot(const Module &module) {
  std::string out = fmt::format("digraph \"{}\" {{\n  rankdir=TB;\n  node [fontname=\"Helvetica\"];\n",
                                escape_quotes(module.name));
  for (const auto &fn : module.functions()) {
    ValueNames names(*fn);
    std::unordered_set<const Value *> forward = forward_part(*fn);
    out += fmt::format("  subgraph \"cluster_{}\" {{\n    label=\"@{}\";\n", escape_quotes(fn->name()),
                       escape_quotes(fn->name()));
    for (const Value *a : fn->arguments()) {
      bool input = a->kind == ValueKind::Input;
      out += fmt::format("    {} [label=\"{}\\n{}\", shape={}, style=filled, fillcolor=\"{}\"];\n",
                         node_id(*fn, names, a), escape_quotes(names[a]), a->type.str(),
                         input ? "ellipse" : "box", input ? "#fff2cc" : "#d9ead3");
    }
    const auto &body = fn->body();
    std::string edges; // after the nodes: an edge inside a cluster would pull its tail into it
    for (size_t i = 0; i < body.size(); ++i) {
      const Value *v = body[i];
      // A fused region is a dashed cluster around its values.
      if (v->region && (i == 0 || body[i - 1]->region != v->region))
        out += fmt::format("    subgraph \"cluster_{}_region{}\" {{\n      label=\"region {}: {}\";\n      style=dashed;\n",
                           escape_quotes(fn->name()), v->region, v->region, escape_quotes(describe_region(body, i)));
      // Forward nodes blue, backward and update nodes orange.
      out += fmt::format("    {} [label=\"{} = {}\\n{}\", shape=box, style=\"rounded,filled\", "
                         "fillcolor=\"{}\"];\n",
                         node_id(*fn, names, v), escape_quotes(names[v]), v->info().name, v->type.str(),
                         forward.count(v) ? "#cfe2f3" : "#fce5cd");
      if (v->region && (i + 1 == body.size() || body[i + 1]->region != v->region)) out += "    }\n";
      for (const Value *operand : v->operands)
        edges += fmt::format("    {} -> {};\n", node_id(*fn, names, operand), node_id(*fn, names, v));
    }
    out += edges;
    for (const FunctionResult &r : fn->results()) {
      std::string id = fmt::format("\"{}:result:{}\"", escape_quotes(fn->name()), escape_quotes(r.name));
      out += fmt::format("    {} [label=\"{}\", shape=doubleoctagon];\n", id, escape_quotes(r.name));
      out += fmt::format("    {} -> {};\n", node_id(*fn, names, r.value), id);
    }
    out += "  }\n";
  }
  return out + "}\n";
}

} // namespace nncc::ir
