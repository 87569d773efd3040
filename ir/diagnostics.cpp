#include "ir/diagnostics.h"

#include <fmt/format.h>

namespace nncc {
namespace {

constexpr size_t kMaxShownLine = 200;
} // namespace

/// The source line with control bytes made visible-safe, and the caret line
/// under [col, col + len), keeping tabs so the caret lines up.
std::string source_excerpt(std::string_view line, const Location &loc) {
  if (line.empty() || line.size() > kMaxShownLine || loc.col == 0 || loc.col > line.size() + 1) return {};
  std::string text, caret;
  for (size_t i = 0; i < line.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    bool in_range = i + 1 >= loc.col && i + 1 < loc.col + std::max<uint32_t>(loc.len, 1);
    char mark = i + 1 == loc.col ? '^' : (in_range ? '~' : ' ');
    if (c == '\t') {
      text += '\t';
      caret += mark == ' ' ? '\t' : mark;
    } else if (c < 0x20 || c == 0x7f) {
      text += '?';
      caret += mark;
    } else if (c < 0x80) {
      text += static_cast<char>(c);
      caret += mark;
    } else {
      // Show a valid UTF-8 sequence as is (one screen column); a bad byte as '?'.
      size_t n = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
      bool valid = n > 0 && i + n <= line.size();
      for (size_t k = 1; valid && k < n; ++k) valid = (static_cast<unsigned char>(line[i + k]) & 0xC0) == 0x80;
      if (valid) {
        text.append(line.substr(i, n));
        i += n - 1;
      } else {
        text += '?';
      }
      caret += mark;
    }
  }
  if (loc.col == line.size() + 1) caret += '^';
  while (!caret.empty() && (caret.back() == ' ' || caret.back() == '\t')) caret.pop_back();
  return fmt::format("{}\n{}\n", text, caret);
}

void DiagnosticEngine::error(Location loc, std::string message) {
  dropping_ = should_stop();
  if (dropping_) {
    ++dropped_;
    return;
  }
  ++errors_;
  diags_.push_back({Severity::Error, loc, std::move(message)});
}

void DiagnosticEngine::note(Location loc, std::string message, bool show_source) {
  if (dropping_) return;
  diags_.push_back({Severity::Note, loc, std::move(message), show_source});
}

std::string DiagnosticEngine::render(const Diagnostic &d) const {
  std::string_view kind = d.severity == Severity::Error ? "error" : "note";
  std::string out;
  if (d.loc.known())
    out = fmt::format("{}:{}:{}: {}: {}\n", sources_.name(d.loc.file), d.loc.line, d.loc.col, kind,
                      d.message);
  else if (d.loc.file)
    out = fmt::format("{}: {}: {}\n", sources_.name(d.loc.file), kind, d.message);
  else
    out = fmt::format("{}: {}\n", kind, d.message);
  if (d.show_source && d.loc.known())
    out += source_excerpt(sources_.line(d.loc.file, d.loc.line), d.loc);
  return out;
}

std::string DiagnosticEngine::render() const {
  std::string out;
  for (const Diagnostic &d : diags_) out += render(d);
  if (dropped_ > 0) out += "error: too many errors emitted, stopping now\n";
  return out;
}

} // namespace nncc
