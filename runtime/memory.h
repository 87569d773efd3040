// The machine's memory as a limit: a buffer larger than all of it is
// refused by its byte count before anything is allocated — a clear message
// instead of std::bad_alloc, or of the kernel's OOM killer once an
// overcommitted allocation is touched.
#pragma once
#include <cstdint>
#include <string_view>

namespace nncc::runtime {

/// Bytes of physical memory (sysconf).
uint64_t physical_memory();

/// Throws Error "WHAT needs N bytes (X GiB), more than this machine's
/// memory (Y GiB)" when `bytes` exceeds the physical memory.
void check_fits_in_memory(uint64_t bytes, std::string_view what);

} // namespace nncc::runtime
