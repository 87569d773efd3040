#include "compiler/codegen/emitter.h"

#include <cmath>

namespace nncc::codegen {

using llvm::Value;

void ModuleContext::set_attributes(llvm::Function &fn) const {
  fn.addFnAttr(llvm::Attribute::NoUnwind);
  fn.addFnAttr("prefer-vector-width", "512");
  fn.addFnAttr("min-legal-vector-width", "0");
  if (!cpu.empty()) fn.addFnAttr("target-cpu", cpu);
  if (!features.empty()) fn.addFnAttr("target-features", features);
}

Kernel::Kernel(const ModuleContext &module_ctx, const std::string &name, size_t inputs, bool shared)
    : mc(module_ctx), shared_(shared), b_(module_ctx.llvm()) {
  std::vector<llvm::Type *> params(3 + inputs, b_.getPtrTy());
  if (shared) params.insert(params.end(), {b_.getInt64Ty(), b_.getInt64Ty()}); // part, parts
  auto *type = llvm::FunctionType::get(b_.getVoidTy(), params, false);
  fn_ = llvm::Function::Create(type, llvm::GlobalValue::InternalLinkage, name, mc.module);
  mc.set_attributes(*fn_);
  for (unsigned i = 2; i < 3 + inputs; ++i) fn_->addParamAttr(i, llvm::Attribute::NoAlias);
  for (llvm::Argument &a : fn_->args()) args_.push_back(&a);
  args_[0]->setName("ctx");
  args_[1]->setName("dims");
  args_[2]->setName("out");
  entry_ = llvm::BasicBlock::Create(mc.llvm(), "entry", fn_);
  b_.SetInsertPoint(entry_);
}

void Kernel::finish() { b_.CreateRetVoid(); }

llvm::Type *Kernel::elt(ir::DType d) {
  switch (d) {
  case ir::DType::F32:
  case ir::DType::BF16: return b_.getFloatTy();
  case ir::DType::F64: return b_.getDoubleTy();
  case ir::DType::I32: return b_.getInt32Ty();
  }
  return nullptr;
}

llvm::Type *Kernel::stored(ir::DType d) { return d == ir::DType::BF16 ? b_.getInt16Ty() : elt(d); }

namespace {
/// The 16 bits of f32 `x` rounded to nearest even as bf16 (a NaN stays a
/// quiet NaN), as an i32 whose upper half is zero: nncc::bf16::from_float.
Value *bf16_bits(llvm::IRBuilder<> &b, Value *x) {
  Value *bits = b.CreateBitCast(x, b.getInt32Ty());
  Value *odd = b.CreateAnd(b.CreateLShr(bits, 16), b.getInt32(1));
  Value *rounded = b.CreateLShr(b.CreateAdd(bits, b.CreateAdd(odd, b.getInt32(0x7fff))), 16);
  Value *is_nan = b.CreateICmpUGT(b.CreateAnd(bits, b.getInt32(0x7fffffff)), b.getInt32(0x7f800000));
  return b.CreateSelect(is_nan, b.CreateOr(b.CreateLShr(bits, 16), b.getInt32(0x40)), rounded);
}
} // namespace

Value *Kernel::round_to_bf16(Value *x) { return b_.CreateBitCast(b_.CreateShl(bf16_bits(b_, x), 16), b_.getFloatTy()); }

Value *Kernel::fconst(ir::DType d, double v) {
  if (d == ir::DType::I32) return b_.getInt32(static_cast<uint32_t>(static_cast<int32_t>(v)));
  return llvm::ConstantFP::get(elt(d), v);
}

Value *Kernel::dim(const ir::Dim &d) {
  if (!d.is_symbolic()) return i64(d.size);
  auto [it, fresh] = dims_.try_emplace(d.symbol, nullptr);
  if (fresh) { // loaded once, in the entry block
    llvm::IRBuilder<> eb(entry_, entry_->getFirstInsertionPt());
    Value *slot = eb.CreateConstInBoundsGEP1_64(eb.getInt64Ty(), args_[1], static_cast<uint64_t>(mc.symbols.at(d.symbol)));
    it->second = eb.CreateLoad(eb.getInt64Ty(), slot, d.symbol);
  }
  return it->second;
}

Value *Kernel::numel(const ir::Shape &s, size_t from, size_t to) {
  Value *n = i64(1);
  for (size_t i = from; i < std::min(to, s.size()); ++i) n = b_.CreateNUWMul(n, dim(s[i]));
  return n;
}

Value *Kernel::load(ir::DType d, Value *ptr, Value *index) {
  llvm::LoadInst *x = b_.CreateLoad(stored(d), b_.CreateInBoundsGEP(stored(d), ptr, index));
  if (access_group_) x->setMetadata(llvm::LLVMContext::MD_access_group, access_group_);
  if (d != ir::DType::BF16) return x;
  return b_.CreateBitCast(b_.CreateShl(b_.CreateZExt(x, b_.getInt32Ty()), 16), b_.getFloatTy());
}

void Kernel::store(ir::DType d, Value *value, Value *ptr, Value *index) {
  if (d == ir::DType::BF16) value = b_.CreateTrunc(bf16_bits(b_, value), b_.getInt16Ty());
  llvm::StoreInst *st = b_.CreateStore(value, b_.CreateInBoundsGEP(stored(d), ptr, index));
  if (access_group_) st->setMetadata(llvm::LLVMContext::MD_access_group, access_group_);
}

void Kernel::fill(ir::DType d, Value *ptr, Value *count, Value *value) {
  loop(count, [&](Value *i) { store(d, value, ptr, i); });
}

void Kernel::loop(Value *n, const std::function<void(Value *)> &body) { loop(i64(0), n, body); }

std::pair<Value *, Value *> Kernel::share(Value *n) {
  if (!shared_) return {i64(0), n};
  return {b_.CreateSDiv(b_.CreateNSWMul(n, part()), parts()), b_.CreateSDiv(b_.CreateNSWMul(n, b_.CreateNSWAdd(part(), i64(1))), parts())};
}

void Kernel::loop_share(Value *n, const std::function<void(Value *)> &body) {
  auto [first, last] = share(n);
  loop(first, last, body);
}

void Kernel::loop(Value *first, Value *last, const std::function<void(Value *)> &body) {
  llvm::LLVMContext &c = mc.llvm();
  llvm::BasicBlock *pre = b_.GetInsertBlock();
  auto *head = llvm::BasicBlock::Create(c, "loop", fn_), *exit = llvm::BasicBlock::Create(c, "done", fn_);
  b_.CreateCondBr(b_.CreateICmpSLT(first, last), head, exit);
  b_.SetInsertPoint(head);
  llvm::PHINode *i = b_.CreatePHI(b_.getInt64Ty(), 2, "i");
  i->addIncoming(first, pre);
  body(i);
  Value *next = b_.CreateNUWAdd(i, i64(1));
  i->addIncoming(next, b_.GetInsertBlock());
  llvm::BranchInst *latch = b_.CreateCondBr(b_.CreateICmpSLT(next, last), head, exit);
  if (access_group_) {
    llvm::Metadata *parallel[] = {llvm::MDString::get(c, "llvm.loop.parallel_accesses"), access_group_};
    llvm::Metadata *self[] = {nullptr, llvm::MDNode::get(c, parallel)};
    llvm::MDNode *id = llvm::MDNode::getDistinct(c, self);
    id->replaceOperandWith(0, id);
    latch->setMetadata(llvm::LLVMContext::MD_loop, id);
  }
  b_.SetInsertPoint(exit);
}

void Kernel::independent_iterations() { access_group_ = llvm::MDNode::getDistinct(mc.llvm(), {}); }

void Kernel::allow_reassociation() {
  llvm::FastMathFlags fmf;
  fmf.setAllowReassoc();
  fmf.setAllowContract();
  b_.setFastMathFlags(fmf);
}

Value *Kernel::local(llvm::Type *type, Value *initial) {
  llvm::IRBuilder<> eb(entry_, entry_->getFirstInsertionPt());
  Value *slot = eb.CreateAlloca(type);
  b_.CreateStore(initial, slot);
  return slot;
}

int LoopNest::add(const ir::Shape &shape) {
  std::vector<bool> spans(space_.size(), false);
  for (size_t k = 0; k < shape.size(); ++k) spans[space_.size() - 1 - k] = !shape[shape.size() - 1 - k].is_one();
  spans_.push_back(std::move(spans));
  return static_cast<int>(spans_.size()) - 1;
}

void LoopNest::emit(Kernel &k, const std::function<void(const std::vector<Value *> &)> &body, int split_tensor,
                    const std::function<void(Value *, Value *)> &owned) const {
  // Merge each dimension into the previous group when every tensor spans
  // both or neither; size-1 dimensions vanish.
  struct Group {
    std::vector<size_t> dims;
    std::vector<bool> spans;
  };
  std::vector<Group> groups;
  for (size_t d = 0; d < space_.size(); ++d) {
    if (space_[d].is_one()) continue;
    std::vector<bool> spans;
    for (const auto &s : spans_) spans.push_back(s[d]);
    if (!groups.empty() && groups.back().spans == spans) groups.back().dims.push_back(d);
    else groups.push_back({{d}, spans});
  }
  // A shared kernel splits the outermost loop; a single element is one
  // loop of one, which part 0 runs.
  if (groups.empty() && k.shared()) groups.push_back({{}, std::vector<bool>(spans_.size(), false)});
  // Element strides of each tensor per group, innermost first.
  std::vector<Value *> extents(groups.size());
  std::vector<std::vector<Value *>> strides(spans_.size(), std::vector<Value *>(groups.size()));
  std::vector<Value *> running(spans_.size(), k.i64(1));
  for (size_t g = groups.size(); g-- > 0;) {
    Value *extent = k.i64(1);
    for (size_t d : groups[g].dims) extent = k.b().CreateNUWMul(extent, k.dim(space_[d]));
    extents[g] = extent;
    for (size_t t = 0; t < spans_.size(); ++t) {
      strides[t][g] = groups[g].spans[t] ? running[t] : k.i64(0);
      if (groups[g].spans[t]) running[t] = k.b().CreateNUWMul(running[t], extent);
    }
  }
  // The loop a shared kernel splits, and this part's share of it.
  size_t split = 0;
  if (split_tensor >= 0) {
    auto t = static_cast<size_t>(split_tensor);
    while (split < groups.size() && !groups[split].spans[t]) ++split;
    if (split == groups.size()) {
      if (k.shared()) throw std::logic_error("codegen: a shared loop nest without a loop over the tensor it splits");
      split = 0;
    }
  }
  auto [first, last] = groups.empty() ? std::pair<Value *, Value *>{k.i64(0), k.i64(1)} : k.share(extents[split]);
  if (owned && k.shared() && split_tensor >= 0) {
    Value *stride = strides[static_cast<size_t>(split_tensor)][split];
    owned(k.b().CreateNUWMul(first, stride), k.b().CreateNUWMul(last, stride));
  }
  std::function<void(size_t, std::vector<Value *>)> nest = [&](size_t g, std::vector<Value *> offsets) {
    if (g == groups.size()) return body(offsets);
    auto level = [&](Value *i) {
      std::vector<Value *> inner = offsets;
      for (size_t t = 0; t < inner.size(); ++t)
        if (groups[g].spans[t]) inner[t] = k.b().CreateNUWAdd(inner[t], k.b().CreateNUWMul(i, strides[t][g]));
      nest(g + 1, inner);
    };
    if (g == split) k.loop(first, last, level);
    else k.loop(extents[g], level);
  };
  nest(0, std::vector<Value *>(spans_.size(), k.i64(0)));
}

AxisView::AxisView(Kernel &k, const ir::Shape &shape, std::optional<int64_t> axis) {
  if (!axis) {
    outer = inner = k.i64(1);
    n = k.numel(shape);
    return;
  }
  size_t a = ir::axis_index(*axis, static_cast<int>(shape.size()));
  outer = k.numel(shape, 0, a);
  n = k.dim(shape[a]);
  inner = k.numel(shape, a + 1);
}

void AxisView::for_each_group(Kernel &k, const std::function<void(Value *, Value *, Value *)> &body) const {
  auto &b = k.b();
  k.loop_share(outer, [&](Value *o) { // a shared kernel's part takes its share of the rows
    k.loop(inner, [&](Value *i) {
      Value *base = b.CreateNUWAdd(b.CreateNUWMul(b.CreateNUWMul(o, n), inner), i);
      body(b.CreateNUWAdd(b.CreateNUWMul(o, inner), i), base, inner);
    });
  });
}

Value *Slice::at(Value *j) { return k.b().CreateNUWAdd(base, k.b().CreateNUWMul(j, stride)); }
Value *Slice::load(Value *j) { return element ? element(at(j)) : k.load(d, ptr, at(j)); }

Value *Slice::fold(Value *initial, const std::function<Value *(Value *, Value *)> &f) {
  Value *acc = k.local(initial->getType(), initial);
  k.loop(n, [&](Value *j) { k.b().CreateStore(f(k.b().CreateLoad(initial->getType(), acc), j), acc); });
  return k.b().CreateLoad(initial->getType(), acc);
}

Value *Slice::sum(const std::function<Value *(Value *)> &term) {
  return fold(k.fconst(d, 0), [&](Value *acc, Value *j) { return k.b().CreateFAdd(acc, term(j)); });
}

Value *Slice::max() {
  return fold(k.fconst(d, -INFINITY), [&](Value *m, Value *j) {
    Value *e = load(j);
    return k.b().CreateSelect(k.b().CreateFCmpOLT(m, e), e, m);
  });
}

Value *Slice::logsumexp() {
  auto &b = k.b();
  Value *m = max();
  Value *s = sum([&](Value *j) { return emit_exp(k, d, b.CreateFSub(load(j), m)); });
  Value *lse = b.CreateFAdd(m, emit_log(k, d, s));
  return b.CreateSelect(b.CreateFCmpOEQ(m, k.fconst(d, -INFINITY)), m, lse);
}

Value *Slice::argmax() {
  auto &b = k.b();
  return fold(k.i64(0), [&](Value *best, Value *j) { return b.CreateSelect(b.CreateFCmpOGT(load(j), load(best)), j, best); });
}

} // namespace nncc::codegen
