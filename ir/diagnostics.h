// Compiler diagnostics in the format of clang and SPEC §1.9:
//   FILE:LINE:COL: error: MESSAGE
//     <source line>
//     ^~~~
// followed by notes. Diagnostics are collected, then rendered.
#pragma once
#include "ir/source.h"

#include <string>
#include <vector>

namespace nncc {

enum class Severity { Error, Note };

struct Diagnostic {
  Severity severity;
  Location loc;
  std::string message;
  bool show_source = true;
};

/// `line` (a source line) with a caret line under loc's columns, as
/// diagnostics show it; "" when the line is empty or too long to show.
std::string source_excerpt(std::string_view line, const Location &loc);

class DiagnosticEngine {
public:
  explicit DiagnosticEngine(const SourceManager &sources, int max_errors = 20)
      : sources_(sources), max_errors_(max_errors) {}

  void error(Location loc, std::string message);
  /// A note about the preceding error (dropped if that error was dropped).
  void note(Location loc, std::string message, bool show_source = true);

  int error_count() const { return errors_; }
  bool has_errors() const { return errors_ > 0; }
  /// True once the error limit is reached: later errors are dropped (and
  /// counted in a final line), so callers may stop early.
  bool should_stop() const { return errors_ >= max_errors_; }

  const std::vector<Diagnostic> &diagnostics() const { return diags_; }
  std::string render() const;
  std::string render(const Diagnostic &d) const;

private:
  const SourceManager &sources_;
  int max_errors_;
  int errors_ = 0;
  bool dropping_ = false;
  int dropped_ = 0;
  std::vector<Diagnostic> diags_;
};

} // namespace nncc
