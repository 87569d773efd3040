#include "ir/dot_printer.h"

#include "ir/printer.h"

#include <fmt/format.h>

namespace nncc::ir {
namespace {


std::string node_id(const Function &fn, const ValueNames &names, const Value *v) {
  return fmt::format("\"{}{}\"", fn.name(), escape_quotes(names[v]));
}

} // namespace

std::string print_dot(const Module &module) {
  std::string out = fmt::format("digraph \"{}\" {{\n  rankdir=TB;\n  node [fontname=\"Helvetica\"];\n",
                                escape_quotes(module.name));
  for (const auto &fn : module.functions()) {
    ValueNames names(*fn);
    out += fmt::format("  subgraph \"cluster_{}\" {{\n    label=\"@{}\";\n", escape_quotes(fn->name()),
                       escape_quotes(fn->name()));
    for (const Value *a : fn->arguments()) {
      bool input = a->kind == ValueKind::Input;
      out += fmt::format("    {} [label=\"{}\\n{}\", shape={}, style=filled, fillcolor=\"{}\"];\n",
                         node_id(*fn, names, a), escape_quotes(names[a]), a->type.str(),
                         input ? "ellipse" : "box", input ? "#fff2cc" : "#d9ead3");
    }
    for (const Value *v : fn->body()) {
      out += fmt::format("    {} [label=\"{} = {}\\n{}\", shape=box, style=\"rounded,filled\", "
                         "fillcolor=\"#cfe2f3\"];\n",
                         node_id(*fn, names, v), escape_quotes(names[v]), v->info().name, v->type.str());
      for (const Value *operand : v->operands)
        out += fmt::format("    {} -> {};\n", node_id(*fn, names, operand), node_id(*fn, names, v));
    }
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
