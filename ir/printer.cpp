#include "ir/printer.h"

#include <fmt/format.h>
#include <set>

namespace nncc::ir {
namespace {

constexpr size_t kLocColumn = 56;

std::string format_loc(const Location &loc) {
  return loc.known() ? fmt::format("loc({}:{})", loc.line, loc.col) : std::string{};
}

std::string format_attrs(const std::vector<AttrSpec> &specs, const Attrs &attrs) {
  if (specs.empty()) return {};
  std::string out = " {";
  for (size_t i = 0; i < specs.size() && i < attrs.size(); ++i)
    out += fmt::format("{}{} = {}", i ? ", " : "", specs[i].name, format_attr(attrs[i]));
  return out + "}";
}

/// "text" padded so that locations line up in a column.
std::string with_loc(std::string text, const Location &loc) {
  if (!loc.known()) return text;
  if (text.size() < kLocColumn) text.resize(kLocColumn, ' ');
  else text += "  ";
  return text + format_loc(loc);
}

} // namespace

std::string describe_region(std::span<Value *const> body, size_t first) {
  size_t end = first;
  const Value *primitive = nullptr, *row = nullptr;
  for (; end < body.size() && body[end]->region == body[first]->region; ++end) {
    if (body[end]->info().lowering == Lowering::Primitive) primitive = body[end];
    if (body[end]->info().lowering == Lowering::Row) row = body[end];
  }
  const Value &root = *body[end - 1];
  size_t ops = end - first;
  if (primitive && root.info().lowering == Lowering::Reduce)
    return fmt::format("{} summing its batch axes: {} ops, one call", primitive->info().name, ops);
  if (primitive) return fmt::format("{} with its epilogue: {} ops, one call", primitive->info().name, ops);
  if (root.info().lowering == Lowering::Row)
    return fmt::format("{} of a chain computed in each pass: {} ops, one kernel over the rows of {}", root.info().name, ops, root.type.str());
  if (row) return fmt::format("{} with the chain after it in its last pass: {} ops, one kernel over the rows of {}", row->info().name, ops, root.type.str());
  if (root.info().lowering == Lowering::Reduce)
    return fmt::format("{} ops, one loop over {} reducing into {}", ops, root.operands[0]->type.str(), root.type.str());
  return fmt::format("{} ops, one loop over {}", ops, root.type.str());
}

std::string escape_quotes(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string quote_string(std::string_view s) { return "\"" + escape_quotes(s) + "\""; }

ValueNames::ValueNames(const Function &fn) {
  std::set<std::string> used;
  int next_temp = 0;
  auto assign = [&](const Value *v) {
    std::string name;
    if (v->name.empty()) {
      name = std::to_string(next_temp++);
    } else {
      name = v->name;
      for (int k = 1; used.count(name); ++k) name = fmt::format("{}.{}", v->name, k);
    }
    used.insert(name);
    names_[v] = "%" + name;
  };
  for (const Value *v : fn.arguments()) assign(v);
  for (const Value *v : fn.body()) assign(v);
}

std::string format_initializer(const Initializer &init) {
  const auto &info = init_info(init.kind);
  return std::string(info.name) + format_attrs(info.attrs, init.attrs);
}

std::string print_function(const Function &fn) {
  ValueNames names(fn);
  std::string out = fmt::format("  func @{}(\n", fn.name());
  const auto &args = fn.arguments();
  for (size_t i = 0; i < args.size(); ++i) {
    const Value *a = args[i];
    std::string text = fmt::format("      {} {} : {}", value_kind_name(a->kind),
                                   names[a], a->type.str());
    out += with_loc(std::move(text), a->loc) + (i + 1 < args.size() ? ",\n" : "\n");
  }
  out += "  ) {\n";
  const auto &body = fn.body();
  for (size_t i = 0; i < body.size(); ++i) {
    const Value *v = body[i];
    bool opens = v->region && (i == 0 || body[i - 1]->region != v->region);
    bool closes = v->region && (i + 1 == body.size() || body[i + 1]->region != v->region);
    if (opens) out += fmt::format("    region {} {{  # {}\n", v->region, describe_region(body, i));
    std::string operands;
    for (size_t k = 0; k < v->operands.size(); ++k)
      operands += (k ? ", " : "") + names[v->operands[k]];
    std::string text = fmt::format("{}{} = {}({}){} : {}", v->region ? "      " : "    ", names[v], v->info().name, operands,
                                   format_attrs(v->info().attrs, v->attrs), v->type.str());
    if (v->layout == Layout::Blocked) text += " blocked";
    text = with_loc(std::move(text), v->loc);
    if (!v->note.empty()) text += "  # " + v->note;
    out += text + "\n";
    if (closes) out += "    }\n";
  }
  out += "    return";
  for (size_t i = 0; i < fn.results().size(); ++i) {
    const FunctionResult &r = fn.results()[i];
    out += fmt::format("{} {} = {}", i ? "," : "", r.name, names[r.value]);
  }
  out += "\n  }\n";
  return out;
}

std::string print_module(const Module &module) {
  std::string out = fmt::format("module @{} {{\n", module.name);
  if (!module.source_file.empty()) out += fmt::format("  source {}\n", quote_string(module.source_file));
  for (const ParamDecl &p : module.params)
    out += with_loc(fmt::format("  param @{} : {} = {}", p.name, p.type.str(),
                                format_initializer(p.init)),
                    p.loc) +
           "\n";
  for (const StateDecl &s : module.states)
    out += with_loc(fmt::format("  state @{} : {} = {}", s.name, s.type.str(), format_attr(s.initial)), s.loc) + "\n";
  if (module.optimizer) {
    const auto &info = optimizer_info(module.optimizer->kind);
    out += with_loc(fmt::format("  optimizer {}{}", info.name,
                                format_attrs(info.attrs, module.optimizer->attrs)),
                    module.optimizer->loc) +
           "\n";
  }
  for (const auto &fn : module.functions()) out += "\n" + print_function(*fn);
  return out + "}\n";
}

} // namespace nncc::ir
