// The text form of the IR (.nnir). ir/ir_parser.h reads back exactly what
// this writes; see docs/ir.md for the grammar.
#pragma once
#include "ir/module.h"

#include <span>
#include <string>
#include <unordered_map>

namespace nncc::ir {

/// Printable names of a function's values: source names where they exist
/// (made unique with a .N suffix), numbers for temporaries.
class ValueNames {
public:
  explicit ValueNames(const Function &fn);
  const std::string &operator[](const Value *v) const { return names_.at(v); }

private:
  std::unordered_map<const Value *, std::string> names_;
};

std::string print_module(const Module &module);
std::string print_function(const Function &fn);
/// `s` with " and \ escaped by a backslash (strings of the text IR and DOT).
std::string escape_quotes(std::string_view s);
/// `s` double-quoted and escaped.
std::string quote_string(std::string_view s);
std::string format_initializer(const Initializer &init);
/// What the fused region starting at body[first] is (for the dumps):
/// "3 ops, one loop over f32[N, 10]", "matmul with its epilogue: ...".
std::string describe_region(std::span<Value *const> body, size_t first);

} // namespace nncc::ir
