// With NNCC_PERF_MAP=1 the JIT appends every function it links — entry
// points, kernels, their `.task` parts — to /tmp/perf-<pid>.map, the file
// `perf report` reads to name code that has no ELF symbols. oneDNN writes
// its own kernels there with ONEDNN_JIT_PROFILE=2, so one `perf record` of
// `nncc bench` shows the step kernel by kernel, generated and oneDNN's.
#pragma once

namespace llvm::orc {
class LLJIT;
}

namespace nncc::jit {

/// Installs the writer on the JIT's linking layer when NNCC_PERF_MAP is set
/// (a JIT that does not link with JITLink gets a warning instead).
void enable_perf_map(llvm::orc::LLJIT &jit);

} // namespace nncc::jit
