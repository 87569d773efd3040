// Lowers each entry point to one LLVM function that runs its kernel plan
// (compiler/kernel_plan.h): the arena, then one call per kernel in order —
// a generated kernel function for a loop nest or fused region, a runtime
// function for a primitive, nothing for an alias — then the copies into
// results that were not computed in place.
#include "compiler/codegen/lower.h"

#include "compiler/codegen/codegen.h"
#include "compiler/codegen/emitter.h"
#include "compiler/codegen/runtime_calls.h"
#include "compiler/check_nan.h"
#include "compiler/image_call.h"
#include "compiler/kernel_plan.h"
#include "compiler/pipeline.h"
#include "ir/shape_rules.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <unordered_map>

namespace nncc::codegen {

using llvm::Value;
using compiler::Storage;

namespace {

class FunctionLowering {
public:
  FunctionLowering(const ModuleContext &mc, const ir::Module &module, const ir::Function &fn, int &primitive_site)
      : mc_(mc), module_(module), fn_(fn), site_(primitive_site), b_(mc.llvm()), plan_(compiler::plan_kernels(fn)) {
    if (module.check_nan) checks_.emplace(module, fn);
  }

  void run() {
    auto *type = llvm::FunctionType::get(b_.getVoidTy(), {b_.getPtrTy(), b_.getPtrTy(), b_.getPtrTy()}, false);
    entry_ = llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage, entry_symbol(module_, fn_.name()), mc_.module);
    mc_.set_attributes(*entry_);
    ctx_ = entry_->getArg(0);
    buffers_ = entry_->getArg(1);
    dims_ = entry_->getArg(2);
    ctx_->setName("ctx");
    buffers_->setName("buffers");
    dims_->setName("dims");
    b_.SetInsertPoint(llvm::BasicBlock::Create(mc_.llvm(), "entry", entry_));
    fail_ = llvm::BasicBlock::Create(mc_.llvm(), "failed", entry_);

    allocate_arena();
    unsigned slot = 0;
    for (const ir::Value *a : fn_.arguments()) buffer_[a] = caller_buffer(slot++, a->name);
    for (const ir::Value *a : fn_.arguments()) check_finite(*a);
    for (const ir::FunctionResult &r : fn_.results()) result_buffers_.push_back(caller_buffer(slot++, r.name));
    for (size_t i = 0; i < plan_.kernels.size(); ++i) {
      const compiler::Kernel &kernel = plan_.kernels[i];
      if (kernel.kind == ir::Lowering::Alias) continue;
      for (const ir::Value *w : kernel.writes) buffer_[w] = place(*w);
      if (kernel.kind == ir::Lowering::Primitive) call_primitive(kernel);
      else call_kernel(kernel, i);
      for (const ir::Value *w : kernel.writes) check_finite(*w);
    }
    for (const auto &[i, v] : plan_.result_copies)
      b_.CreateMemCpy(result_buffers_[i], llvm::MaybeAlign(4), buffer(v), llvm::MaybeAlign(4), bytes(v->type));
    b_.CreateRetVoid();
    b_.SetInsertPoint(fail_);
    b_.CreateRetVoid();
  }

private:
  Value *i64(int64_t v) { return b_.getInt64(static_cast<uint64_t>(v)); }

  Value *caller_buffer(unsigned slot, const std::string &name) {
    Value *p = b_.CreateLoad(b_.getPtrTy(), b_.CreateConstInBoundsGEP1_64(b_.getPtrTy(), buffers_, slot));
    p->setName(name);
    return p;
  }

  Value *dim(const ir::Dim &d) {
    if (!d.is_symbolic()) return i64(d.size);
    return b_.CreateLoad(b_.getInt64Ty(), b_.CreateConstInBoundsGEP1_64(b_.getInt64Ty(), dims_, static_cast<uint64_t>(mc_.symbols.at(d.symbol))), d.symbol);
  }

  Value *elements(const ir::Shape &shape) {
    Value *n = i64(1);
    for (const ir::Dim &d : shape) n = b_.CreateNUWMul(n, dim(d));
    return n;
  }

  Value *bytes(const ir::Type &t) { return b_.CreateNUWMul(i64(ir::dtype_size(t.dtype)), elements(t.shape)); }

