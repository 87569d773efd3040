// nncc check FILE.nn — parse and type-check, print diagnostics and a summary.
#include "tools/nncc/common.h"

#include <fmt/format.h>

namespace nncc::tool {

namespace {

std::string summary(const std::string &path, const ir::Module &m) {
  const ir::Function &fwd = *m.find_function("forward");
  int inputs = 0;
  for (const ir::Value *a : fwd.arguments()) inputs += a->kind == ir::ValueKind::Input;
  int64_t weights = 0;
  for (const ir::ParamDecl &p : m.params) weights += ir::static_numel(p.type.shape).value_or(0);
  std::string outputs;
  for (const ir::FunctionResult &r : fwd.results())
    if (r.name != "loss" && !m.find_state(r.name)) outputs += (outputs.empty() ? "" : ", ") + r.name;
  std::string states = m.states.empty() ? "" : fmt::format(" and {} running statistics", m.states.size());
  return fmt::format("{}: model '{}' is well-formed: {} input{}, {} param{} ({} weights){}, {} ops, "
                     "outputs [{}], {}, {}\n",
                     path, m.name, inputs, inputs == 1 ? "" : "s", m.params.size(),
                     m.params.size() == 1 ? "" : "s", weights, states, fwd.body().size(), outputs,
                     fwd.find_result("loss") ? "a loss" : "no loss",
                     m.optimizer ? fmt::format("optimizer {}", ir::optimizer_info(m.optimizer->kind).name)
                                 : std::string("no optimizer"));
}

} // namespace

void add_check_command(CLI::App &app, int &status) {
  auto *cmd = app.add_subcommand("check", "Parse and type-check a .nn file; print diagnostics");
  auto path = std::make_shared<std::string>();
  auto quiet = std::make_shared<bool>(false);
  cmd->add_option("file", *path, "the .nn model file")->required();
  cmd->add_flag("-q,--quiet", *quiet, "print nothing when the file is well-formed");
  cmd->callback([path, quiet, &status] {
    CompiledFile f;
    compile_file(*path, f);
    if (!f.result.module) {
      status = kUserError;
      return;
    }
    if (!*quiet) fmt::print("{}", summary(*path, *f.result.module));
    status = kSuccess;
  });
}

} // namespace nncc::tool
