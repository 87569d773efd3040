// Checks of declarations that are not expressions: types written in the
// source, param initializers (SPEC §1.7) and the optimizer (SPEC §1.8).
#pragma once
#include "frontend/sema_context.h"

#include <optional>

namespace nncc::frontend {

enum class TypeUse { Input, Param };

/// Resolves a written type. Inputs may use symbolic dims (recorded in the
/// context); params need a static float type.
std::optional<ir::Type> check_type(const ast::TypeSyntax &t, TypeUse use, std::string_view owner,
                                   SemaContext &ctx);

/// The initializer written after `param NAME : TYPE =`, or the default one.
std::optional<ir::Initializer> check_initializer(const ast::Stmt &param, const ir::Type &type,
                                                 SemaContext &ctx);

std::optional<ir::OptimizerDecl> check_optimizer(const ast::Stmt &stmt, SemaContext &ctx);

} // namespace nncc::frontend