  /// --check-nan: scans v's buffer (the runtime records a report when an
  /// element is not finite) and returns from the entry point when it failed.
  void check_finite(const ir::Value &v) {
    const compiler::CheckSite *site = checks_ ? checks_->find(&v) : nullptr;
    if (!site) return;
    llvm::Module &m = mc_.module;
    llvm::FunctionCallee scan = v.type.dtype == ir::DType::F64    ? NNCC_RUNTIME_CALLEE(m, nncc_rt_check_finite_f64)
                                : v.type.dtype == ir::DType::BF16 ? NNCC_RUNTIME_CALLEE(m, nncc_rt_check_finite_bf16)
                                                                  : NNCC_RUNTIME_CALLEE(m, nncc_rt_check_finite_f32);
    Value *failed = b_.CreateCall(scan, {ctx_, b_.CreateGlobalString(site->what, "check.what"),
                                         b_.CreateGlobalString(site->where, "check.where"), buffer(&v), elements(v.type.shape)});
    auto *finite = llvm::BasicBlock::Create(mc_.llvm(), "finite", entry_);
    b_.CreateCondBr(b_.CreateICmpNE(failed, b_.getInt32(0)), fail_, finite);
    b_.SetInsertPoint(finite);
  }

  /// `bytes` of scratch from the arena; returns from the entry point when
  /// it fails (the runtime has recorded why).
  Value *allocate(Value *bytes, const std::string &name) {
    auto alloc = mc_.module.getOrInsertFunction("nncc_rt_alloc", b_.getPtrTy(), b_.getPtrTy(), b_.getInt64Ty());
    Value *p = b_.CreateCall(alloc, {ctx_, bytes}, name);
    auto *ok = llvm::BasicBlock::Create(mc_.llvm(), "allocated", entry_);
    b_.CreateCondBr(b_.CreateIsNull(p), fail_, ok);
    b_.SetInsertPoint(ok);
    return p;
  }

  /// The memory plan's arena: one allocation, each slot at its offset
  /// (sizes rounded up to 64 bytes, so every slot stays aligned).
  void allocate_arena() {
    const auto &slots = fn_.arena_slots();
    if (slots.empty()) return;
    std::vector<Value *> offsets;
    Value *total = i64(0);
    for (const ir::ByteSize &s : slots) {
      offsets.push_back(total);
      Value *n = i64(s.coef);
      for (const std::string &symbol : s.symbols) n = b_.CreateNUWMul(n, dim(ir::Dim::named(symbol)));
      total = b_.CreateNUWAdd(total, b_.CreateAnd(b_.CreateNUWAdd(n, i64(63)), i64(~int64_t{63})));
    }
    Value *base = allocate(total, "arena");
    for (size_t i = 0; i < slots.size(); ++i) slot_ptr_.push_back(b_.CreateInBoundsGEP(b_.getInt8Ty(), base, offsets[i], fmt::format("slot{}", i)));
  }

  /// The buffer a kernel writes `v` to: the caller's result, the value's
  /// arena slot, or an allocation of its own.
  Value *place(const ir::Value &v) {
    const Storage &s = plan_.where(&v);
    if (s.kind == Storage::Kind::Result) return result_buffers_.at(static_cast<size_t>(s.index));
    return s.index >= 0 ? slot_ptr_.at(static_cast<size_t>(s.index)) : allocate(bytes(v.type), v.name);
  }

  /// The buffer holding v's elements (an alias's or a transposed view's is its operand's).
  Value *buffer(const ir::Value *v) const { return buffer_.at(plan_.memory_of(v)); }

  bool transposed(const ir::Value *v) const { return plan_.where(v).kind == Storage::Kind::Transposed; }

