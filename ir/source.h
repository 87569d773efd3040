// Source files and positions. Every token, AST node and IR value carries a
// Location so that diagnostics and dumps can point back at the .nn text.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nncc {

/// A range on one source line: 1-based line and byte column, `len` bytes.
struct Location {
  uint32_t file = 0; // id in a SourceManager; 0 = no file
  uint32_t line = 0;
  uint32_t col = 0;
  uint32_t len = 1;

  bool known() const { return line != 0; }
  /// The range from this location to the end of `last` (if on the same line).
  Location through(const Location &last) const;
};

class SourceManager {
public:
  /// Registers a buffer; returns its id (>= 1).
  uint32_t add(std::string name, std::string text);
  const std::string &name(uint32_t id) const;
  const std::string &text(uint32_t id) const;
  /// The text of a 1-based line without its line break ("" when out of range).
  std::string_view line(uint32_t id, uint32_t line_no) const;

private:
  struct File {
    std::string name, text;
    std::vector<size_t> line_starts;
  };
  std::vector<File> files_;
};

} // namespace nncc
