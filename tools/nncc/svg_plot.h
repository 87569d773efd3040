// Training curves as an SVG file a browser opens: the loss of every step
// (and the test loss after each epoch) on the left, test accuracy per epoch
// on the right.
#pragma once
#include <string>
#include <vector>

namespace nncc::tool {

struct TrainingCurves {
  std::string title;
  std::vector<double> step_loss;                  // one per train step
  std::vector<double> test_loss, test_accuracy;   // one per epoch (may be empty)
  std::vector<double> epoch_end_step;             // the step count after each epoch
};

std::string training_svg(const TrainingCurves &curves);

} // namespace nncc::tool
