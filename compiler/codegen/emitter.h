// The vocabulary every op kernel is written in: one internal LLVM function
// per op value, `void kernel(ptr ctx, ptr dims, ptr noalias out, ptr noalias
// in0, ...)`, built with loops over run-time extents. Symbolic dims are
// loaded from `dims`; static ones are constants, so LLVM sees the trip
// counts it can. Private to compiler/codegen (it includes LLVM headers).
#pragma once
#include "ir/module.h"

#include <fmt/format.h>
#include <functional>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>
#include <map>
#include <span>
#include <unordered_map>

namespace nncc::codegen {

/// Module-wide facts kernels need: the symbolic dims' positions in `dims`
/// and the target attributes every function carries.
struct ModuleContext {
  llvm::Module &module;
  std::map<std::string, int> symbols; // symbolic dim -> index into dims
  std::string cpu, features;

  llvm::LLVMContext &llvm() const { return module.getContext(); }
  /// Adds the target and vectorization attributes nncc's functions share.
  void set_attributes(llvm::Function &fn) const;
};

class Kernel {
public:
  /// Starts function `name` with `inputs` noalias operand pointers. A
  /// `shared` kernel also takes (part, parts), and a LoopNest in it runs
  /// only part `part` of `parts` of its outermost loop, an AxisView only
  /// that share of its rows (threads share it: nncc_rt_parallel_loop).
  Kernel(const ModuleContext &mc, const std::string &name, size_t inputs, bool shared = false);

  llvm::Function *function() const { return fn_; }
  llvm::IRBuilder<> &b() { return b_; }
  llvm::Value *ctx() const { return args_[0]; }
  llvm::Value *out() const { return args_[2]; }
  llvm::Value *in(size_t i) const { return args_[3 + i]; }
  bool shared() const { return shared_; }
  llvm::Value *part() const { return args_[args_.size() - 2]; }
  llvm::Value *parts() const { return args_[args_.size() - 1]; }
  /// Returns from the kernel (call once, when the body is complete).
  void finish();

  // --- Types and constants ---
  /// The type of an element in registers: a bf16 element is held as the
  /// f32 of the same value (loads widen, stores round: see bf16_bits).
  llvm::Type *elt(ir::DType d);
  /// The type of an element in memory (bf16: its 16 bits as an i16).
  llvm::Type *stored(ir::DType d);
  /// x (an f32) rounded to the nearest bf16, as an f32 (nncc/bf16.h).
  llvm::Value *round_to_bf16(llvm::Value *x);
  llvm::Value *i64(int64_t v) { return b_.getInt64(static_cast<uint64_t>(v)); }
  llvm::Value *fconst(ir::DType d, double v);

  // --- Shapes at run time ---
  llvm::Value *dim(const ir::Dim &d);
  llvm::Value *numel(const ir::Shape &s, size_t from = 0, size_t to = SIZE_MAX);

  // --- Memory ---
  llvm::Value *load(ir::DType d, llvm::Value *ptr, llvm::Value *index);
  void store(ir::DType d, llvm::Value *value, llvm::Value *ptr, llvm::Value *index);
  void fill(ir::DType d, llvm::Value *ptr, llvm::Value *count, llvm::Value *value);

  // --- Control ---
  /// for (i = 0; i < n; ++i) body(i)
  void loop(llvm::Value *n, const std::function<void(llvm::Value *)> &body);
  /// for (i = first; i < last; ++i) body(i)
  void loop(llvm::Value *first, llvm::Value *last, const std::function<void(llvm::Value *)> &body);
  /// This part's share [first, last) of [0, n): [n * part / parts, n * (part + 1) / parts)
  /// in a shared kernel, all of it otherwise.
  std::pair<llvm::Value *, llvm::Value *> share(llvm::Value *n);
  /// for i in share(n): body(i)
  void loop_share(llvm::Value *n, const std::function<void(llvm::Value *)> &body);
  /// Lets LLVM reorder the float operations emitted from here on (sums
  /// vectorize; results change by rounding only).
  void allow_reassociation();
  /// A mutable local (promoted to a register by the optimizer).
  llvm::Value *local(llvm::Type *type, llvm::Value *initial);
  /// Declares that the iterations of the loops emitted from here on touch
  /// disjoint elements: an elementwise loop, whose result may overwrite an
  /// operand of its type (plan_memory's in-place rule), element i read
  /// before it is written. Loads, stores and loops then carry LLVM's
  /// llvm.access.group / llvm.loop.parallel_accesses, so the vectorizer
  /// needs no run-time overlap check (which an in-place loop fails, running
  /// scalar code).
  void independent_iterations();

