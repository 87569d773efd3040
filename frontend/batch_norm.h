// batch_norm(x, gamma, beta, momentum=0.1, eps=1e-5) (SPEC 1.6a), as the
// frontend writes it out: in training, batch_stats(x) (each channel's mean
// and variance over every axis but 1) and batch_norm_train with them — two
// primitives, whose gradient to x is one primitive too (oneDNN's); in
// forward/evaluate, the formula with the running statistics, as ops that
// fuse into one loop; `training_else` picks one per entry point. The running
// statistics are module state named after the statement
// (`h1.running_mean`), and train_step returns their new values.
#pragma once
#include "frontend/sema_context.h"

namespace nncc::frontend {

/// The attributes of batch_norm, declared once.
const std::vector<ir::AttrSpec> &batch_norm_attrs();

struct BatchNormCall {
  ir::Value *x, *gamma, *beta;
  double momentum, eps;
  std::string name;  // the statistics' prefix: "h1" or "h1.bn0"
  Location loc;
};

/// The normalized value; declares the two running statistics (state
/// arguments of forward) and appends their new values to `updates`.
/// Returns nullptr after reporting an operand of the wrong shape.
ir::Value *lower_batch_norm(const BatchNormCall &call, SemaContext &ctx, std::vector<ir::FunctionResult> &updates);

} // namespace nncc::frontend
