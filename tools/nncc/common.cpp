#include "tools/nncc/common.h"

#include "nncc/nncc.hpp"

#include <cstdio>
#include <fmt/format.h>
#include <fstream>

namespace nncc::tool {

void print_diagnostics(const DiagnosticEngine &diags) {
  std::string text = diags.render();
  std::fwrite(text.data(), 1, text.size(), stderr);
}

void compile_file(const std::string &path, CompiledFile &out) {
  if (auto file = frontend::load_file(path, out.sources, out.diags))
    out.result = frontend::compile_source(*file, out.sources, out.diags);
  print_diagnostics(out.diags);
}

bool require_loss(const std::string &path, const ir::Module &module, std::string_view what) {
  if (module.find_function("forward")->find_result("loss")) return true;
  fmt::print(stderr, "{}: error: model '{}' has no loss: there is nothing to {}\n", path, module.name, what);
  return false;
}

ir::Module *compile_trainable(const std::string &path, CompiledFile &file, std::string_view what) {
  compile_file(path, file);
  if (!file.result.module || !require_loss(path, *file.result.module, what)) return nullptr;
  if (!file.result.module->optimizer) {
    fmt::print(stderr, "{}: error: model '{}' has no optimizer: there is nothing to {}\n", path, file.result.module->name, what);
    return nullptr;
  }
  return file.result.module.get();
}

void add_threads_option(CLI::App &cmd, int &threads) {
  cmd.add_option("--threads", threads, "threads of oneDNN and the generated loops (0: $OMP_NUM_THREADS if set, else all cores)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
}

void add_code_options(CLI::App &cmd, CodeOptions &options) {
  cmd.add_option("--precision", options.precision,
                 "f32, or bf16: matrix products in bf16 through oneDNN (AMX or avx512_bf16) with f32 accumulation, "
                 "f32 master weights and optimizer state")
      ->check(CLI::IsMember({"f32", "bf16"}))
      ->capture_default_str();
  cmd.add_flag("--check-nan", options.check_nan,
               "check every value the code computes and stop at the first op that produces nan or inf, naming it and its "
               "source line (unfused code: slower steps)");
}

void note_bf16_fallback(const CodeOptions &options) {
  if (options.precision == "bf16" && !native_bf16())
    fmt::print(stderr, "note: this CPU has no bf16 arithmetic for oneDNN (no AVX-512): bf16 products run in f32 on their bf16-rounded "
                       "operands, the same numbers at f32 speed\n");
}

bool write_output(const std::string &path, const std::string &text) {
  if (path.empty() || path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return true;
  }
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) {
    fmt::print(stderr, "error: cannot write '{}'\n", path);
    return false;
  }
  return true;
}

} // namespace nncc::tool
