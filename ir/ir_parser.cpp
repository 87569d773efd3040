#include "ir/ir_parser.h"

#include "ir/builder.h"
#include "ir/ir_lexer.h"
#include "ir/type_limits.h"

#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <set>
#include <unordered_map>

namespace nncc::ir {
namespace {

struct ParseFailure {};

class IrParser {
public:
  IrParser(std::string_view text, uint32_t file, DiagnosticEngine &diags)
      : lexer_(text, file), diags_(diags) {
    tok_ = lexer_.next();
  }

  /// module ::= 'module' SYMBOL '{' item* '}'
  std::unique_ptr<Module> parse() {
    auto module = std::make_unique<Module>();
    expect_ident("module");
    module->name = expect(IrTok::Symbol, "a module name (@name)").text;
    expect_punct("{");
    while (!is_punct("}")) parse_item(*module);
    expect_punct("}");
    if (tok_.kind != IrTok::End) fail(tok_.loc, "expected end of file after the module");
    return module;
  }

private:
  // ---- token helpers ----
  [[noreturn]] void fail(Location loc, std::string message) {
    diags_.error(loc, std::move(message));
    throw ParseFailure{};
  }
  std::string describe(const IrToken &t) const {
    switch (t.kind) {
    case IrTok::End: return "end of file";
    case IrTok::ValueRef: return fmt::format("'%{}'", t.text);
    case IrTok::Symbol: return fmt::format("'@{}'", t.text);
    case IrTok::String: return "a string";
    default: return fmt::format("'{}'", t.text);
    }
  }
  IrToken take() {
    IrToken t = tok_;
    tok_ = lexer_.next();
    return t;
  }
  bool is_punct(std::string_view p) const { return tok_.kind == IrTok::Punct && tok_.text == p; }
  bool is_ident(std::string_view w) const { return tok_.kind == IrTok::Ident && tok_.text == w; }
  IrToken expect(IrTok kind, std::string_view what) {
    if (tok_.kind != kind) fail(tok_.loc, fmt::format("expected {}, found {}", what, describe(tok_)));
    return take();
  }
  void expect_punct(std::string_view p) {
    if (!is_punct(p)) fail(tok_.loc, fmt::format("expected '{}', found {}", p, describe(tok_)));
    take();
  }
  void expect_ident(std::string_view w) {
    if (!is_ident(w)) fail(tok_.loc, fmt::format("expected '{}', found {}", w, describe(tok_)));
    take();
  }
  int64_t parse_int(const IrToken &t) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
    if (ec != std::errc() || p != t.text.data() + t.text.size())
      fail(t.loc, fmt::format("integer {} is out of range", t.text));
    return v;
  }

  /// A float token as the lexer took it ("1.5e-3"; also "..0", which is no number).
  double parse_float(const IrToken &t) {
    double v = 0;
    auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
    if (ec != std::errc() || p != t.text.data() + t.text.size()) fail(t.loc, fmt::format("malformed number '{}'", t.text));
    return v;
  }

  /// item ::= 'source' STRING | param_decl | optimizer_decl | func
  void parse_item(Module &m) {
    if (is_ident("source")) {
      take();
      m.source_file = expect(IrTok::String, "a string").text;
    } else if (is_ident("param")) {
      parse_param_decl(m);
    } else if (is_ident("state")) {
      parse_state_decl(m);
    } else if (is_ident("optimizer")) {
      parse_optimizer(m);
    } else if (is_ident("func")) {
      parse_function(m);
    } else {
      fail(tok_.loc, fmt::format("expected 'source', 'param', 'state', 'optimizer' or 'func', found {}",
                                 describe(tok_)));
    }
  }

