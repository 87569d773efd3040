#include "compiler/passes/expr.h"

#include <cctype>
#include <algorithm>
#include <fmt/args.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <stdexcept>

namespace nncc::compiler {

using ir::OpKind;

namespace {

std::string number(double v) { return fmt::format("{:g}", v); }

std::string wrap(const Expr &e, int level) { return e.precedence < level ? "(" + e.text + ")" : e.text; }

Expr written(std::string text, int precedence, char op = 0) {
  Expr e;
  e.text = std::move(text);
  e.precedence = precedence;
  e.op = op;
  return e;
}

/// a SYMBOL b with the parentheses precedence and associativity ask for;
/// x * x reads x^2.
Expr infix_text(char symbol, int precedence, const Expr &a, const Expr &b) {
  if (symbol == '*' && a.value && a.value == b.value) return written(wrap(a, Expr::kAtom) + "^2", Expr::kAtom);
  bool associative = (symbol == '*' || symbol == '+') && b.op == symbol;
  bool right_parens = b.precedence < precedence || (b.precedence == precedence && !associative);
  std::string right = right_parens ? "(" + b.text + ")" : b.text;
  return written(fmt::format("{} {} {}", wrap(a, precedence), symbol, right), precedence, symbol);
}

/// How a lecture writes op `op` of operands written `xs`: by its notation
/// in the op table, or as a call.
Expr render(OpKind op, const std::vector<Expr> &xs, const ir::Attrs &attrs) {
  const ir::OpInfo &info = ir::op_info(op);
  if (info.infix) return infix_text(info.infix, info.precedence, xs[0], xs[1]);
  std::vector<std::string> args;
  for (const Expr &x : xs) args.push_back(info.notation.empty() ? x.text : wrap(x, Expr::kAtom));
  if (info.notation.empty()) return written(fmt::format("{}({})", info.name, fmt::join(args, ", ")), Expr::kAtom);
  fmt::dynamic_format_arg_store<fmt::format_context> store;
  for (const std::string &a : args) store.push_back(a);
  for (size_t i = 0; i < info.attrs.size() && i < attrs.size(); ++i) {
    const ir::AttrSpec &spec = info.attrs[i];
    store.push_back(fmt::arg(spec.name.c_str(), spec.kind == ir::AttrKind::Float ? number(ir::attr_float(attrs[i])) : ir::format_attr(attrs[i])));
  }
  return written(fmt::vformat(info.notation, store), info.precedence);
}

ExprBuilder &builder_of(const Expr &a, const Expr &b) {
  ExprBuilder *eb = a.builder ? a.builder : b.builder;
  if (!eb) throw std::logic_error("an expression of two given values needs a builder");
  return *eb;
}

} // namespace

Expr Expr::as(std::string name) const {
  Expr e = *this;
  e.text = std::move(name);
  e.precedence = kAtom;
  e.op = 0;
  return e;
}

Expr Expr::T() const { return builder->call(OpKind::Transpose, {*this}); }

Expr operator+(const Expr &a, const Expr &b) { return builder_of(a, b).call(OpKind::Add, {a, b}); }
Expr operator-(const Expr &a, const Expr &b) { return builder_of(a, b).call(OpKind::Sub, {a, b}); }
Expr operator*(const Expr &a, const Expr &b) { return builder_of(a, b).call(OpKind::Mul, {a, b}); }
Expr operator/(const Expr &a, const Expr &b) { return builder_of(a, b).call(OpKind::Div, {a, b}); }
Expr operator-(const Expr &a) { return a.builder->call(OpKind::Neg, {a}); }
Expr operator+(double a, const Expr &b) { return b.builder->c(a) + b; }
Expr operator-(double a, const Expr &b) { return b.builder->c(a) - b; }
Expr operator*(double a, const Expr &b) { return b.builder->c(a) * b; }
Expr operator/(double a, const Expr &b) { return b.builder->c(a) / b; }
Expr operator+(const Expr &a, double b) { return a + a.builder->c(b); }
Expr operator*(const Expr &a, double b) { return a * a.builder->c(b); }
Expr operator/(const Expr &a, double b) { return a / a.builder->c(b); }
Expr matmul(const Expr &a, const Expr &b) { return builder_of(a, b).call(OpKind::Matmul, {a, b}); }

std::string gradient_name(const std::string &text) {
  bool plain = !text.empty() && std::all_of(text.begin(), text.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.';
  });
  return plain ? "dL/d" + text : "dL/d(" + text + ")";
}

Expr notation(const ir::Value *v, int depth) {
  Expr e;
  if (!v->name.empty()) e = written(v->name, Expr::kAtom);
  else if (v->info().has(ir::opflag::MODE_SELECT)) e = notation(v->operands[0], depth); // written as what training computes
  else if (v->is_argument() || (depth == 0 && !v->info().has(ir::opflag::CONSTANT))) e = written("...", Expr::kAtom);
  else {
    std::vector<Expr> xs;
    for (const ir::Value *o : v->operands) xs.push_back(notation(o, depth - 1));
    e = render(v->op, xs, v->attrs);
  }
  e.value = const_cast<ir::Value *>(v);
  return e;
}

Expr ExprBuilder::of(ir::Value *v, std::string text) {
  Expr e = text.empty() ? notation(v) : written(std::move(text), Expr::kAtom);
  e.value = v;
  e.builder = this;
  return e;
}

Expr ExprBuilder::c(double v) {
  Expr e = of(b_.constant(v, dtype_, loc_), number(v));
  if (v < 0) e.precedence = Expr::kUnary;
  e.built = true;
  return e;
}

Expr ExprBuilder::call(OpKind op, const std::vector<Expr> &xs, ir::Attrs attrs, std::string text) {
  std::vector<ir::Value *> operands;
  for (const Expr &x : xs) operands.push_back(x.value);
  Expr e = text.empty() ? render(op, xs, attrs) : written(std::move(text), Expr::kAtom);
  e.value = b_.create(op, std::move(operands), std::move(attrs), loc_);
  e.builder = this;
  e.built = true;
  return e;
}

} // namespace nncc::compiler
