#include "frontend/parser.h"

#include <fmt/format.h>
#include <optional>

namespace nncc::frontend {
namespace {

using namespace ast;

/// Thrown after a syntax error has been reported, to resume at the next
/// statement.
struct SyntaxError {};

constexpr int kMaxNesting = 200;
// Long operator chains (a + a + ... + a) build deep trees without nesting.
constexpr int kMaxTreeDepth = 1000;

class Parser {
public:
  Parser(uint32_t file, const SourceManager &sources, DiagnosticEngine &diags) : diags_(diags) {
    Lexer lexer(file, sources, diags);
    for (;;) {
      Token t = lexer.next();
      if (t.kind == Tok::Invalid) continue; // already reported
      tokens_.push_back(std::move(t));
      if (tokens_.back().kind == Tok::End || diags.should_stop()) break;
    }
    if (tokens_.back().kind != Tok::End) tokens_.push_back(Token{Tok::End, "", tokens_.back().loc});
  }

  /// file ::= NEWLINE* model (NEWLINE | ';')*
  std::unique_ptr<Model> parse_file() {
    skip_separators();
    if (tok().kind != Tok::KwModel) {
      error(tok().loc, tok().kind == Tok::End
                           ? std::string("empty file: expected 'model NAME { ... }'")
                           : fmt::format("expected 'model NAME {{' at the start of the file, found {}",
                                         describe(tok())));
      return nullptr;
    }
    auto model = parse_model();
    if (!model) return nullptr;
    skip_separators();
    if (tok().kind == Tok::KwModel) error(tok().loc, "only one model per file is allowed");
    else if (tok().kind != Tok::End && !diags_.should_stop())
      error(tok().loc, fmt::format("unexpected {} after the end of model '{}'", describe(tok()), model->name));
    return model;
  }

private:
  // ---- tokens ----
  /// The current token; inside ( ) and [ ] line breaks are not tokens.
  const Token &tok() {
    while (depth_ > 0 && tokens_[pos_].kind == Tok::Newline) ++pos_;
    return tokens_[pos_];
  }
  const Token &peek_next() {
    tok();
    size_t i = pos_ + 1;
    while (i < tokens_.size() && depth_ > 0 && tokens_[i].kind == Tok::Newline) ++i;
    return tokens_[std::min(i, tokens_.size() - 1)];
  }
  Token take() {
    Token t = tok();
    if (t.kind != Tok::End) ++pos_;
    if (t.kind == Tok::LParen || t.kind == Tok::LBracket) ++depth_;
    if ((t.kind == Tok::RParen || t.kind == Tok::RBracket) && depth_ > 0) --depth_;
    last_ = t.loc;
    return t;
  }
  bool at(Tok kind) { return tok().kind == kind; }
  bool accept(Tok kind) {
    if (!at(kind)) return false;
    take();
    return true;
  }
  static std::string describe(const Token &t) {
    switch (t.kind) {
    case Tok::Ident: return fmt::format("identifier '{}'", t.text);
    case Tok::Number: return fmt::format("number '{}'", t.text);
    default: return std::string(token_spelling(t.kind));
    }
  }
  void error(Location loc, std::string message) { diags_.error(loc, std::move(message)); }
  [[noreturn]] void fail(Location loc, std::string message) {
    error(loc, std::move(message));
    throw SyntaxError{};
  }
  Token expect(Tok kind, std::string_view context) {
    if (!at(kind))
      fail(tok().loc, fmt::format("expected {} {}, found {}", token_spelling(kind), context, describe(tok())));
    return take();
  }
  Location span_from(Location begin) const { return begin.through(last_); }
  void skip_separators() {
    while (at(Tok::Newline) || at(Tok::Semicolon)) take();
  }
  /// Error recovery: skip to the end of the current statement.
  void synchronize() {
    depth_ = 0;
    while (!at(Tok::End) && !at(Tok::Newline) && !at(Tok::Semicolon) && !at(Tok::RBrace)) take();
  }

