#include "tools/nncc/trace_graph.h"

#include "ir/printer.h"
#include "nncc/nncc.hpp"

#include <cstdio>
#include <fmt/ranges.h>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace nncc::tool {

namespace {

std::string fill_of(TraceNode::Kind kind) {
  switch (kind) {
  case TraceNode::Kind::Input: return "#fff2cc";
  case TraceNode::Kind::Param: return "#d9ead3";
  case TraceNode::Kind::Op: return "#cfe2f3";
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

std::string trace_dot(std::string_view title, const std::vector<TraceNode> &nodes) {
  std::string out = fmt::format("digraph \"{}\" {{\n  rankdir=LR;\n  graph [fontname=\"Helvetica\"];\n  node [fontname=\"Helvetica\", shape=box, style=\"rounded,filled\"];\n"
                                "  label=\"{}: value and dL/dnode at each node; solid: forward, dashed: the gradient's way back\";\n"
                                "  labelloc=t;\n",
                                ir::escape_quotes(title), ir::escape_quotes(title));
  for (size_t i = 0; i < nodes.size(); ++i) {
    const TraceNode &n = nodes[i];
    std::vector<std::string> lines{n.kind == TraceNode::Kind::Op ? fmt::format("{} = {}", n.name, n.op) : fmt::format("{} {}", n.op, n.name),
                                   n.type, "value " + n.value};
    if (!n.grad.empty()) lines.push_back(fmt::format("dL/d{} {}", n.name, n.grad));
    for (std::string &l : lines) l = ir::escape_quotes(l);
    out += fmt::format("  n{} [label=\"{}\", fillcolor=\"{}\"];\n", i, fmt::join(lines, "\\n"), fill_of(n.kind));
  }
  for (size_t i = 0; i < nodes.size(); ++i)
    for (size_t o : nodes[i].operands) {
      out += fmt::format("  n{} -> n{};\n", o, i);
      // dL/d(operand) takes a term from dL/d(this node): the chain rule's way back.
      if (!nodes[i].grad.empty() && !nodes[o].grad.empty())
        out += fmt::format("  n{} -> n{} [style=dashed, color=\"#e69138\", constraint=false];\n", i, o);
    }
  return out + "}\n";
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
