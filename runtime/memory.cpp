#include "memory.h"

#include "nncc/tensor.hpp"

#include <cstdint>
#include <fmt/format.h>
#include <unistd.h>

namespace nncc::runtime {

uint64_t physical_memory() {
  static const uint64_t bytes = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGE_SIZE));
  return bytes;
}

void check_fits_in_memory(uint64_t bytes, std::string_view what) {
  if (bytes <= physical_memory()) return;
  constexpr double kGiB = 1024.0 * 1024 * 1024;
  if (bytes == UINT64_MAX) // callers saturate a byte count that overflows
    throw Error(fmt::format("{} needs more than 2^64 bytes, more than any machine's memory", what));
  throw Error(fmt::format("{} needs {} bytes ({:.1f} GiB), more than this machine's memory ({:.1f} GiB)", what, bytes,
                          static_cast<double>(bytes) / kGiB, static_cast<double>(physical_memory()) / kGiB));
}

} // namespace nncc::runtime
