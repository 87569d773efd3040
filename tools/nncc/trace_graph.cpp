#include "tools/nncc/trace_graph.h"

#include "ir/printer.h"
#include "tools/nncc/tensor_text.h"
#include "nncc/nncc.hpp"

#include <cstdio>
#include <fmt/ranges.h>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace nncc::tool {

namespace {

/// Inputs yellow, params green, ops blue.
std::string_view fill_of(ir::ValueKind kind) {
  switch (kind) {
  case ir::ValueKind::Input: return "#fff2cc";
  case ir::ValueKind::Param: return "#d9ead3";
  case ir::ValueKind::State:
  case ir::ValueKind::Op: return "#cfe2f3";
  }
  return "white";
}

/// The full path of program `name` on $PATH, or empty.
std::string find_program(const std::string &name) {
  const char *path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::filesystem::path p = std::filesystem::path(dir.empty() ? "." : dir) / name;
    if (access(p.c_str(), X_OK) == 0) return p.string();
  }
  return {};
}

} // namespace

std::string preview(const interp::Tensor *t, int64_t whole) {
  constexpr int64_t kShown = 4;
  if (!t) return "";
  if (t->numel() <= whole) return format_tensor(*t, 4);
  interp::Tensor head = interp::Tensor::zeros(t->dtype, {kShown});
  std::copy_n(t->data.begin(), kShown, head.data.begin());
  std::string flat = format_tensor(head, 4);
  return flat.substr(0, flat.size() - 1) + ", ...]";
}

std::string display_name(const ir::Value &v, const ir::ValueNames &names) { return v.name.empty() ? names[&v] : v.name; }

std::string trace_dot(const Trace &trace, std::string title) {
  if (trace.loss()) title += fmt::format(" (L = {})", format_tensor(*trace.loss(), 6));
  std::string out = fmt::format("digraph \"{}\" {{\n  rankdir=LR;\n  graph [fontname=\"Helvetica\"];\n"
                                "  node [fontname=\"Helvetica\", shape=box, style=\"rounded,filled\"];\n"
                                "  label=\"{}: value and dL/dnode at each node; solid: forward, dashed: the gradient's way back\";\n"
                                "  labelloc=t;\n",
                                ir::escape_quotes(title), ir::escape_quotes(title));
  ir::ValueNames names(trace.forward());
  std::vector<const ir::Value *> nodes = trace.nodes();
  std::map<const ir::Value *, size_t> index;
  std::string edges;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const ir::Value &v = *nodes[i];
    index[&v] = i;
    std::string name = display_name(v, names), grad = preview(trace.gradient(&v));
    std::vector<std::string> lines{v.is_argument() ? fmt::format("{} {}", ir::value_kind_name(v.kind), name) : fmt::format("{} = {}", name, v.info().name),
                                   v.type.str(), "value " + preview(trace.value(&v))};
    if (!grad.empty()) lines.push_back(fmt::format("dL/d{} {}", name, grad));
    for (std::string &l : lines) l = ir::escape_quotes(l);
    out += fmt::format("  n{} [label=\"{}\", fillcolor=\"{}\"];\n", i, fmt::join(lines, "\\n"), fill_of(v.kind));
    for (const ir::Value *o : v.operands) {
      edges += fmt::format("  n{} -> n{};\n", index.at(o), i);
      // dL/d(operand) takes a term from dL/d(this node): the chain rule's way back.
      if (trace.gradient(&v) && trace.gradient(o))
        edges += fmt::format("  n{} -> n{} [style=dashed, color=\"#e69138\", constraint=false];\n", i, index.at(o));
    }
  }
  return out + edges + "}\n";
}

std::string render_svg(const std::string &dot) {
  std::string program = find_program("dot");
  if (program.empty())
    throw Error("--format=svg needs Graphviz's 'dot' program, which is not on PATH (Debian: apt install graphviz); "
                "--format=dot prints the graph as text instead");
  std::string source = (std::filesystem::temp_directory_path() / "nncc-trace-XXXXXX").string();
  int fd = mkstemp(source.data());
  if (fd < 0) throw Error("cannot create a temporary file for Graphviz");
  close(fd);
  std::ofstream(source) << dot;
  std::string command = fmt::format("'{}' -Tsvg '{}' 2>&1", program, source);
  std::string svg;
  FILE *pipe = popen(command.c_str(), "r");
  if (pipe) {
    char buffer[4096];
    for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) svg.append(buffer, n);
  }
  int status = pipe ? pclose(pipe) : -1;
  std::filesystem::remove(source);
  if (status != 0) throw Error(fmt::format("Graphviz's dot failed on the trace graph: {}", svg));
  return svg;
}

} // namespace nncc::tool