  const ModuleContext &mc;

private:
  llvm::Function *fn_;
  bool shared_;
  llvm::IRBuilder<> b_;
  llvm::BasicBlock *entry_;
  std::vector<llvm::Value *> args_;
  std::map<std::string, llvm::Value *> dims_;
  llvm::MDNode *access_group_ = nullptr; // set by independent_iterations
};

/// An iteration space with several tensors read or written in it, each
/// either spanning a dimension or broadcast along it (NumPy rules). The
/// nest collapses runs of dimensions that every tensor treats alike, so
/// the innermost loop is as long as possible and has unit or zero strides:
/// the form LLVM's vectorizer wants.
class LoopNest {
public:
  explicit LoopNest(ir::Shape space) : space_(std::move(space)) {}
  /// A tensor of `shape` (which broadcasts to the space); returns its id.
  int add(const ir::Shape &shape);
  /// body(offsets) with one element offset per added tensor, in order. A
  /// shared kernel's part runs its share of one loop: the outermost, or
  /// with `split_tensor` the outermost that tensor spans (a reduction's
  /// output: each part then accumulates into elements of its own); in a
  /// shared kernel `owned` is called before the loops with the range of
  /// that tensor's element offsets the part visits.
  void emit(Kernel &k, const std::function<void(const std::vector<llvm::Value *> &)> &body, int split_tensor = -1,
            const std::function<void(llvm::Value *, llvm::Value *)> &owned = nullptr) const;

private:
  ir::Shape space_;
  std::vector<std::vector<bool>> spans_; // per tensor, per space dim
};

/// [outer, n, inner] around one axis of a shape (or n = all of it).
struct AxisView {
  llvm::Value *outer, *n, *inner;
  AxisView(Kernel &k, const ir::Shape &shape, std::optional<int64_t> axis);
  /// body(group, base, stride) for each 1-D slice along the axis; element j
  /// of the slice is at base + j * stride; group counts slices in order.
  void for_each_group(Kernel &k, const std::function<void(llvm::Value *, llvm::Value *, llvm::Value *)> &body) const;
};

/// One 1-D slice of a tensor: element j at ptr[base + j * stride].
struct Slice {
  Kernel &k;
  ir::DType d;
  llvm::Value *ptr, *base, *stride, *n;
  /// When set, element i of the sliced tensor (flat index) is computed by
  /// this instead of loaded from ptr: a row op's fused prologue.
  std::function<llvm::Value *(llvm::Value *)> element = nullptr;