  /// param_decl ::= 'param' SYMBOL ':' type '=' IDENT attrs? loc?
  void parse_param_decl(Module &m) {
    take();
    ParamDecl p;
    IrToken name = expect(IrTok::Symbol, "a param name (@name)");
    p.name = name.text;
    if (m.find_param(p.name)) fail(name.loc, fmt::format("param '@{}' is declared twice", p.name));
    expect_punct(":");
    p.type = parse_type();
    expect_punct("=");
    IrToken kind = expect(IrTok::Ident, "an initializer");
    const auto *info = find_decl_kind(all_initializers(), kind.text);
    if (!info) fail(kind.loc, fmt::format("unknown initializer '{}'", kind.text));
    p.init.kind = info->kind;
    p.init.attrs = parse_attrs(info->attrs, info->name);
    p.loc = parse_loc();
    m.params.push_back(std::move(p));
  }

  /// state_decl ::= 'state' SYMBOL ':' type '=' NUMBER loc?
  void parse_state_decl(Module &m) {
    take();
    StateDecl st;
    IrToken name = expect(IrTok::Symbol, "a state name (@name)");
    st.name = name.text;
    if (m.find_state(st.name) || m.find_param(st.name)) fail(name.loc, fmt::format("'@{}' is declared twice", st.name));
    expect_punct(":");
    st.type = parse_type();
    expect_punct("=");
    IrToken value = tok_;
    AttrValue v = parse_attr_value();
    if (!std::holds_alternative<int64_t>(v) && !std::holds_alternative<double>(v)) fail(value.loc, "expected the state's initial value (a number)");
    st.initial = attr_float(v);
    st.loc = parse_loc();
    m.states.push_back(std::move(st));
  }

  /// optimizer_decl ::= 'optimizer' IDENT attrs? loc?
  void parse_optimizer(Module &m) {
    IrToken kw = take();
    if (m.optimizer) fail(kw.loc, "a module has at most one optimizer");
    IrToken kind = expect(IrTok::Ident, "an optimizer");
    const auto *info = find_decl_kind(all_optimizers(), kind.text);
    if (!info) fail(kind.loc, fmt::format("unknown optimizer '{}'", kind.text));
    OptimizerDecl opt;
    opt.kind = info->kind;
    opt.attrs = parse_attrs(info->attrs, info->name);
    opt.loc = parse_loc();
    m.optimizer = std::move(opt);
  }

  /// func ::= 'func' SYMBOL '(' (argument (',' argument)*)? ')' '{' instr* return '}'
  void parse_function(Module &m) {
    take();
    IrToken name = expect(IrTok::Symbol, "a function name (@name)");
    if (m.find_function(name.text)) fail(name.loc, fmt::format("function '@{}' is defined twice", name.text));
    Function &fn = m.add_function(name.text);
    values_.clear();
    expect_punct("(");
    while (!is_punct(")")) {
      parse_argument(fn);
      if (!is_punct(")")) expect_punct(",");
    }
    take();
    expect_punct("{");
    std::set<int64_t> regions;
    while (!is_ident("return")) {
      if (is_ident("region")) parse_region(fn, regions);
      else parse_instr(fn);
    }
    parse_return(fn);
    expect_punct("}");
  }

  /// region ::= 'region' INTEGER '{' instr* '}'   (a fused region: one kernel)
  void parse_region(Function &fn, std::set<int64_t> &seen) {
    take();
    IrToken number = expect(IrTok::Integer, "a region number");
    int64_t id = parse_int(number);
    if (id < 1 || id > INT32_MAX) fail(number.loc, "region numbers start at 1");
    if (!seen.insert(id).second) fail(number.loc, fmt::format("region {} appears twice", id));
    expect_punct("{");
    while (!is_punct("}")) {
      parse_instr(fn);
      fn.body().back()->region = static_cast<int>(id);
    }
    take();
  }

  /// argument ::= ('input' | 'param' | 'state') VALUE ':' type loc?
  void parse_argument(Function &fn) {
    ValueKind kind;
    if (is_ident("input")) kind = ValueKind::Input;
    else if (is_ident("param")) kind = ValueKind::Param;
    else if (is_ident("state")) kind = ValueKind::State;
    else fail(tok_.loc, fmt::format("expected 'input', 'param' or 'state', found {}", describe(tok_)));
    take();
    IrToken name = expect(IrTok::ValueRef, "a value name (%name)");
    expect_punct(":");
    Type type = parse_type();
    Location loc = parse_loc();
    define(name, fn.add_argument(kind, source_name(name.text), std::move(type), loc));
  }