  /// A primitive, with the epilogue fused into its call.
  void call_primitive(const compiler::Kernel &kernel) {
    const ir::Value &v = *kernel.values.front(), &root = kernel.root();
    bool f64 = v.type.dtype == ir::DType::F64;
    auto operand = [&](size_t i) { return buffer(v.operands[i]); };
    auto call = [&](llvm::FunctionCallee f64_callee, llvm::FunctionCallee f32_callee, std::vector<Value *> args) {
      b_.CreateCall(f64 ? f64_callee : f32_callee, args);
    };
    // Convolutions of bf16 operands (bf16-products) sum into f32.
    auto product = [&](llvm::FunctionCallee f64_callee, llvm::FunctionCallee f32_callee, llvm::FunctionCallee bf16_callee,
                       std::vector<Value *> args) {
      if (v.operands[0]->type.dtype == ir::DType::BF16) return b_.CreateCall(bf16_callee, args), void();
      call(f64_callee, f32_callee, std::move(args));
    };
    auto pool_kind = [&](bool max) { return b_.getInt32(max ? NNCC_POOL_MAX : NNCC_POOL_AVG); };
    llvm::Module &m = mc_.module;
    if (v.op == ir::OpKind::SumTo) // a blocked image's channel sums (ir/layout.h)
      return call(NNCC_RUNTIME_CALLEE(m, nncc_rt_channel_sums_f64), NNCC_RUNTIME_CALLEE(m, nncc_rt_channel_sums_f32),
                  {ctx_, norm_n(v), norm_c(v), norm_inner(v), norm_blocked(v), operand(0), buffer(&v)});
    switch (v.op) {
    case ir::OpKind::Matmul: return call_matmul(kernel.values);
    case ir::OpKind::Conv2d: {
      auto [bias, activation] = epilogue(kernel.values);
      return product(NNCC_RUNTIME_CALLEE(m, nncc_rt_conv2d_f64), NNCC_RUNTIME_CALLEE(m, nncc_rt_conv2d_f32), NNCC_RUNTIME_CALLEE(m, nncc_rt_conv2d_bf16),
                  {ctx_, site(), conv_shape(v), operand(0), operand(1), bias ? buffer(bias) : null(), buffer(&root), b_.getInt32(activation)});
    }
    case ir::OpKind::Conv2dGradInput:
      return product(NNCC_RUNTIME_CALLEE(m, nncc_rt_conv2d_grad_input_f64), NNCC_RUNTIME_CALLEE(m, nncc_rt_conv2d_grad_input_f32),
                     NNCC_RUNTIME_CALLEE(m, nncc_rt_conv2d_grad_input_bf16),
                  {ctx_, site(), conv_shape(v), operand(0), operand(1), buffer(&v)});
    case ir::OpKind::Conv2dGradWeight:
      return product(NNCC_RUNTIME_CALLEE(m, nncc_rt_conv2d_grad_weight_f64), NNCC_RUNTIME_CALLEE(m, nncc_rt_conv2d_grad_weight_f32),
                     NNCC_RUNTIME_CALLEE(m, nncc_rt_conv2d_grad_weight_bf16),
                  {ctx_, site(), conv_shape(v), operand(0), operand(1), buffer(&v)});
    case ir::OpKind::MaxPool2d:
    case ir::OpKind::AvgPool2d: {
      // A max pooling whose gradient is taken keeps its workspace at its site.
      bool training = std::any_of(fn_.body().begin(), fn_.body().end(),
                                  [&](const ir::Value *u) { return u->op == ir::OpKind::MaxPool2dGrad && u->operands[1] == &v; });
      forward_site_[&v] = site_;
      return call(NNCC_RUNTIME_CALLEE(m, nncc_rt_pool2d_f64), NNCC_RUNTIME_CALLEE(m, nncc_rt_pool2d_f32),
                  {ctx_, site(), pool_kind(v.op == ir::OpKind::MaxPool2d), b_.getInt32(training), conv_shape(v), operand(0), buffer(&v)});
    }
    case ir::OpKind::MaxPool2dGrad:
    case ir::OpKind::AvgPool2dGrad: {
      bool max = v.op == ir::OpKind::MaxPool2dGrad;
      auto forward = max ? forward_site_.find(v.operands[1]) : forward_site_.end();
      int forward_site = forward == forward_site_.end() ? -1 : forward->second;
      return call(NNCC_RUNTIME_CALLEE(m, nncc_rt_pool2d_grad_f64), NNCC_RUNTIME_CALLEE(m, nncc_rt_pool2d_grad_f32),
                  {ctx_, site(), pool_kind(max), b_.getInt32(static_cast<uint32_t>(forward_site)), conv_shape(v), operand(0),
                   buffer(v.operands.back()), buffer(&v)});
    }
    case ir::OpKind::Relayout:
      return b_.CreateCall(NNCC_RUNTIME_CALLEE(m, nncc_rt_relayout_f32), {ctx_, site(), conv_shape(v), operand(0), buffer(&v)}), void();
    case ir::OpKind::BatchStats:
      return call(NNCC_RUNTIME_CALLEE(m, nncc_rt_batch_stats_f64), NNCC_RUNTIME_CALLEE(m, nncc_rt_batch_stats_f32),
                  {ctx_, norm_n(v), norm_c(v), norm_inner(v), norm_blocked(v), operand(0), buffer(&v)});
    case ir::OpKind::BatchNormTrain: { // its relu (fuse.cpp) in the same pass
      int32_t relu = epilogue(kernel.values).second == NNCC_ACTIVATION_RELU;
      return call(NNCC_RUNTIME_CALLEE(m, nncc_rt_batch_norm_f64), NNCC_RUNTIME_CALLEE(m, nncc_rt_batch_norm_f32),
                  {ctx_, norm_n(v), norm_c(v), norm_inner(v), norm_blocked(v), eps(v), operand(0), operand(1), operand(2), operand(3),
                   b_.getInt32(static_cast<uint32_t>(relu)), buffer(&root)});
    }
    case ir::OpKind::BatchNormGradSums:
      return call(NNCC_RUNTIME_CALLEE(m, nncc_rt_batch_norm_grad_sums_f64), NNCC_RUNTIME_CALLEE(m, nncc_rt_batch_norm_grad_sums_f32),
                  {ctx_, norm_n(v), norm_c(v), norm_inner(v), norm_blocked(v), eps(v), operand(0), operand(1), operand(2), buffer(&v)});
    case ir::OpKind::BatchNormGrad:
      return call(NNCC_RUNTIME_CALLEE(m, nncc_rt_batch_norm_grad_f64), NNCC_RUNTIME_CALLEE(m, nncc_rt_batch_norm_grad_f32),
                  {ctx_, norm_n(v), norm_c(v), norm_inner(v), norm_blocked(v), eps(v), operand(0), operand(1), operand(2), operand(3), operand(4), buffer(&v)});
#define PRIMITIVE_OP(...)
#define OP NNCC_OP_CASE
#include "ir/ops.def"
      throw std::logic_error(fmt::format("codegen: '{}' is not a primitive", v.info().name));
    }
  }

