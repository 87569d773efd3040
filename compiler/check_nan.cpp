#include "compiler/check_nan.h"

#include "ir/diagnostics.h"
#include "ir/printer.h"

#include <fmt/format.h>
#include <unordered_set>

namespace nncc::compiler {

std::string_view phase_name(Phase phase) {
  switch (phase) {
  case Phase::Forward: return "forward";
  case Phase::Backward: return "backward";
  case Phase::Update: return "update";
  }
  return "?";
}

namespace {

/// Every value `roots` depend on (roots included).
std::unordered_set<const ir::Value *> ancestors(std::vector<const ir::Value *> roots) {
  std::unordered_set<const ir::Value *> seen;
  while (!roots.empty()) {
    const ir::Value *v = roots.back();
    roots.pop_back();
    if (!seen.insert(v).second) continue;
    for (const ir::Value *o : v->operands) roots.push_back(o);
  }
  return seen;
}

std::string_view line_of(std::string_view text, uint32_t line_no) {
  for (uint32_t n = 1; n < line_no; ++n) {
    size_t end = text.find('\n');
    if (end == std::string_view::npos) return {};
    text.remove_prefix(end + 1);
  }
  return text.substr(0, text.find('\n'));
}

/// "FILE:LINE:COL: note: NOTE" and the source line with its caret (no
/// final line break).
std::string located_note(const ir::Module &module, const ir::Value &v, std::string_view note) {
  std::string file = module.source_file.empty() ? "<model>" : module.source_file;
  if (!v.loc.known()) return fmt::format("{}: note: {}", file, note);
  std::string out = fmt::format("{}:{}:{}: note: {}\n{}", file, v.loc.line, v.loc.col, note,
                                source_excerpt(line_of(module.source_text, v.loc.line), v.loc));
  while (out.ends_with('\n')) out.pop_back();
  return out;
}

bool checked_dtype(ir::DType d) { return d == ir::DType::F32 || d == ir::DType::F64 || d == ir::DType::BF16; }

} // namespace

std::unordered_map<const ir::Value *, Phase> phases(const ir::Module &module, const ir::Function &fn) {
  auto by_optimizer = [&](const ir::Value *v) {
    return module.optimizer && module.optimizer->loc.known() && v->loc.line == module.optimizer->loc.line;
  };
  std::vector<const ir::Value *> loss, needed_by_update;
  for (const ir::FunctionResult &r : fn.results()) {
    if (r.name == "loss") loss.push_back(r.value);
    else if (r.name.starts_with("d_")) needed_by_update.push_back(r.value);
  }
  for (const ir::Value *v : fn.body())
    if (by_optimizer(v)) needed_by_update.push_back(v);
  std::unordered_set<const ir::Value *> forward = ancestors(loss), backward = ancestors(needed_by_update);
  std::unordered_map<const ir::Value *, Phase> out;
  for (const ir::Value *v : fn.body())
    out[v] = by_optimizer(v) ? Phase::Update : forward.count(v) || !backward.count(v) ? Phase::Forward : Phase::Backward;
  return out;
}

CheckSites::CheckSites(const ir::Module &module, const ir::Function &fn) {
  ir::ValueNames names(fn);
  for (const ir::Value *a : fn.arguments()) {
    if (!checked_dtype(a->type.dtype)) continue;
    std::string kind(ir::value_kind_name(a->kind));
    sites_[a] = {fmt::format("{} {} : {}", kind, names[a], a->type.str()),
                 located_note(module, *a, fmt::format("{} '{}' is declared here", kind, a->name))};
  }
  auto phase = phases(module, fn);
  for (const ir::Value *v : fn.body()) {
    if (!checked_dtype(v->type.dtype) || v->op == ir::OpKind::Const) continue;
    std::vector<std::string> operands;
    for (const ir::Value *o : v->operands) operands.push_back(names[o]);
    std::string note = !v->note.empty() ? v->note : !v->name.empty() ? fmt::format("'{}' is computed here", v->name)
                                                                       : std::string("computed for this expression");
    sites_[v] = {fmt::format("{} value {} = {}({}) : {}", phase_name(phase.at(v)), names[v], v->info().name,
                             fmt::join(operands, ", "), v->type.str()),
                 located_note(module, *v, note)};
  }
}

const CheckSite *CheckSites::find(const ir::Value *v) const {
  auto it = sites_.find(v);
  return it == sites_.end() ? nullptr : &it->second;
}

} // namespace nncc::compiler