  /// instr ::= VALUE '=' IDENT '(' (VALUE (',' VALUE)*)? ')' attrs? ':' type 'blocked'? loc?
  void parse_instr(Function &fn) {
    IrToken name = expect(IrTok::ValueRef, "a value definition (%name = ...) or 'return'");
    expect_punct("=");
    IrToken opname = expect(IrTok::Ident, "an op name");
    const OpInfo *info = find_op(opname.text);
    if (!info) fail(opname.loc, fmt::format("unknown op '{}'", opname.text));
    expect_punct("(");
    std::vector<Value *> operands;
    while (!is_punct(")")) {
      operands.push_back(use(expect(IrTok::ValueRef, "an operand (%name)")));
      if (!is_punct(")")) expect_punct(",");
    }
    take();
    Attrs attrs = parse_attrs(info->attrs, info->name);
    expect_punct(":");
    Location type_loc = tok_.loc;
    Type declared = parse_type();
    bool blocked = is_ident("blocked");
    if (blocked) take();
    Location loc = parse_loc();
    Builder b(fn);
    BuildResult r = b.try_create(info->kind, std::move(operands), std::move(attrs), loc,
                                 source_name(name.text));
    // A comment at the end of the line is the value's note.
    if (r.value)
      for (const IrLexer::Comment &c : lexer_.skipped_comments())
        if (c.line == name.loc.line) r.value->note = c.text;
    if (!r.value) fail(opname.loc, r.error.message);
    if (r.value->type != declared)
      fail(type_loc, fmt::format("declared type {} does not match the inferred type {}",
                                 declared.str(), r.value->type.str()));
    if (blocked) r.value->layout = Layout::Blocked;
    define(name, r.value);
  }

  /// return ::= 'return' (IDENT '=' VALUE (',' IDENT '=' VALUE)*)?
  void parse_return(Function &fn) {
    take();
    if (is_punct("}")) return;
    for (;;) {
      IrToken name = expect(IrTok::Ident, "a result name");
      if (fn.find_result(name.text)) fail(name.loc, fmt::format("result '{}' is returned twice", name.text));
      expect_punct("=");
      fn.add_result(name.text, use(expect(IrTok::ValueRef, "a value (%name)")));
      if (!is_punct(",")) break;
      take();
    }
  }

  /// type ::= DTYPE ('[' (dim (',' dim)*)? ']')?     dim ::= INTEGER | IDENT
  Type parse_type() {
    IrToken dt = expect(IrTok::Ident, "a type (f32, f64 or i32)");
    auto dtype = parse_dtype(dt.text);
    if (!dtype) fail(dt.loc, fmt::format("unknown dtype '{}'", dt.text));
    Type t{*dtype, {}};
    if (!is_punct("[")) return t;
    take();
    while (!is_punct("]")) {
      t.shape.push_back(parse_dim(/*in_attribute=*/false));
      if (!is_punct("]")) expect_punct(",");
    }
    take();
    if (!fixed_size_fits(t)) fail(dt.loc, "type " + too_large_message(t));
    return t;
  }

  /// A dimension of a type (a symbol or a positive size), or an item of an
  /// attribute list (any integer: reshape's -1, a padding of 0; the op's
  /// type rule judges it).
  Dim parse_dim(bool in_attribute) {
    if (tok_.kind == IrTok::Ident) return Dim::named(take().text);
    IrToken t = expect(IrTok::Integer, "a dimension");
    int64_t n = parse_int(t);
    if (n <= 0 && !in_attribute) fail(t.loc, fmt::format("invalid dimension {}", n));
    return Dim::fixed(n);
  }