  Value *site() { return b_.getInt32(static_cast<uint32_t>(site_++)); } // the primitive cache's call site
  Value *null() { return llvm::ConstantPointerNull::get(b_.getPtrTy()); }

  /// The bias a TAKES_EPILOGUE primitive adds (null: none) and its NNCC_ACTIVATION_*.
  std::pair<const ir::Value *, int> epilogue(std::span<const ir::Value *const> region) {
    const ir::Value *primitive = region.front(), *bias = nullptr;
    int activation = NNCC_ACTIVATION_NONE;
    for (const ir::Value *m : region.subspan(1)) {
      switch (m->info().epilogue) {
      case ir::Epilogue::Bias: bias = m->operands[0] == primitive ? m->operands[1] : m->operands[0]; break;
      case ir::Epilogue::Relu: activation = NNCC_ACTIVATION_RELU; break;
      case ir::Epilogue::Tanh: activation = NNCC_ACTIVATION_TANH; break;
      case ir::Epilogue::Sigmoid: activation = NNCC_ACTIVATION_SIGMOID; break;
      case ir::Epilogue::None: throw std::logic_error(fmt::format("codegen: '{}' in a primitive's epilogue", m->info().name));
      }
    }
    return {bias, activation};
  }

  /// A batch norm op's x [N, C, ...] as (n, c, inner): the batch, the
  /// channels, and the product of the axes after them.
  Value *norm_n(const ir::Value &v) { return dim(v.operands[0]->type.shape[0]); }
  Value *norm_c(const ir::Value &v) { return dim(v.operands[0]->type.shape[1]); }
  Value *norm_inner(const ir::Value &v) {
    const ir::Shape &x = v.operands[0]->type.shape;
    Value *inner = i64(1);
    for (size_t i = 2; i < x.size(); ++i) inner = b_.CreateNUWMul(inner, dim(x[i]));
    return inner;
  }
  Value *norm_blocked(const ir::Value &v) { return b_.getInt32(v.operands[0]->layout == ir::Layout::Blocked); }
  Value *eps(const ir::Value &v) { return llvm::ConstantFP::get(b_.getDoubleTy(), v.float_attr("eps")); }