  llvm::Value *at(llvm::Value *j);
  llvm::Value *load(llvm::Value *j);
  /// acc = f(acc, j) for j in [0, n), from `initial`.
  llvm::Value *fold(llvm::Value *initial, const std::function<llvm::Value *(llvm::Value *, llvm::Value *)> &f);
  llvm::Value *sum(const std::function<llvm::Value *(llvm::Value *)> &term);
  llvm::Value *max();
  /// log Σ exp(x_j), with the max subtracted; -inf for an all -inf slice.
  llvm::Value *logsumexp();
  /// Index of the first maximum (i64).
  llvm::Value *argmax();
};


// --- Element math (vector_math.cpp): vectorizable, no libm calls for f32 ---
llvm::Value *emit_exp(Kernel &k, ir::DType d, llvm::Value *x);
llvm::Value *emit_log(Kernel &k, ir::DType d, llvm::Value *x);
/// log(1 + x), accurate for small x.
llvm::Value *emit_log1p(Kernel &k, ir::DType d, llvm::Value *x);
llvm::Value *emit_tanh(Kernel &k, ir::DType d, llvm::Value *x);
llvm::Value *emit_sigmoid(Kernel &k, ir::DType d, llvm::Value *x);
llvm::Value *emit_pow(Kernel &k, ir::DType d, llvm::Value *x, double exponent);
/// log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)): no overflow, no underflow.
llvm::Value *emit_softplus(Kernel &k, ir::DType d, llvm::Value *x);
/// Phi(x), the standard normal CDF: 0.5 erfc(-x / sqrt 2).
llvm::Value *emit_normal_cdf(Kernel &k, ir::DType d, llvm::Value *x);

// --- Kernels by family; each fills the kernel of op value v ---
/// What an element computation may need besides its operands: its flat
/// index in the output (dropout draws by it), the element count (gradients
/// of means), and the dropout op's random base. Set up before the loops.
struct ElementEnv {
  llvm::Value *flat = nullptr, *count = nullptr, *random_base = nullptr;
  llvm::Value *random_offset = nullptr; // added to flat for dropout: first_row * elements per row
  llvm::Value *rows = nullptr, *cols = nullptr; // tril: the extents of the last two axes
};
ElementEnv prepare_element(Kernel &k, const ir::Value &v);
/// One element of an elementwise op from its operands' elements.
llvm::Value *emit_element(Kernel &k, const ir::Value &v, const std::vector<llvm::Value *> &xs, const ElementEnv &env);
/// A fused chain of elementwise ops of one shape (definition order; the last
/// is the root), evaluated one element at a time with its intermediates in
/// registers. `inputs` are the values it reads from memory: kernel input i
/// is inputs[i]. Members in `stored` (results of the function) are also
/// written, member j to the kernel pointer after the inputs, inputs.size() + j.
/// Constants become immediates.
class FusedElements {
public:
  FusedElements(Kernel &k, std::span<const ir::Value *const> group, std::span<const ir::Value *const> inputs,
                std::span<const ir::Value *const> stored);
  /// The root's element, input i read at input_offsets[i]; `flat` is the
  /// element's index in the chain's shape (dropout draws by it, stored
  /// members are written there). `given`: operands whose element the caller
  /// computed (a row op's, for its epilogue); they may be stored too.
  llvm::Value *evaluate(Kernel &k, std::span<llvm::Value *const> input_offsets, llvm::Value *flat,
                        std::span<const std::pair<const ir::Value *, llvm::Value *>> given = {}) const;

private:
  std::span<const ir::Value *const> group_, inputs_, stored_;
  std::unordered_map<const ir::Value *, ElementEnv> envs_;
};
/// The loop of a fused elementwise chain, the root stored to out.
void emit_elementwise(Kernel &k, std::span<const ir::Value *const> group, std::span<const ir::Value *const> inputs,
                      std::span<const ir::Value *const> stored);
/// sum, mean, max, sum_to of v's operand, which is read from input 0 — or,
/// when `prologue` (the fused chain computing the operand) is not empty,
/// computed element by element from `inputs`.
void emit_reduction(Kernel &k, const ir::Value &v, std::span<const ir::Value *const> prologue,
                    std::span<const ir::Value *const> inputs, std::span<const ir::Value *const> stored);
/// A region with one row op (logsumexp, softmax, log_softmax, layernorm,
/// layernorm_grad, argmax, max_grad) reading `inputs`. The row op's operand
/// is read from input 0 — or computed element by element from `inputs` in
/// each pass (its prologue: the members it depends on, all of the operand's
/// shape). Members after it (an epilogue: softmax, log_softmax, layernorm)
/// are computed in its last pass, the region's root written to out and the
/// `stored` members (the row op's result among them, for later kernels)
/// after the inputs.
void emit_row_op(Kernel &k, std::span<const ir::Value *const> region, std::span<const ir::Value *const> inputs,
                 std::span<const ir::Value *const> stored);
void emit_loss(Kernel &k, const ir::Value &v);        // losses and their fused gradients
void emit_data_movement(Kernel &k, const ir::Value &v); // transpose, concat, slice, embedding, onehot, size, const

} // namespace nncc::codegen
