#include "frontend/ast_printer.h"
#include "helpers.h"

#include <catch2/catch.hpp>

using namespace nncc;
using namespace nncc::frontend;

namespace {
struct Parsed {
  SourceManager sources;
  DiagnosticEngine diags{sources};
  std::unique_ptr<ast::Model> model;
};
std::unique_ptr<Parsed> parse(const std::string &text) {
  auto p = std::make_unique<Parsed>();
  p->model = parse_model(p->sources.add("t.nn", text), p->sources, p->diags);
  return p;
}
/// The expression of the statement `y = EXPR` as an outline without locations.
std::string expr_outline(const std::string &expr) {
  auto p = parse("model m {\n  y = " + expr + "\n}\n");
  REQUIRE(p->model);
  INFO(p->diags.render());
  REQUIRE_FALSE(p->diags.has_errors());
  std::string out = print_ast(*p->model), lines;
  // Keep the expression part (after "Assign y"), drop "<line:col>".
  size_t start = out.find("Assign y");
  std::istringstream in(out.substr(out.find('\n', start) + 1));
  for (std::string line; std::getline(in, line);) lines += line.substr(0, line.rfind(" <")) + "\n";
  return lines;
}
} // namespace

TEST_CASE("parser: precedence and associativity of SPEC 1.5", "[parser]") {
  CHECK(expr_outline("a + b * c") == "    Binary +\n      Name a\n      Binary *\n        Name b\n        Name c\n");
  CHECK(expr_outline("a - b - c") == "    Binary -\n      Binary -\n        Name a\n        Name b\n      Name c\n");
  // ** binds tighter than unary minus and is right associative.
  CHECK(expr_outline("-x ** 2") == "    Unary -\n      Binary **\n        Name x\n        Number 2\n");
  CHECK(expr_outline("x ** -1") == "    Binary **\n      Name x\n      Unary -\n        Number 1\n");
  CHECK(expr_outline("a @ b.T") == "    Binary @\n      Name a\n      Transpose .T\n        Name b\n");
  CHECK(expr_outline("(a + b) * c") == "    Binary *\n      Binary +\n        Name a\n        Name b\n      Name c\n");
}

TEST_CASE("parser: calls with keyword arguments span lines inside parentheses", "[parser]") {
  CHECK(expr_outline("softmax(z,\n    axis = -1)") ==
        "    Call softmax\n      Name z\n      Keyword axis\n        Unary -\n          Number 1\n");
  CHECK(expr_outline("reshape(x, [N,\n 784])") ==
        "    Call reshape\n      Name x\n      List\n        Name N\n        Number 784\n");
}

TEST_CASE("parser: statements of SPEC 1.4", "[parser]") {
  auto p = parse("model m {\n input x : f32[N, 2]; param W : f32[2, 3] = uniform(-1, 1)\n"
                 " def f(a, b) = a + b\n output x\n loss mean(x)\n optimizer adam\n}\n");
  REQUIRE(p->model);
  CHECK_FALSE(p->diags.has_errors());
  REQUIRE(p->model->stmts.size() == 6);
  CHECK(p->model->stmts[0].kind == ast::StmtKind::Input);
  CHECK(p->model->stmts[0].type.dims.at(0).symbol == "N");
  CHECK(p->model->stmts[1].value->kind == ast::ExprKind::Call);
  CHECK(p->model->stmts[2].names.size() == 2);
  CHECK(p->model->stmts[5].value->kind == ast::ExprKind::Name);
}

TEST_CASE("parser: recovers at the next statement and reports each error", "[parser]") {
  auto p = parse("model m {\n  input x f32\n  y = x + )\n  z = x +* 2\n  output y\n}\n");
  REQUIRE(p->model);
  CHECK(p->diags.error_count() == 3);
  std::string errs = p->diags.render();
  CHECK(errs.find("t.nn:2:11: error: expected ':' after input 'x', found identifier 'f32'") != std::string::npos);
  CHECK(errs.find("t.nn:3:11: error: expected an expression, found ')'") != std::string::npos);
  CHECK(errs.find("t.nn:4:10: error: expected an expression, found '*'") != std::string::npos);
  // The failed statements keep their names (so `output y` is not an unknown
  // name); the output statement itself survives intact.
  REQUIRE(p->model->stmts.size() == 4);
  CHECK(p->model->stmts[0].incomplete);
  CHECK(p->model->stmts[1].name.name == "y");
  CHECK(p->model->stmts[1].incomplete);
  CHECK(p->model->stmts[3].kind == ast::StmtKind::Output);
  CHECK_FALSE(p->model->stmts[3].incomplete);
}

TEST_CASE("parser: nesting limits turn into diagnostics", "[parser]") {
  auto p = parse("model m {\n  y = " + std::string(5000, '(') + "x" + std::string(5000, ')') + "\n}\n");
  CHECK(p->diags.render().find("nested too deeply") != std::string::npos);
  std::string chain = "x";
  for (int i = 0; i < 3000; ++i) chain += " + x";
  p = parse("model m {\n  y = " + chain + "\n}\n");
  CHECK(p->diags.render().find("expression is too deep") != std::string::npos);
}