  /// The nncc_conv_shape of an image op, on the stack: its static numbers,
  /// and the batch read from `dims` when it is symbolic.
  Value *conv_shape(const ir::Value &v) {
    nncc_conv_shape shape = compiler::conv_shape(v, 0);
    std::array<int64_t, sizeof(nncc_conv_shape) / sizeof(int64_t)> numbers;
    static_assert(sizeof shape == sizeof numbers);
    std::memcpy(numbers.data(), &shape, sizeof shape);
    auto *type = llvm::ArrayType::get(b_.getInt64Ty(), numbers.size());
    llvm::IRBuilder<> at_entry(&entry_->getEntryBlock(), entry_->getEntryBlock().begin());
    Value *p = at_entry.CreateAlloca(type, nullptr, "conv_shape");
    for (unsigned i = 0; i < numbers.size(); ++i)
      b_.CreateStore(i == 0 ? dim(compiler::image_input(v).shape[0]) : i64(numbers[i]), b_.CreateConstInBoundsGEP2_32(type, p, 0, i));
    return p;
  }

  /// A matmul, or a matmul region: the product, then the bias added to its
  /// rows and an activation, all in the runtime's one call.
  void call_matmul(std::span<const ir::Value *const> region) {
    const ir::Value &v = *region.front(), &root = *region.back();
    const ir::Value *a = v.operands[0], *b = v.operands[1];
    bool swapped_a = swapped(a), swapped_b = swapped(b);
    if (a->type.rank() > 2 || b->type.rank() > 2 || (transposed(a) && !swapped_a) || (transposed(b) && !swapped_b))
      return call_batch_matmul(v, root); // root: the product, or the sum_to of its batch axes (fuse's matmul-batch-sum)
    auto [bias, activation] = epilogue(region);
    int flags = 0;
    if (swapped_a) flags |= NNCC_TRANSPOSE_A;
    if (swapped_b) flags |= NNCC_TRANSPOSE_B;
    // Vectors are matrices with one row (left) or one column (right).
    Value *m = a->type.rank() == 2 ? dim(a->type.shape[0]) : i64(1);
    Value *k = dim(a->type.shape.back());
    Value *n = b->type.rank() == 2 ? dim(b->type.shape[1]) : i64(1);
    llvm::FunctionCallee callee;
    switch (a->type.dtype) {
    case ir::DType::F64: callee = NNCC_RUNTIME_CALLEE(mc_.module, nncc_rt_matmul_f64); break;
    case ir::DType::BF16: callee = NNCC_RUNTIME_CALLEE(mc_.module, nncc_rt_matmul_bf16); break;
    case ir::DType::F32: callee = NNCC_RUNTIME_CALLEE(mc_.module, nncc_rt_matmul_f32); break;
    case ir::DType::I32: throw std::logic_error("codegen: a matmul of i32"); // (the type rule refuses it)
    }
    b_.CreateCall(callee, {ctx_, site(), b_.getInt32(static_cast<uint32_t>(flags)), buffer(a), buffer(b), buffer(&root), m, k, n,
                           bias ? buffer(bias) : null(), b_.getInt32(static_cast<uint32_t>(activation))});
  }

  /// A 2-D operand read as its stored matrix transposed (x.T).
  bool swapped(const ir::Value *v) const { return transposed(v) && ir::transpose_permutation(*v) == std::vector<size_t>{1, 0}; }

  /// How a matmul operand is read: its extents and strides in elements,
  /// permuted when it is a transposed view of its operand's memory.
  std::pair<std::vector<Value *>, std::vector<Value *>> strided_view(const ir::Value *x) {
    const ir::Shape &stored = transposed(x) ? x->operands[0]->type.shape : x->type.shape;
    std::vector<Value *> dense(stored.size()), dims, strides;
    Value *stride = i64(1);
    for (size_t i = stored.size(); i-- > 0;) dense[i] = stride, stride = b_.CreateNUWMul(stride, dim(stored[i]));
    std::vector<size_t> perm(stored.size());
    for (size_t i = 0; i < perm.size(); ++i) perm[i] = i;
    if (transposed(x)) perm = ir::transpose_permutation(*x);
    for (size_t i = 0; i < perm.size(); ++i) {
      dims.push_back(dim(x->type.shape[i]));
      strides.push_back(dense[perm[i]]);
    }
    return {dims, strides};
  }

