// Lowers each entry point to one LLVM function: buffers for every value
// (arguments and results are the caller's; intermediates come from the
// runtime's arena), then one kernel call per op or fused region (see the
// fuse pass) in definition order.
// reshape is free (it aliases its operand), and a transpose that only
// feeds matmuls is folded into them as a stride flag, as oneDNN reads
// transposed operands at full speed.
#include "compiler/codegen/lower.h"

#include "compiler/codegen/codegen.h"
#include "compiler/codegen/emitter.h"
#include "compiler/buffers.h"
#include "compiler/pipeline.h"
#include "nncc/kernel_abi.h"

#include <unordered_map>
#include <unordered_set>

namespace nncc::codegen {

using llvm::Value;

namespace {

class FunctionLowering {
public:
  FunctionLowering(const ModuleContext &mc, const ir::Module &module, const ir::Function &fn, int &matmul_site)
      : mc_(mc), module_(module), fn_(fn), site_(matmul_site), b_(mc.llvm()) {}

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
    fail_ = llvm::BasicBlock::Create(mc_.llvm(), "out_of_memory", entry_);

    folded_ = compiler::folded_transposes(fn_);
    immediate_ = compiler::immediate_constants(fn_);
    allocate_arena();
    for (const ir::Value *v : fn_.body())
      if (v->region) regions_[v->region].push_back(v);
    unsigned slot = 0;
    for (const ir::Value *a : fn_.arguments()) buffer_[a] = caller_buffer(slot++, a->name);
    for (const ir::FunctionResult &r : fn_.results()) result_buffers_.push_back(caller_buffer(slot++, r.name));
    std::unordered_map<const ir::Value *, Value *> result_of;
    for (size_t i = 0; i < fn_.results().size(); ++i) result_of.try_emplace(fn_.results()[i].value, result_buffers_[i]);

    for (size_t i = 0; i < fn_.body().size(); ++i) {
      const ir::Value *v = fn_.body()[i];
      // A fused region is one kernel, emitted at its last value (the root).
      std::span<const ir::Value *const> region(&fn_.body()[i], 1);
      if (v->region) region = regions_.at(v->region);
      if (folded_.count(v) || immediate_.count(v) || region.back() != v) continue;
      if (compiler::aliases_operand(fn_, *v)) {
        buffer_[v] = buffer_.at(v->operands[0]);
        continue;
      }
      // The root, and the region's other values that are results, are stored.
      for (const ir::Value *m : region)
        if (auto r = result_of.find(m); r != result_of.end()) buffer_[m] = r->second;
      if (!buffer_.count(v)) buffer_[v] = scratch(*v);
      if (region.front()->info().lowering == ir::Lowering::Primitive) emit_matmul(region);
      else call_kernel(region, i);
    }
    // Results that are arguments, aliases or repeated values are copied.
    for (size_t i = 0; i < fn_.results().size(); ++i) {
      const ir::Value *v = fn_.results()[i].value;
      if (buffer_.at(v) != result_buffers_[i])
        b_.CreateMemCpy(result_buffers_[i], llvm::MaybeAlign(4), buffer_.at(v), llvm::MaybeAlign(4), bytes(v->type));
    }
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

