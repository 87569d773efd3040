#include "frontend/ast_printer.h"

#include "ir/printer.h"

#include <fmt/format.h>
#include <functional>

namespace nncc::frontend {
namespace {

using namespace ast;

std::string type_str(const TypeSyntax &t) {
  if (t.dims.empty()) return t.dtype;
  std::string out = t.dtype + "[";
  for (size_t i = 0; i < t.dims.size(); ++i) {
    if (i) out += ", ";
    out += t.dims[i].size ? std::to_string(*t.dims[i].size) : t.dims[i].symbol;
  }
  return out + "]";
}

std::string loc_str(const Location &l) { return fmt::format("<{}:{}>", l.line, l.col); }

std::string_view stmt_kind(StmtKind k) {
  switch (k) {
  case StmtKind::Input: return "Input";
  case StmtKind::Param: return "Param";
  case StmtKind::Assign: return "Assign";
  case StmtKind::Def: return "Def";
  case StmtKind::Output: return "Output";
  case StmtKind::Loss: return "Loss";
  case StmtKind::Optimizer: return "Optimizer";
  }
  return "?";
}

std::string stmt_label(const Stmt &s) {
  std::string label(stmt_kind(s.kind));
  switch (s.kind) {
  case StmtKind::Input:
  case StmtKind::Param: return fmt::format("{} {} : {}", label, s.name.name, type_str(s.type));
  case StmtKind::Assign: return fmt::format("{} {}", label, s.name.name);
  case StmtKind::Def:
  case StmtKind::Output: {
    std::string names;
    for (const NameRef &n : s.names) names += (names.empty() ? "" : ", ") + n.name;
    return s.kind == StmtKind::Def ? fmt::format("{} {}({})", label, s.name.name, names)
                                   : fmt::format("{} {}", label, names);
  }
  default: return label;
  }
}

std::string expr_label(const Expr &e) {
  switch (e.kind) {
  case ExprKind::Number: return "Number " + e.text;
  case ExprKind::Bool: return "Bool " + e.text;
  case ExprKind::Name: return "Name " + e.text;
  case ExprKind::Unary: return "Unary " + e.text;
  case ExprKind::Binary: return "Binary " + e.text;
  case ExprKind::Call: return "Call " + e.text;
  case ExprKind::Transpose: return "Transpose .T";
  case ExprKind::List: return "List";
  }
  return "?";
}

/// Walks the tree calling `visit(label, loc, depth)` in preorder.
void walk(const Model &m, const std::function<void(const std::string &, const Location &, int)> &visit) {
  std::function<void(const Expr &, int)> expr = [&](const Expr &e, int depth) {
    visit(expr_label(e), e.loc, depth);
    for (const ExprPtr &a : e.args) expr(*a, depth + 1);
    for (const KeywordArg &k : e.kwargs) {
      visit("Keyword " + k.name, k.loc, depth + 1);
      expr(*k.value, depth + 2);
    }
  };
  visit("Model " + m.name, m.loc, 0);
  for (const Stmt &s : m.stmts) {
    visit(stmt_label(s), s.loc, 1);
    if (s.value) expr(*s.value, 2);
  }
}


} // namespace

std::string print_ast(const Model &model) {
  std::string out;
  walk(model, [&](const std::string &label, const Location &loc, int depth) {
    out += fmt::format("{:{}}{} {}\n", "", depth * 2, label, loc_str(loc));
  });
  return out;
}

std::string print_ast_dot(const Model &model) {
  std::string out = fmt::format("digraph \"ast_{}\" {{\n  node [shape=box, fontname=\"Helvetica\"];\n",
                                ir::escape_quotes(model.name));
  std::vector<int> parents; // node id at each depth
  int next = 0;
  walk(model, [&](const std::string &label, const Location &loc, int depth) {
    int id = next++;
    out += fmt::format("  n{} [label=\"{}\\n{}\"];\n", id, ir::escape_quotes(label), loc_str(loc));
    parents.resize(static_cast<size_t>(depth) + 1);
    parents[static_cast<size_t>(depth)] = id;
    if (depth > 0) out += fmt::format("  n{} -> n{};\n", parents[static_cast<size_t>(depth) - 1], id);
  });
  return out + "}\n";
}

} // namespace nncc::frontend