  /// A matmul of rank >= 3 operands (or of a permuted view): its geometry
  /// (nncc_matmul_shape) on the stack, with a 1-D operand as a row [1, K]
  /// or a column [K, 1] and every operand padded to the result's rank.
  /// `out` is the product, or a sum_to of its batch axes: the result then
  /// has extent 1 on the summed axes, which the runtime adds up.
  void call_batch_matmul(const ir::Value &v, const ir::Value &out) {
    const ir::Value *a = v.operands[0], *b = v.operands[1];
    auto [a_dims, a_strides] = strided_view(a);
    auto [b_dims, b_strides] = strided_view(b);
    std::vector<Value *> c_dims(v.type.rank() - out.type.rank(), i64(1));
    for (const ir::Dim &d : out.type.shape) c_dims.push_back(dim(d));
    if (a_dims.size() == 1) {
      a_dims.insert(a_dims.begin(), i64(1)), a_strides.insert(a_strides.begin(), a_dims.back());
      c_dims.insert(c_dims.end() - 1, i64(1));
    }
    if (b_dims.size() == 1) b_dims.push_back(i64(1)), b_strides.push_back(i64(1)), c_dims.push_back(i64(1));
    size_t rank = c_dims.size();
    if (rank > NNCC_MATMUL_MAX_RANK) throw std::logic_error("codegen: a matmul of more batch axes than the type rule allows");
    auto pad = [&](std::vector<Value *> &dims, std::vector<Value *> &strides) {
      while (dims.size() < rank) dims.insert(dims.begin(), i64(1)), strides.insert(strides.begin(), i64(0));
    };
    pad(a_dims, a_strides);
    pad(b_dims, b_strides);
    constexpr unsigned kMax = NNCC_MATMUL_MAX_RANK;
    static_assert(sizeof(nncc_matmul_shape) == sizeof(int64_t) * (1 + 5 * kMax));
    auto *type = llvm::ArrayType::get(b_.getInt64Ty(), 1 + 5 * kMax);
    llvm::IRBuilder<> at_entry(&entry_->getEntryBlock(), entry_->getEntryBlock().begin());
    Value *shape = at_entry.CreateAlloca(type, nullptr, "matmul_shape");
    auto store = [&](unsigned at, Value *x) { b_.CreateStore(x, b_.CreateConstInBoundsGEP2_32(type, shape, 0, at)); };
    store(0, i64(static_cast<int64_t>(rank)));
    unsigned field = 0;
    for (const auto *numbers : {&a_dims, &a_strides, &b_dims, &b_strides, &c_dims}) {
      for (unsigned i = 0; i < rank; ++i) store(1 + field * kMax + i, (*numbers)[i]);
      ++field;
    }
    llvm::FunctionCallee callee;
    switch (a->type.dtype) {
    case ir::DType::F64: callee = NNCC_RUNTIME_CALLEE(mc_.module, nncc_rt_batch_matmul_f64); break;
    case ir::DType::BF16: callee = NNCC_RUNTIME_CALLEE(mc_.module, nncc_rt_batch_matmul_bf16); break;
    case ir::DType::F32: callee = NNCC_RUNTIME_CALLEE(mc_.module, nncc_rt_batch_matmul_f32); break;
    case ir::DType::I32: throw std::logic_error("codegen: a matmul of i32");
    }
    b_.CreateCall(callee, {ctx_, site(), shape, buffer(a), buffer(b), buffer(&out)});
  }

