// The syntax tree of a .nn file, exactly as written (no types yet).
#pragma once
#include "ir/source.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nncc::frontend::ast {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct KeywordArg {
  std::string name;
  Location loc;
  ExprPtr value;
};

enum class ExprKind {
  Number,    // 0.5, 2
  Bool,      // true, false
  Name,      // x
  Unary,     // -x
  Binary,    // a + b, a @ b, x ** 2
  Call,      // f(a, k = v)
  Transpose, // x.T
  List,      // [d0, d1]
};

struct Expr {
  ExprKind kind;
  Location loc; // the whole expression (clipped to its first line)
  std::string text; // name, callee, or operator spelling
  Location name_loc; // callee or operator token
  double number = 0;
  bool is_integer = false;
  int64_t integer = 0;
  bool boolean = false;
  std::vector<ExprPtr> args; // operands, positional arguments, list items
  std::vector<KeywordArg> kwargs;
  int depth = 1; // height of this subtree (bounded by the parser)
};

struct DimSyntax {
  std::optional<int64_t> size; // a literal, or
  std::string symbol;          // a symbolic name
  Location loc;
};

struct TypeSyntax {
  std::string dtype;
  Location loc;
  std::vector<DimSyntax> dims;
};

enum class StmtKind { Input, Param, Assign, Def, Output, Loss, Optimizer };

struct NameRef {
  std::string name;
  Location loc;
};

struct Stmt {
  StmtKind kind;
  Location loc;          // the keyword (or the name of an assignment)
  NameRef name;          // input/param/assign/def
  TypeSyntax type;       // input/param
  ExprPtr value;         // param init (optional), assign/def body, loss, optimizer
  std::vector<NameRef> names; // def parameters, output names
  // A statement whose syntax error was reported: only its kind and name are
  // kept, so that later uses of the name do not report it as unknown.
  bool incomplete = false;
};

struct Model {
  std::string name;
  Location loc;
  std::vector<Stmt> stmts;
};

} // namespace nncc::frontend::ast
