#include "arena.h"

#include <new>

namespace nncc::runtime {

namespace {
size_t round_up(size_t n) { return (n + Arena::kAlign - 1) / Arena::kAlign * Arena::kAlign; }
} // namespace

Arena::Block Arena::new_block(size_t bytes) {
  auto *p = static_cast<std::byte *>(std::aligned_alloc(kAlign, round_up(bytes == 0 ? kAlign : bytes)));
  if (!p) throw std::bad_alloc();
  return Block(p);
}

void *Arena::alloc(size_t bytes) {
  bytes = round_up(bytes == 0 ? 1 : bytes);
  if (used_ + bytes <= capacity_) {
    void *p = main_.get() + used_;
    used_ += bytes;
    return p;
  }
  overflow_.push_back(new_block(bytes));
  overflow_bytes_ += bytes;
  return overflow_.back().get();
}

void Arena::reset() {
  if (!overflow_.empty()) {
    size_t needed = capacity_ + overflow_bytes_;
    overflow_.clear();
    overflow_bytes_ = 0;
    main_ = new_block(needed);
    capacity_ = needed;
  }
  used_ = 0;
}

} // namespace nncc::runtime