  /// The generated function of a loop kernel: one op, or a fused region
  /// (an elementwise chain, or a reduction with the chain computing its
  /// operand). Named after its number in the plan, as `--memory` prints it.
  void call_kernel(const compiler::Kernel &kernel, size_t number) {
    const ir::Value &v = kernel.root();
    std::span<const ir::Value *const> region = kernel.values, reads = kernel.reads;
    std::span<const ir::Value *const> stored = std::span(kernel.writes).subspan(1);
    std::string op = region.size() > 1 ? fmt::format("fused{}", region.size()) : std::string(v.info().name);
    std::string name = fmt::format("{}.k{}.{}{}{}", fn_.name(), number, op, v.name.empty() ? "" : ".", v.name);
    // The elements a kernel visits: a reduction's operand, else its result's.
    const ir::Shape &visited = kernel.kind == ir::Lowering::Reduce ? v.operands[0]->type.shape : v.type.shape;
    bool shared = may_need_threads(visited) && (kernel.kind == ir::Lowering::Loop || rows_shared(kernel) || reduction_shared(kernel) ||
                                               copy_shared(kernel));
    Kernel k(mc_, name, reads.size() + stored.size(), shared);
    switch (kernel.kind) {
    case ir::Lowering::Loop: emit_elementwise(k, region, reads, stored); break;
    case ir::Lowering::Reduce: emit_reduction(k, v, region.first(region.size() - 1), reads, stored); break;
    case ir::Lowering::Row: emit_row_op(k, region, reads, stored); break;
    case ir::Lowering::Loss: emit_loss(k, v); break;
    case ir::Lowering::Move: emit_data_movement(k, v); break;
    case ir::Lowering::Primitive:
    case ir::Lowering::Alias: throw std::logic_error(fmt::format("codegen: '{}' has no generated kernel", v.info().name));
    }
    k.finish();
    std::vector<Value *> args{ctx_, dims_, buffer(&v)};
    for (const ir::Value *o : reads) args.push_back(buffer(o));
    for (const ir::Value *m : stored) args.push_back(buffer(m));
    // Written in place over an input (plan_memory): those two may alias.
    for (size_t i = 0; i < reads.size(); ++i)
      if (buffer(reads[i]) == buffer(&v)) {
        k.function()->removeParamAttr(2, llvm::Attribute::NoAlias);
        k.function()->removeParamAttr(static_cast<unsigned>(3 + i), llvm::Attribute::NoAlias);
      }
    if (shared) return call_on_threads(k, args, visited);
    b_.CreateCall(k.function(), args);
  }

  /// A row kernel's rows are independent: each part computes its share of
  /// them, every row on one thread in one order, so the results do not
  /// depend on the thread count. (max_grad zeroes its whole output first.)
  static bool rows_shared(const compiler::Kernel &kernel) {
    return kernel.kind == ir::Lowering::Row &&
           std::none_of(kernel.values.begin(), kernel.values.end(), [](const ir::Value *m) { return m->op == ir::OpKind::MaxGrad; });
  }

  /// A reduction into more than one element: each part accumulates into
  /// output elements of its own (emit_reduction). One that sums everything
  /// into a scalar stays on one thread.
  static bool reduction_shared(const compiler::Kernel &kernel) {
    const ir::Shape &out = kernel.root().type.shape;
    return kernel.kind == ir::Lowering::Reduce && std::any_of(out.begin(), out.end(), [](const ir::Dim &d) { return !d.is_one(); });
  }

  /// A transpose copy or an embedding lookup: each part writes its share
  /// of the outermost axis or of the ids.
  static bool copy_shared(const compiler::Kernel &kernel) {
    return kernel.kind == ir::Lowering::Move && (kernel.root().op == ir::OpKind::Transpose || kernel.root().op == ir::OpKind::Embedding);
  }

  /// Loops of fewer elements than NNCC_MIN_PARALLEL_ELEMENTS always run on
  /// one thread: no need to share them.
  static bool may_need_threads(const ir::Shape &shape) {
    int64_t n = 1;
    for (const ir::Dim &d : shape) {
      if (d.is_symbolic()) return true;
      n *= d.size;
    }
    return n >= NNCC_MIN_PARALLEL_ELEMENTS;
  }

