// Ops that move or pick elements: transpose, concat, slice, embedding and
// its scatter-add gradient, onehot, plus the scalars const and size. They
// work on any dtype (labels are reshaped and sliced too).
#include "compiler/codegen/emitter.h"
#include "ir/shape_rules.h"

#include <functional>

namespace nncc::codegen {

using ir::OpKind;
using llvm::Value;

namespace {

/// Copies x, seen as [outer, n, inner] around `axis`, into positions
/// [offset, offset + n) along the same axis of out (seen as [outer, N, inner]),
/// or the reverse (from out's range into x) when `gather`.
void copy_along_axis(Kernel &k, ir::DType d, Value *small, const ir::Shape &small_shape, Value *big,
                     const ir::Shape &big_shape, int64_t axis, Value *offset, bool gather) {
  auto &b = k.b();
  AxisView sv(k, small_shape, axis), bv(k, big_shape, axis);
  k.loop(sv.outer, [&](Value *o) {
    k.loop(sv.n, [&](Value *j) {
      Value *srow = b.CreateNUWMul(b.CreateNUWAdd(b.CreateNUWMul(o, sv.n), j), sv.inner);
      Value *brow = b.CreateNUWMul(b.CreateNUWAdd(b.CreateNUWMul(o, bv.n), b.CreateNUWAdd(offset, j)), bv.inner);
      k.loop(sv.inner, [&](Value *i) {
        Value *s = b.CreateNUWAdd(srow, i), *g = b.CreateNUWAdd(brow, i);
        if (gather) k.store(d, k.load(d, big, g), small, s);
        else k.store(d, k.load(d, small, s), big, g);
      });
    });
  });
}

} // namespace

void emit_data_movement(Kernel &k, const ir::Value &v) {
  auto &b = k.b();
  ir::DType d = v.type.dtype;
  const ir::Shape &shape = v.type.shape;
  switch (v.op) {
  case OpKind::Const: return k.store(d, k.fconst(d, v.float_attr("value")), k.out(), k.i64(0));
  case OpKind::Size: {
    const ir::Shape &in = v.operands[0]->type.shape;
    Value *n = k.numel(in);
    if (auto axis = v.optional_int_attr("axis")) n = k.dim(in[ir::axis_index(*axis, static_cast<int>(in.size()))]);
    return k.store(d, b.CreateUIToFP(n, k.elt(d)), k.out(), k.i64(0));
  }
  case OpKind::Transpose: { // loops over the result, reading the operand through permuted strides
    const ir::Shape &in = v.operands[0]->type.shape;
    std::vector<size_t> perm = ir::transpose_permutation(v);
    std::vector<Value *> in_strides(in.size());
    Value *stride = k.i64(1);
    for (size_t i = in.size(); i-- > 0;) in_strides[i] = stride, stride = b.CreateNUWMul(stride, k.dim(in[i]));
    std::vector<Value *> extents;
    for (const ir::Dim &e : shape) extents.push_back(k.dim(e));
    std::function<void(size_t, Value *, Value *)> nest = [&](size_t axis, Value *out_at, Value *in_at) {
      if (axis == shape.size()) return k.store(d, k.load(d, k.in(0), in_at), k.out(), out_at);
      auto level = [&](Value *i) {
        nest(axis + 1, b.CreateNUWAdd(b.CreateNUWMul(out_at, extents[axis]), i), b.CreateNUWAdd(in_at, b.CreateNUWMul(i, in_strides[perm[axis]])));
      };
      if (axis == 0) k.loop_share(extents[axis], level); // a shared kernel's part copies its share of the outermost axis
      else k.loop(extents[axis], level);
    };
    return nest(0, k.i64(0), k.i64(0));
  }
  case OpKind::Concat: {
    int64_t axis = v.int_attr("axis");
    Value *offset = k.i64(0);
    for (size_t t = 0; t < v.operands.size(); ++t) {
      const ir::Shape &part = v.operands[t]->type.shape;
      copy_along_axis(k, d, k.in(t), part, k.out(), shape, axis, offset, false);
      offset = b.CreateNUWAdd(offset, AxisView(k, part, axis).n);
    }
    return;
  }
  case OpKind::Slice:
    return copy_along_axis(k, d, k.out(), shape, k.in(0), v.operands[0]->type.shape, v.int_attr("axis"),
                           k.i64(v.int_attr("start")), true);
  case OpKind::Embedding:
  case OpKind::EmbeddingGrad: {
    // ids were checked against the table's rows before the call.
    bool forward = v.op == OpKind::Embedding;
    const ir::Value &ids = *v.operands[1];
    Value *width = k.dim(shape.back()), *count = k.numel(ids.type.shape);
    Value *rows = forward ? k.in(0) : k.out(), *picked = forward ? k.out() : k.in(0);
    if (!forward) k.fill(d, k.out(), k.numel(shape), k.fconst(d, 0));
    // A shared lookup's part writes the rows of its share of the ids (the
    // scatter-add, where ids repeat, is never shared).
    k.loop_share(count, [&](Value *i) {
      Value *row = b.CreateNUWMul(b.CreateSExt(k.load(ir::DType::I32, k.in(1), i), b.getInt64Ty()), width);
      Value *at = b.CreateNUWMul(i, width);
      k.loop(width, [&](Value *j) {
        Value *r = b.CreateNUWAdd(row, j), *p = b.CreateNUWAdd(at, j);
        if (forward) k.store(d, k.load(d, rows, r), picked, p);
        else k.store(d, b.CreateFAdd(k.load(d, rows, r), k.load(d, picked, p)), rows, r);
      });
    });
    return;
  }
  case OpKind::Onehot: {
    Value *classes = k.dim(shape.back()), *count = k.numel(v.operands[0]->type.shape);
    k.fill(d, k.out(), k.numel(shape), k.fconst(d, 0));
    k.loop(count, [&](Value *i) {
      Value *label = b.CreateSExt(k.load(ir::DType::I32, k.in(0), i), b.getInt64Ty());
      k.store(d, k.fconst(d, 1), k.out(), b.CreateNUWAdd(b.CreateNUWMul(i, classes), label));
    });
    return;
  }
#define MOVE_OP(...)
#define OP NNCC_OP_CASE
#include "ir/ops.def"
    break;
  }
  throw std::logic_error(fmt::format("codegen: '{}' is not a data-movement op", v.info().name));
}

} // namespace nncc::codegen