  // ---- declarations ----
  /// model ::= 'model' IDENT '{' (stmt (NEWLINE | ';'))* '}'
  std::unique_ptr<Model> parse_model() {
    auto model = std::make_unique<Model>();
    model->loc = take().loc;
    try {
      Token name = expect(Tok::Ident, "(the model's name) after 'model'");
      model->name = name.text;
      model->loc = model->loc.through(name.loc);
      skip_newlines_only();
      expect(Tok::LBrace, fmt::format("to open model '{}'", model->name));
    } catch (const SyntaxError &) {
      return nullptr;
    }
    for (;;) {
      skip_separators();
      if (at(Tok::RBrace)) {
        take();
        return model;
      }
      if (at(Tok::End) || diags_.should_stop()) {
        if (!diags_.should_stop()) {
          error(tok().loc, fmt::format("expected '}}' to close model '{}'", model->name));
          diags_.note(model->loc, fmt::format("model '{}' starts here", model->name));
        }
        return model;
      }
      try {
        partial_.reset();
        model->stmts.push_back(parse_stmt());
        if (!at(Tok::Newline) && !at(Tok::Semicolon) && !at(Tok::RBrace) && !at(Tok::End))
          fail(tok().loc, fmt::format("expected end of statement, found {}", describe(tok())));
      } catch (const SyntaxError &) {
        if (partial_) model->stmts.push_back(std::move(*partial_));
        synchronize();
      }
    }
  }

  /// Remembers the name a statement defines, in case the rest fails to parse.
  void note_partial(StmtKind kind, const Location &loc, const NameRef &name) {
    partial_ = Stmt{kind, loc, name, {}, nullptr, {}};
    partial_->incomplete = true;
  }
  void skip_newlines_only() {
    while (at(Tok::Newline)) take();
  }

  /// stmt ::= input_decl | param_decl | def_decl | output_stmt | loss_stmt
  ///        | optimizer_stmt | assignment
  Stmt parse_stmt() {
    switch (tok().kind) {
    case Tok::KwInput: return parse_input();
    case Tok::KwParam: return parse_param();
    case Tok::KwDef: return parse_def();
    case Tok::KwOutput: return parse_output();
    case Tok::KwLoss: return parse_expr_stmt(StmtKind::Loss);
    case Tok::KwOptimizer: return parse_expr_stmt(StmtKind::Optimizer);
    case Tok::Ident:
      if (peek_next().kind == Tok::Equal) return parse_assignment();
      fail(tok().loc, fmt::format("expected a statement, found {}; did you mean '{} = ...'?",
                                  describe(tok()), tok().text));
    case Tok::KwModel: fail(tok().loc, "a model cannot contain another model");
    default:
      fail(tok().loc, fmt::format("expected a statement (input, param, def, output, loss, optimizer "
                                  "or NAME = EXPR), found {}",
                                  describe(tok())));
    }
  }

  /// input_decl ::= 'input' IDENT ':' type
  Stmt parse_input() {
    Stmt s{StmtKind::Input, take().loc, {}, {}, nullptr, {}};
    s.name = parse_name("after 'input'");
    note_partial(s.kind, s.loc, s.name);
    expect(Tok::Colon, fmt::format("after input '{}'", s.name.name));
    s.type = parse_type();
    return s;
  }

  /// param_decl ::= 'param' IDENT ':' type ('=' expr)?
  Stmt parse_param() {
    Stmt s{StmtKind::Param, take().loc, {}, {}, nullptr, {}};
    s.name = parse_name("after 'param'");
    note_partial(s.kind, s.loc, s.name);
    expect(Tok::Colon, fmt::format("after param '{}'", s.name.name));
    s.type = parse_type();
    if (accept(Tok::Equal)) s.value = parse_expr();
    return s;
  }

  /// def_decl ::= 'def' IDENT '(' (IDENT (',' IDENT)*)? ')' '=' expr
  Stmt parse_def() {
    Stmt s{StmtKind::Def, take().loc, {}, {}, nullptr, {}};
    s.name = parse_name("after 'def'");
    note_partial(s.kind, s.loc, s.name);
    expect(Tok::LParen, fmt::format("after 'def {}'", s.name.name));
    while (!at(Tok::RParen)) {
      s.names.push_back(parse_name("(a parameter name)"));
      if (!at(Tok::RParen)) expect(Tok::Comma, "between parameters");
    }
    take();
    expect(Tok::Equal, fmt::format("before the body of '{}'", s.name.name));
    s.value = parse_expr();
    return s;
  }

  /// output_stmt ::= 'output' IDENT (',' IDENT)*
  Stmt parse_output() {
    Stmt s{StmtKind::Output, take().loc, {}, {}, nullptr, {}};
    do s.names.push_back(parse_name("after 'output'"));
    while (accept(Tok::Comma));
    return s;
  }