  Value *bytes(const ir::Type &t) {
    Value *n = i64(ir::dtype_size(t.dtype));
    for (const ir::Dim &d : t.shape) n = b_.CreateNUWMul(n, dim(d));
    return n;
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

  /// The buffer of a scratch value: its slot, or an allocation of its own.
  Value *scratch(const ir::Value &v) {
    return v.slot >= 0 ? slot_ptr_.at(static_cast<size_t>(v.slot)) : allocate(bytes(v.type), v.name);
  }

  /// A matmul, or a matmul region: the product, then the bias added to its
  /// rows and an activation, all in the runtime's one call.
  void emit_matmul(std::span<const ir::Value *const> region) {
    const ir::Value &v = *region.front(), &root = *region.back();
    const ir::Value *a = v.operands[0], *b = v.operands[1];
    const ir::Value *bias = nullptr;
    int activation = NNCC_ACTIVATION_NONE;
    for (const ir::Value *m : region.subspan(1)) {
      switch (m->info().epilogue) {
      case ir::Epilogue::Bias: bias = m->operands[0] == &v ? m->operands[1] : m->operands[0]; break;
      case ir::Epilogue::Relu: activation = NNCC_ACTIVATION_RELU; break;
      case ir::Epilogue::Tanh: activation = NNCC_ACTIVATION_TANH; break;
      case ir::Epilogue::Sigmoid: activation = NNCC_ACTIVATION_SIGMOID; break;
      case ir::Epilogue::None: throw std::logic_error(fmt::format("codegen: '{}' in a matmul epilogue", m->info().name));
      }
    }
    int flags = 0;
    if (folded_.count(a)) flags |= NNCC_TRANSPOSE_A;
    if (folded_.count(b)) flags |= NNCC_TRANSPOSE_B;
    // Vectors are matrices with one row (left) or one column (right).
    Value *m = a->type.rank() == 2 ? dim(a->type.shape[0]) : i64(1);
    Value *k = dim(a->type.shape.back());
    Value *n = b->type.rank() == 2 ? dim(b->type.shape[1]) : i64(1);
    Value *pa = buffer_.at(folded_.count(a) ? a->operands[0] : a), *pb = buffer_.at(folded_.count(b) ? b->operands[0] : b);
    bool f64 = v.type.dtype == ir::DType::F64;
    llvm::Type *i32 = b_.getInt32Ty(), *ptr = b_.getPtrTy(), *i64t = b_.getInt64Ty();
    auto callee = mc_.module.getOrInsertFunction(f64 ? "nncc_rt_matmul_f64" : "nncc_rt_matmul_f32", b_.getVoidTy(), ptr, i32,
                                                 i32, ptr, ptr, ptr, i64t, i64t, i64t, ptr, i32);
    Value *pbias = bias ? buffer_.at(bias) : llvm::ConstantPointerNull::get(b_.getPtrTy());
    b_.CreateCall(callee, {ctx_, b_.getInt32(static_cast<uint32_t>(site_++)), b_.getInt32(static_cast<uint32_t>(flags)), pa,
                           pb, buffer_.at(&root), m, k, n, pbias, b_.getInt32(static_cast<uint32_t>(activation))});
  }

  /// The kernel of one op, or of a fused region (an elementwise chain, or
  /// a reduction with the chain computing its operand).
  void call_kernel(std::span<const ir::Value *const> region, size_t index) {
    const ir::Value &v = *region.back();
    ir::Lowering how = v.info().lowering;
    std::vector<const ir::Value *> inputs(v.operands.begin(), v.operands.end());
    if (how == ir::Lowering::Loop || region.size() > 1) {
      // What the region reads from memory: operands defined outside it (constants become immediates).
      inputs.clear();
      for (const ir::Value *m : region)
        for (const ir::Value *o : m->operands)
          if (std::find(region.begin(), region.end(), o) == region.end() && (o->is_argument() || !o->info().has(ir::opflag::CONSTANT)) &&
              std::find(inputs.begin(), inputs.end(), o) == inputs.end())
            inputs.push_back(o);
    }
    std::vector<const ir::Value *> stored;
    for (const ir::Value *m : region.first(region.size() - 1))
      if (buffer_.count(m)) stored.push_back(m);
    std::string op = region.size() > 1 ? fmt::format("fused{}", region.size()) : std::string(v.info().name);
    std::string name = fmt::format("{}.{}.{}{}{}", fn_.name(), index, op, v.name.empty() ? "" : ".", v.name);
    Kernel k(mc_, name, inputs.size() + stored.size());
    switch (how) {
    case ir::Lowering::Loop: emit_elementwise(k, region, inputs, stored); break;
    case ir::Lowering::Reduce: emit_reduction(k, v, region.first(region.size() - 1), inputs, stored); break;
    case ir::Lowering::Row: emit_row_op(k, v); break;
    case ir::Lowering::Loss: emit_loss(k, v); break;
    case ir::Lowering::Move: emit_data_movement(k, v); break;
    case ir::Lowering::Primitive:
    case ir::Lowering::Alias: throw std::logic_error(fmt::format("codegen: '{}' has no generated kernel", v.info().name));
    }
    k.finish();
    std::vector<Value *> args{ctx_, dims_, buffer_.at(&v)};
    for (const ir::Value *o : inputs) args.push_back(buffer_.at(o));
    for (const ir::Value *m : stored) args.push_back(buffer_.at(m));
    // Written in place over an input (plan_memory): those two may alias.
    for (size_t i = 0; i < inputs.size(); ++i)
      if (buffer_.at(inputs[i]) == buffer_.at(&v)) {
        k.function()->removeParamAttr(2, llvm::Attribute::NoAlias);
        k.function()->removeParamAttr(static_cast<unsigned>(3 + i), llvm::Attribute::NoAlias);
      }
    b_.CreateCall(k.function(), args);
  }

  const ModuleContext &mc_;
  const ir::Module &module_;
  const ir::Function &fn_;
  int &site_;
  llvm::IRBuilder<> b_;
  llvm::Function *entry_ = nullptr;
  Value *ctx_ = nullptr, *buffers_ = nullptr, *dims_ = nullptr;
  llvm::BasicBlock *fail_ = nullptr;
  std::unordered_map<const ir::Value *, Value *> buffer_;
  std::vector<Value *> result_buffers_;
  std::unordered_set<const ir::Value *> folded_, immediate_;
  std::vector<Value *> slot_ptr_; // the memory plan's slots
  std::unordered_map<int, std::vector<const ir::Value *>> regions_; // the fuse pass's regions, in body order
};

} // namespace

std::unique_ptr<llvm::Module> lower(const ir::Module &module, llvm::LLVMContext &context, const llvm::TargetMachine &tm) {
  auto out = std::make_unique<llvm::Module>("nncc_" + module.name, context);
  out->setTargetTriple(tm.getTargetTriple().str());
  out->setDataLayout(tm.createDataLayout());
  ModuleContext mc{*out, {}, tm.getTargetCPU().str(), tm.getTargetFeatureString().str()};
  ModelDesc desc = describe(module); // the same symbol numbering the Session uses
  for (size_t i = 0; i < desc.symbols.size(); ++i) mc.symbols[desc.symbols[i]] = static_cast<int>(i);
  int site = 0;
  for (const ir::Function *fn : compiler::entry_points(module)) FunctionLowering(mc, module, *fn, site).run();
  return out;
}

} // namespace nncc::codegen
