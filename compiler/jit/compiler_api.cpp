// nncc::Compiler of the C++ API: frontend, entry points, JIT.
#include "compiler/jit/jit.h"
#include "compiler/pipeline.h"
#include "frontend/frontend.h"

#include <chrono>
#include <fmt/format.h>

namespace nncc {

namespace {

Model compile_loaded(uint32_t file, SourceManager &sources, DiagnosticEngine &diags, const CompilerOptions &options) {
  auto start = std::chrono::steady_clock::now();
  frontend::FrontendResult result = frontend::compile_source(file, sources, diags);
  if (!result.module || diags.error_count() > 0) throw Error(diags.render());
  std::shared_ptr<LoadedModel> loaded;
  try {
    compiler::PipelineOptions pipeline;
    pipeline.bf16 = options.precision == Precision::BF16;
    pipeline.check_nan = options.check_nan;
    pipeline.apply_update = options.apply_update;
    compiler::build_entry_points(*result.module, options.opt_level, pipeline);
    loaded = jit::compile(*result.module, {.cpu = "native", .opt_level = options.opt_level},
                          options.cache ? jit::ObjectCache::open(options.cache_dir) : std::nullopt);
  } catch (const Error &) {
    throw;
  } catch (const std::exception &e) {
    throw Error(fmt::format("internal compiler error while compiling model '{}': {}", result.module->name, e.what()));
  }
  // The reported compile time covers the frontend and autodiff too.
  loaded->compile_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return Model(loaded);
}

} // namespace

Compiler::Compiler(CompilerOptions options) : options_(options) {}
Compiler::~Compiler() = default;

Model Compiler::compile_file(const std::string &path) {
  SourceManager sources;
  DiagnosticEngine diags(sources);
  auto file = frontend::load_file(path, sources, diags);
  if (!file) throw Error(diags.render());
  return compile_loaded(*file, sources, diags, options_);
}

Model Compiler::compile_source(const std::string &name, const std::string &text) {
  SourceManager sources;
  DiagnosticEngine diags(sources);
  return compile_loaded(sources.add(name, text), sources, diags, options_);
}

} // namespace nncc