  /// attrs ::= '{' (IDENT '=' attr_value (',' IDENT '=' attr_value)*)? '}'
  Attrs parse_attrs(const std::vector<AttrSpec> &specs, std::string_view owner) {
    Attrs attrs = default_attrs(specs);
    std::vector<bool> given(specs.size(), false);
    if (is_punct("{")) {
      take();
      while (!is_punct("}")) {
        IrToken key = expect(IrTok::Ident, "an attribute name");
        int i = find_attr(specs, key.text);
        if (i < 0) fail(key.loc, fmt::format("'{}' has no attribute '{}'", owner, key.text));
        expect_punct("=");
        Location vloc = tok_.loc;
        auto value = coerce_attr(specs[static_cast<size_t>(i)], parse_attr_value());
        if (!value)
          fail(vloc, fmt::format("attribute '{}' must be {}", key.text,
                                 attr_kind_name(specs[static_cast<size_t>(i)].kind)));
        attrs[static_cast<size_t>(i)] = *value;
        given[static_cast<size_t>(i)] = true;
        if (!is_punct("}")) expect_punct(",");
      }
      take();
    }
    for (size_t i = 0; i < specs.size(); ++i)
      if (!given[i] && !specs[i].default_value)
        fail(tok_.loc, fmt::format("'{}' needs attribute '{}'", owner, specs[i].name));
    return attrs;
  }

  /// attr_value ::= INTEGER | FLOAT | 'true' | 'false' | 'none' | 'inf' | 'nan' | DTYPE | '[' dims ']'
  AttrValue parse_attr_value() {
    if (tok_.kind == IrTok::Integer) return parse_int(take());
    if (tok_.kind == IrTok::Float) return parse_float(take());
    if (is_punct("-") ) {
      take();
      if (is_ident("inf")) return take(), -INFINITY;
      fail(tok_.loc, "expected 'inf' after '-'");
    }
    if (is_punct("[")) {
      take();
      std::vector<Dim> dims;
      while (!is_punct("]")) {
        dims.push_back(parse_dim(/*in_attribute=*/true));
        if (!is_punct("]")) expect_punct(",");
      }
      take();
      return dims;
    }
    IrToken t = expect(IrTok::Ident, "an attribute value");
    if (t.text == "true") return true;
    if (t.text == "false") return false;
    if (t.text == "none") return NoneAttr{};
    if (t.text == "inf") return INFINITY;
    if (t.text == "nan") return NAN;
    if (auto d = parse_dtype(t.text)) return *d;
    fail(t.loc, fmt::format("unexpected attribute value '{}'", t.text));
  }

  /// loc ::= ('loc' '(' INTEGER ':' INTEGER ')')?
  Location parse_loc() {
    if (!is_ident("loc")) return {};
    take();
    expect_punct("(");
    int64_t line = parse_int(expect(IrTok::Integer, "a line number"));
    expect_punct(":");
    int64_t col = parse_int(expect(IrTok::Integer, "a column number"));
    expect_punct(")");
    if (line <= 0 || col <= 0 || line > UINT32_MAX || col > UINT32_MAX) fail(tok_.loc, "invalid location");
    return Location{0, static_cast<uint32_t>(line), static_cast<uint32_t>(col), 1};
  }

  // ---- values ----
  /// Numbered values (%3) are temporaries; others keep their source name.
  static std::string source_name(const std::string &ref) {
    return !ref.empty() && std::isdigit(static_cast<unsigned char>(ref[0])) ? std::string{} : ref;
  }
  void define(const IrToken &name, Value *v) {
    if (!values_.emplace(name.text, v).second)
      fail(name.loc, fmt::format("value '%{}' is defined twice", name.text));
  }
  Value *use(const IrToken &name) {
    auto it = values_.find(name.text);
    if (it == values_.end()) fail(name.loc, fmt::format("use of undefined value '%{}'", name.text));
    return it->second;
  }

  IrLexer lexer_;
  DiagnosticEngine &diags_;
  IrToken tok_;
  std::unordered_map<std::string, Value *> values_;
};

} // namespace

std::unique_ptr<Module> parse_module(uint32_t file, const SourceManager &sources,
                                     DiagnosticEngine &diags) {
  IrParser parser(sources.text(file), file, diags);
  try {
    return parser.parse();
  } catch (const ParseFailure &) {
    return nullptr;
  }
}

} // namespace nncc::ir
