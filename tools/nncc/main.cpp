// nncc: the command line of the nncc neural-network compiler (SPEC §4).
#include "nncc/tensor.hpp"
#include "tools/nncc/common.h"

#include <algorithm>
#include <exception>
#include <fmt/format.h>

int main(int argc, char **argv) {
  using namespace nncc::tool;
  CLI::App app{"nncc: a static computation-graph compiler for neural networks"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "nncc 0.1.0");
  int status = kInternalError;
  add_check_command(app, status);
  add_dump_command(app, status);
  add_opt_command(app, status);
  add_compile_command(app, status);
  add_trace_command(app, status);
  add_explain_command(app, status);
  add_gradcheck_command(app, status);
  add_bench_command(app, status);
  add_train_command(app, status);
  add_eval_command(app, status);
  add_sample_command(app, status);
  std::vector<std::string> commands;
  for (const CLI::App *sub : app.get_subcommands([](CLI::App *) { return true; })) commands.push_back(sub->get_name());
  if (argc > 1 && argv[1][0] != '-' && std::find(commands.begin(), commands.end(), argv[1]) == commands.end()) {
    fmt::print(stderr, "nncc: error: unknown command '{}' (commands: {}; see nncc --help)\n", argv[1], fmt::join(commands, ", "));
    return kUserError;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    app.exit(e); // prints the message
    return kUserError;
  } catch (const nncc::Error &e) { // a failure the user can act on (data, checkpoints, sizes, memory), in any command
    std::vector<CLI::App *> parsed = app.get_subcommands();
    fmt::print(stderr, "nncc{}: error: {}\n", parsed.empty() ? "" : " " + parsed.front()->get_name(), e.what());
    return kUserError;
  } catch (const std::exception &e) {
    fmt::print(stderr, "nncc: internal error: {}\n", e.what());
    return kInternalError;
  }
  return status;
}
