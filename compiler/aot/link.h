// Linking an AOT object with nncc's runtime into a shared library, through
// the system's C compiler driver (`cc`, or $CC), as GHC and rustc do.
#pragma once
#include <string>
#include <vector>

namespace nncc::aot {

/// Links `object` into `output` (written atomically), exporting the C ABI
/// and `<model_name>_model`. Throws Error with the command and its output
/// when it fails.
void link_shared_library(const std::string &object, const std::string &output, const std::string &model_name);

/// The link command (for messages).
std::vector<std::string> link_command(const std::string &object, const std::string &output, const std::string &version_script);

} // namespace nncc::aot
