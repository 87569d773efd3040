// Scratch memory of one compiled call: a bump allocator that keeps its
// memory between calls. When a call needs more than the current block, the
// overflow comes from extra blocks, and the next reset replaces them all by
// one block of the high-water size, so steady-state training never mallocs.
#pragma once
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <vector>

namespace nncc::runtime {

class Arena {
public:
  static constexpr size_t kAlign = 64;

  void *alloc(size_t bytes);
  void reset();

private:
  struct Free {
    void operator()(std::byte *p) const { std::free(p); }
  };
  using Block = std::unique_ptr<std::byte, Free>;
  static Block new_block(size_t bytes);

  Block main_;
  size_t capacity_ = 0, used_ = 0, overflow_bytes_ = 0;
  std::vector<Block> overflow_;
};

} // namespace nncc::runtime
