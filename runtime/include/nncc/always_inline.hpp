// Loops written once as inline templates and compiled into each per-ISA
// clone of their callers (target_clones): they must be inlined there, or the
// clone would call a baseline-ISA copy.
#pragma once

#define NNCC_INLINE [[gnu::always_inline]] inline
#define NNCC_INLINE_LAMBDA __attribute__((always_inline))
