// Helpers shared by the subcommands of the nncc tool.
#pragma once
#include "compiler/passes/pass_registry.h"
#include "frontend/frontend.h"
#include "ir/diagnostics.h"

#include <CLI/CLI.hpp>
#include <string>

namespace nncc::tool {

/// Exit statuses (SPEC §4).
enum ExitCode : int { kSuccess = 0, kUserError = 1, kInternalError = 2 };

/// A .nn file run through the frontend, with its diagnostics.
struct CompiledFile {
  SourceManager sources;
  DiagnosticEngine diags{sources};
  frontend::FrontendResult result;
};

/// Loads and compiles `path`; diagnostics are printed to stderr.
void compile_file(const std::string &path, CompiledFile &out);
void print_diagnostics(const DiagnosticEngine &diags);

/// True when the model has a loss; otherwise prints "... has no loss:
/// there is nothing to WHAT" and returns false.
bool require_loss(const std::string &path, const ir::Module &module, std::string_view what);

/// Compiles `path` and checks that its model has a loss and an optimizer;
/// otherwise prints why WHAT is impossible and returns nullptr.
ir::Module *compile_trainable(const std::string &path, CompiledFile &file, std::string_view what);

/// The options of train, bench, compile and dump that change the code
/// (SPEC §4): --precision f32|bf16 and --check-nan.
struct CodeOptions {
  std::string precision = "f32";
  bool check_nan = false;
  compiler::PipelineOptions pipeline() const {
    compiler::PipelineOptions p;
    p.bf16 = precision == "bf16";
    p.check_nan = check_nan;
    return p;
  }
};
void add_code_options(CLI::App &cmd, CodeOptions &options);
/// --threads T: the session's threads (0: $OMP_NUM_THREADS if set, else all cores).
void add_threads_option(CLI::App &cmd, int &threads);
/// With --precision bf16 on a CPU without native bf16 (nncc::native_bf16),
/// says on stderr that the products run in f32 on bf16-rounded operands.
void note_bf16_fallback(const CodeOptions &options);

/// Writes `text` to `path`, or to stdout when path is empty or "-".
/// Returns false (after printing why) when the file cannot be written.
bool write_output(const std::string &path, const std::string &text);

// Each subcommand registers its options and a callback that sets the exit status.
void add_check_command(CLI::App &app, int &status);
void add_dump_command(CLI::App &app, int &status);
void add_opt_command(CLI::App &app, int &status);
void add_trace_command(CLI::App &app, int &status);
void add_explain_command(CLI::App &app, int &status);
void add_gradcheck_command(CLI::App &app, int &status);
void add_bench_command(CLI::App &app, int &status);
void add_train_command(CLI::App &app, int &status);
void add_eval_command(CLI::App &app, int &status);
void add_sample_command(CLI::App &app, int &status);
void add_compile_command(CLI::App &app, int &status);

} // namespace nncc::tool
