// nncc train --schedule: the learning rate as a function of the step.
//
// The lr is a run-time value of the compiled train_step (SPEC §1.8), so a
// schedule is the trainer setting it before each step, as PyTorch's
// lr_scheduler does between optimizer steps.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace nncc::tool {

enum class LrSchedule {
  Constant, // the base lr throughout
  Cosine,   // base·(1 + cos(π·t/T))/2 over all T steps: CosineAnnealingLR(T_max=T, eta_min=0) stepped per batch
};

/// The names --schedule takes.
const std::map<std::string, LrSchedule> &lr_schedule_names();
/// The schedule's --schedule name ("cosine").
const std::string &lr_schedule_name(LrSchedule schedule);

/// The lr of step t (0-based) of a run of `total` steps starting from `base`.
double scheduled_lr(LrSchedule schedule, double base, int64_t t, int64_t total);

} // namespace nncc::tool
