// The vocabulary derivative rules and optimizer updates are written in. An
// Expr is an IR value together with how a lecture writes it; every operator
// both builds the op and composes the text, so the note a rule attaches is
// the expression it built and cannot drift from it:
//   g * (1 - y * y)   builds mul(g, sub(1, mul(y, y)))   and reads "dL/dh * (1 - h^2)"
#pragma once
#include "ir/builder.h"

#include <string>
#include <vector>

namespace nncc::compiler {

class ExprBuilder;

struct Expr {
  // Binding strength of the outermost operator, for parentheses.
  static constexpr int kSum = ir::precedence::Sum, kProduct = ir::precedence::Product, kUnary = ir::precedence::Unary,
                       kAtom = ir::precedence::Atom;

  ir::Value *value = nullptr; // null: no value (no gradient flows)
  std::string text;
  int precedence = kAtom;
  char op = 0;         // the outermost binary operator: + - * / @
  bool built = false;  // made by the builder (not a value it was given)
  ExprBuilder *builder = nullptr;

  explicit operator bool() const { return value != nullptr; }
  /// The same value, written `name` in notes (a symbol the note defines: B, n).
  Expr as(std::string name) const;
  /// The transpose of a matrix: "W2.T".
  Expr T() const;
};

Expr operator+(const Expr &a, const Expr &b);
Expr operator-(const Expr &a, const Expr &b);
Expr operator*(const Expr &a, const Expr &b);
Expr operator/(const Expr &a, const Expr &b);
Expr operator-(const Expr &a);
Expr operator+(double a, const Expr &b);
Expr operator-(double a, const Expr &b);
Expr operator*(double a, const Expr &b);
Expr operator/(double a, const Expr &b);
Expr operator+(const Expr &a, double b);
Expr operator*(const Expr &a, double b);
Expr operator/(const Expr &a, double b);
/// a @ b (matrix product).
Expr matmul(const Expr &a, const Expr &b);

/// "dL/dh", "dL/d(x @ W1 + b1)": the gradient of the written value.
std::string gradient_name(const std::string &text);

/// How notes write a value: its source name, or its expression
/// ("x @ W1 + b1") down to `depth` ops.
Expr notation(const ir::Value *v, int depth = 2);

/// Builds ops at one location in one float type.
class ExprBuilder {
public:
  ExprBuilder(ir::Function &fn, ir::DType dtype, Location loc) : b_(fn), dtype_(dtype), loc_(loc) {}

  /// A value that exists, written as `text` (notation(v) when empty).
  Expr of(ir::Value *v, std::string text = {});
  /// A scalar constant of the builder's float type.
  Expr c(double v);
  /// Any op, written by its notation in the op table unless `text` is given.
  Expr call(ir::OpKind op, const std::vector<Expr> &xs, ir::Attrs attrs = {}, std::string text = {});

private:
  ir::Builder b_;
  ir::DType dtype_;
  Location loc_;
};

} // namespace nncc::compiler