  /// Calls a shared kernel through nncc_rt_parallel_loop: a task function
  /// (args, part, parts) unpacks the kernel's arguments from an array on
  /// the stack and runs its part (LLVM inlines the kernel into it). A loop
  /// found small at run time calls the task directly, as part 0 of 1: a
  /// batch of XOR pays a compare and a call, not a trip through the
  /// runtime. The task is never inlined, so the kernel's loops are compiled
  /// once.
  void call_on_threads(Kernel &k, const std::vector<Value *> &args, const ir::Shape &shape) {
    llvm::Type *ptr = b_.getPtrTy(), *i64_type = b_.getInt64Ty();
    auto *task_type = llvm::FunctionType::get(b_.getVoidTy(), {ptr, i64_type, i64_type}, false);
    auto *task = llvm::Function::Create(task_type, llvm::GlobalValue::InternalLinkage, k.function()->getName() + ".task", mc_.module);
    mc_.set_attributes(*task);
    task->addFnAttr(llvm::Attribute::NoInline);
    llvm::IRBuilder<> tb(llvm::BasicBlock::Create(mc_.llvm(), "entry", task));
    std::vector<Value *> unpacked;
    for (size_t i = 0; i < args.size(); ++i)
      unpacked.push_back(tb.CreateLoad(ptr, tb.CreateConstInBoundsGEP1_64(ptr, task->getArg(0), i)));
    unpacked.push_back(task->getArg(1));
    unpacked.push_back(task->getArg(2));
    tb.CreateCall(k.function(), unpacked);
    tb.CreateRetVoid();

    auto *array_type = llvm::ArrayType::get(ptr, args.size());
    llvm::IRBuilder<> at_entry(&entry_->getEntryBlock(), entry_->getEntryBlock().begin());
    Value *array = at_entry.CreateAlloca(array_type, nullptr, "task_args");
    for (size_t i = 0; i < args.size(); ++i) b_.CreateStore(args[i], b_.CreateConstInBoundsGEP2_32(array_type, array, 0, static_cast<unsigned>(i)));
    Value *count = elements(shape);
    auto *small = llvm::BasicBlock::Create(mc_.llvm(), "one_thread", entry_), *large = llvm::BasicBlock::Create(mc_.llvm(), "threads", entry_),
         *done = llvm::BasicBlock::Create(mc_.llvm(), "loop_done", entry_);
    b_.CreateCondBr(b_.CreateICmpSLT(count, i64(NNCC_MIN_PARALLEL_ELEMENTS)), small, large);
    b_.SetInsertPoint(small);
    b_.CreateCall(task, {array, i64(0), i64(1)});
    b_.CreateBr(done);
    b_.SetInsertPoint(large);
    b_.CreateCall(NNCC_RUNTIME_CALLEE(mc_.module, nncc_rt_parallel_loop), {ctx_, count, task, array});
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
  }

  const ModuleContext &mc_;
  const ir::Module &module_;
  const ir::Function &fn_;
  int &site_;
  llvm::IRBuilder<> b_;
  llvm::Function *entry_ = nullptr;
  Value *ctx_ = nullptr, *buffers_ = nullptr, *dims_ = nullptr;
  llvm::BasicBlock *fail_ = nullptr; // returns at once: a runtime call failed and recorded why
  std::optional<compiler::CheckSites> checks_; // --check-nan
  compiler::KernelPlan plan_;
  std::unordered_map<const ir::Value *, Value *> buffer_; // of arguments and the values kernels write
  std::vector<Value *> result_buffers_;
  std::vector<Value *> slot_ptr_; // the memory plan's slots
  std::unordered_map<const ir::Value *, int> forward_site_; // each pooling call's site, for its backward call
};

} // namespace

namespace {

std::unique_ptr<llvm::Module> empty_module(const std::string &name, llvm::LLVMContext &context, const llvm::TargetMachine &tm) {
  auto out = std::make_unique<llvm::Module>(name, context);
  out->setTargetTriple(tm.getTargetTriple().str());
  out->setDataLayout(tm.createDataLayout());
  return out;
}

/// Lowers every entry point into the module `module_for` gives it; the
/// primitive call sites are numbered across all of them, as the Session's
/// primitive caches expect.
template <typename ModuleFor> void lower_entry_points(const ir::Module &module, const llvm::TargetMachine &tm, ModuleFor module_for) {
  ModelDesc desc = describe(module); // the same symbol numbering the Session uses
  std::map<std::string, int> symbols;
  for (size_t i = 0; i < desc.symbols.size(); ++i) symbols[desc.symbols[i]] = static_cast<int>(i);
  int site = 0;
  for (const ir::Function *fn : compiler::entry_points(module)) {
    ModuleContext mc{module_for(*fn), symbols, tm.getTargetCPU().str(), tm.getTargetFeatureString().str()};
    FunctionLowering(mc, module, *fn, site).run();
  }
}

} // namespace

std::unique_ptr<llvm::Module> lower(const ir::Module &module, llvm::LLVMContext &context, const llvm::TargetMachine &tm) {
  auto out = empty_module("nncc_" + module.name, context, tm);
  lower_entry_points(module, tm, [&](const ir::Function &) -> llvm::Module & { return *out; });
  return out;
}

std::vector<std::unique_ptr<llvm::Module>> lower_each(const ir::Module &module, llvm::LLVMContext &context,
                                                      const llvm::TargetMachine &tm) {
  std::vector<std::unique_ptr<llvm::Module>> out;
  lower_entry_points(module, tm, [&](const ir::Function &fn) -> llvm::Module & {
    out.push_back(empty_module(entry_symbol(module, fn.name()), context, tm));
    return *out.back();
  });
  return out;
}

} // namespace nncc::codegen
