// Binding of literal call arguments (axis = -1, lr = 0.5, [N, 784]) to the
// attribute specs of ops, initializers and optimizers.
#pragma once
#include "frontend/sema_context.h"
#include "ir/attributes.h"

#include <optional>
#include <span>

namespace nncc::frontend {

/// Converts a literal expression to an attribute value, or reports why not.
std::optional<ir::AttrValue> literal_attr(const ast::Expr &e, std::string_view what,
                                          const SemaContext &ctx);

/// Binds `positional` (in order) and `kwargs` (by name) to `specs`, filling
/// defaults. `owner` names the callee in messages. Reports every problem and
/// returns nullopt if there was one.
std::optional<ir::Attrs> bind_attributes(std::string_view owner, const std::vector<ir::AttrSpec> &specs,
                                         std::span<const ast::Expr *const> positional,
                                         const std::vector<ast::KeywordArg> &kwargs,
                                         Location call_loc, const SemaContext &ctx);

/// True for a number literal, possibly negated: `2`, `-0.5`.
bool is_number_literal(const ast::Expr &e);
double number_literal_value(const ast::Expr &e);

} // namespace nncc::frontend