  /// loss_stmt ::= 'loss' expr          optimizer_stmt ::= 'optimizer' expr
  Stmt parse_expr_stmt(StmtKind kind) {
    Stmt s{kind, take().loc, {}, {}, nullptr, {}};
    s.value = parse_expr();
    return s;
  }

  /// assignment ::= IDENT '=' expr
  Stmt parse_assignment() {
    Stmt s{StmtKind::Assign, tok().loc, {}, {}, nullptr, {}};
    s.name = parse_name("");
    note_partial(s.kind, s.loc, s.name);
    take(); // '='
    s.value = parse_expr();
    return s;
  }

  NameRef parse_name(std::string_view context) {
    if (!at(Tok::Ident)) {
      bool keyword = tok().kind >= Tok::KwModel && tok().kind <= Tok::KwFalse;
      fail(tok().loc, keyword ? fmt::format("{} is a keyword and cannot be used as a name", describe(tok()))
                              : fmt::format("expected a name {}, found {}", context, describe(tok())));
    }
    Token t = take();
    return NameRef{t.text, t.loc};
  }

  /// type ::= IDENT ('[' (dim (',' dim)*)? ']')?       dim ::= INTEGER | IDENT
  TypeSyntax parse_type() {
    TypeSyntax t;
    if (!at(Tok::Ident)) fail(tok().loc, fmt::format("expected a type such as f32[N, 2], found {}", describe(tok())));
    Token dt = take();
    t.dtype = dt.text;
    t.loc = dt.loc;
    if (!at(Tok::LBracket)) return t;
    take();
    while (!at(Tok::RBracket)) {
      DimSyntax d;
      d.loc = tok().loc;
      if (at(Tok::Ident)) {
        d.symbol = take().text;
      } else if (at(Tok::Number)) {
        Token n = take();
        if (!n.is_integer) fail(n.loc, fmt::format("dimension '{}' must be a whole number or a symbolic name", n.text));
        d.size = n.integer;
      } else {
        fail(tok().loc, fmt::format("expected a dimension (a number or a name such as N), found {}", describe(tok())));
      }
      t.dims.push_back(std::move(d));
      if (!at(Tok::RBracket)) expect(Tok::Comma, "between dimensions");
    }
    take();
    t.loc = span_from(t.loc);
    return t;
  }

  // ---- expressions, lowest precedence first ----
  struct DepthGuard {
    Parser &p;
    explicit DepthGuard(Parser &parser, Location loc) : p(parser) {
      if (++p.nesting_ > kMaxNesting) {
        --p.nesting_;
        p.fail(loc, fmt::format("expression is nested too deeply (more than {} levels)", kMaxNesting));
      }
    }
    ~DepthGuard() { --p.nesting_; }
  };

  /// expr ::= term (('+' | '-') term)*
  ExprPtr parse_expr() {
    DepthGuard guard(*this, tok().loc);
    ExprPtr lhs = parse_term();
    while (at(Tok::Plus) || at(Tok::Minus)) lhs = parse_binary_rest(std::move(lhs), &Parser::parse_term);
    return lhs;
  }

  /// term ::= unary (('*' | '/' | '@') unary)*
  ExprPtr parse_term() {
    ExprPtr lhs = parse_unary();
    while (at(Tok::Star) || at(Tok::Slash) || at(Tok::At))
      lhs = parse_binary_rest(std::move(lhs), &Parser::parse_unary);
    return lhs;
  }

  ExprPtr parse_binary_rest(ExprPtr lhs, ExprPtr (Parser::*operand)()) {
    Token op = take();
    ExprPtr rhs = (this->*operand)();
    return make_binary(std::move(lhs), op, std::move(rhs));
  }

  /// Records the subtree height; every later stage recurses over it.
  ExprPtr finish(ExprPtr e) {
    for (const ExprPtr &a : e->args) e->depth = std::max(e->depth, a->depth + 1);
    for (const KeywordArg &k : e->kwargs) e->depth = std::max(e->depth, k.value->depth + 1);
    if (e->depth > kMaxTreeDepth)
      fail(e->loc, fmt::format("expression is too deep (more than {} operations in a chain)", kMaxTreeDepth));
    return e;
  }

  ExprPtr make_binary(ExprPtr lhs, const Token &op, ExprPtr rhs) {
    auto e = std::make_unique<Expr>();
    e->kind = ExprKind::Binary;
    e->text = op.text;
    e->name_loc = op.loc;
    e->loc = lhs->loc.through(rhs->loc);
    e->args.push_back(std::move(lhs));
    e->args.push_back(std::move(rhs));
    return finish(std::move(e));
  }

