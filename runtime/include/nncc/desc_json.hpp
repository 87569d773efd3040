// A ModelDesc as JSON: how an AOT library carries its description (and
// what nncc_model_json returns to C hosts). Code pointers are not part of
// it; the library's entry table supplies them.
#pragma once
#include "nncc/model_desc.hpp"

#include <string>

namespace nncc {

std::string desc_to_json(const ModelDesc &desc);
/// Throws Error when the text is not a ModelDesc.
ModelDesc desc_from_json(const std::string &text);

} // namespace nncc
