// batch_norm(x, gamma, beta, momentum=0.1, eps=1e-5) (SPEC 1.6a) is a
// composite of ops the frontend writes out: the batch's mean and variance
// over every axis but 1, `training_else` picking them in training and the
// running statistics in forward/evaluate, the normalization with gamma and
// beta, and the running statistics' new values — module state named after
// the statement (`h1.running_mean`), which train_step returns. Autodiff
// then differentiates the composite like any graph (the standard batch norm
// backward through mean and variance).
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