  /// unary ::= '-' unary | power
  ExprPtr parse_unary() {
    DepthGuard guard(*this, tok().loc);
    if (!at(Tok::Minus)) return parse_power();
    Token op = take();
    auto e = std::make_unique<Expr>();
    e->kind = ExprKind::Unary;
    e->text = "-";
    e->name_loc = op.loc;
    e->args.push_back(parse_unary());
    e->loc = op.loc.through(e->args[0]->loc);
    return finish(std::move(e));
  }

  /// power ::= postfix ('**' unary)?        (right associative)
  ExprPtr parse_power() {
    ExprPtr base = parse_postfix();
    if (!at(Tok::StarStar)) return base;
    Token op = take();
    return make_binary(std::move(base), op, parse_unary());
  }

  /// postfix ::= primary ('.' 'T')*
  ExprPtr parse_postfix() {
    ExprPtr e = parse_primary();
    while (at(Tok::Dot)) {
      take();
      Token t = tok();
      if (t.kind != Tok::Ident || t.text != "T")
        fail(t.loc, fmt::format("expected 'T' after '.' (transpose), found {}", describe(t)));
      take();
      auto tr = std::make_unique<Expr>();
      tr->kind = ExprKind::Transpose;
      tr->name_loc = t.loc;
      tr->loc = e->loc.through(t.loc);
      tr->args.push_back(std::move(e));
      e = finish(std::move(tr));
    }
    return e;
  }

  /// primary ::= NUMBER | 'true' | 'false' | IDENT | call | '(' expr ')' | '[' (expr (',' expr)*)? ']'
  ExprPtr parse_primary() {
    auto e = std::make_unique<Expr>();
    Token t = tok();
    e->loc = t.loc;
    switch (t.kind) {
    case Tok::Number:
      take();
      e->kind = ExprKind::Number;
      e->text = t.text;
      e->number = t.number;
      e->is_integer = t.is_integer;
      e->integer = t.integer;
      return e;
    case Tok::KwTrue:
    case Tok::KwFalse:
      take();
      e->kind = ExprKind::Bool;
      e->boolean = t.kind == Tok::KwTrue;
      e->text = t.text;
      return e;
    case Tok::Ident:
      take();
      e->text = t.text;
      e->name_loc = t.loc;
      if (at(Tok::LParen)) return parse_call(std::move(e));
      e->kind = ExprKind::Name;
      return e;
    case Tok::LParen: {
      take();
      ExprPtr inner = parse_expr();
      expect(Tok::RParen, "to close '('");
      inner->loc = span_from(t.loc); // carets cover the parentheses too
      return inner;
    }
    case Tok::LBracket: {
      take();
      e->kind = ExprKind::List;
      while (!at(Tok::RBracket)) {
        e->args.push_back(parse_expr());
        if (!at(Tok::RBracket)) expect(Tok::Comma, "between list items");
      }
      take();
      e->loc = span_from(e->loc);
      return finish(std::move(e));
    }
    default:
      fail(t.loc, fmt::format("expected an expression, found {}", describe(t)));
    }
  }

  /// call ::= IDENT '(' (arg (',' arg)*)? ')'       arg ::= (IDENT '=')? expr
  ExprPtr parse_call(ExprPtr callee) {
    callee->kind = ExprKind::Call;
    take(); // '('
    while (!at(Tok::RParen)) {
      if (at(Tok::Ident) && peek_next().kind == Tok::Equal) {
        Token key = take();
        take();
        callee->kwargs.push_back(KeywordArg{key.text, key.loc, parse_expr()});
      } else {
        if (!callee->kwargs.empty())
          fail(tok().loc, "positional argument after a keyword argument");
        callee->args.push_back(parse_expr());
      }
      if (!at(Tok::RParen)) expect(Tok::Comma, fmt::format("between the arguments of '{}'", callee->text));
    }
    take();
    callee->loc = span_from(callee->loc);
    return finish(std::move(callee));
  }

  DiagnosticEngine &diags_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;   // open ( and [ — line breaks inside are ignored
  int nesting_ = 0; // expression recursion depth
  Location last_;
  std::optional<Stmt> partial_;
};

} // namespace

std::unique_ptr<ast::Model> parse_model(uint32_t file, const SourceManager &sources,
                                        DiagnosticEngine &diags) {
  Parser parser(file, sources, diags);
  return parser.parse_file();
}

} // namespace nncc::frontend
