// `nncc dump --stage=ast`: the syntax tree as an indented outline or as DOT.
#pragma once
#include "frontend/ast.h"

#include <string>

namespace nncc::frontend {

std::string print_ast(const ast::Model &model);
std::string print_ast_dot(const ast::Model &model);

} // namespace nncc::frontend
