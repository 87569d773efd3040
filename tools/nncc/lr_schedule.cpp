#include "tools/nncc/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace nncc::tool {

const std::map<std::string, LrSchedule> &lr_schedule_names() {
  static const std::map<std::string, LrSchedule> names{{"constant", LrSchedule::Constant}, {"cosine", LrSchedule::Cosine}};
  return names;
}

const std::string &lr_schedule_name(LrSchedule schedule) {
  for (const auto &[name, s] : lr_schedule_names())
    if (s == schedule) return name;
  throw std::logic_error("an lr schedule without a name");
}

double scheduled_lr(LrSchedule schedule, double base, int64_t t, int64_t total) {
  if (schedule == LrSchedule::Constant || total <= 0) return base;
  double progress = std::clamp(static_cast<double>(t) / static_cast<double>(total), 0.0, 1.0);
  return base * 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
}

} // namespace nncc::tool
