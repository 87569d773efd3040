#include "tools/nncc/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace nncc::tool {

namespace {

constexpr double kW = 420, kH = 300, kLeft = 60, kTop = 40, kPlotW = 330, kPlotH = 210;

/// One panel: axes with min/max labels and polylines of (x, y) points.
struct Panel {
  double x0, x1, y0, y1, offset;
  std::string svg;

  double px(double x) const { return offset + kLeft + (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5) * kPlotW; }
  double py(double y) const { return kTop + kPlotH - (y1 > y0 ? (y - y0) / (y1 - y0) : 0.5) * kPlotH; }

  void axes(const std::string &title, const std::string &xlabel) {
    svg += fmt::format("<text x=\"{}\" y=\"24\" font-size=\"15\" text-anchor=\"middle\">{}</text>\n", offset + kLeft + kPlotW / 2, title);
    svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#444\"/>\n", offset + kLeft, kTop, kPlotW, kPlotH);
    svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{:.3g}</text>\n", offset + kLeft - 4, kTop + 4, y1);
    svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{:.3g}</text>\n", offset + kLeft - 4, kTop + kPlotH, y0);
    svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\">{:g}</text>\n", offset + kLeft, kTop + kPlotH + 15, x0);
    svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{:g}</text>\n", offset + kLeft + kPlotW, kTop + kPlotH + 15, x1);
    svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">{}</text>\n", offset + kLeft + kPlotW / 2, kTop + kPlotH + 30, xlabel);
  }
  void line(const std::vector<double> &xs, const std::vector<double> &ys, const char *colour, const char *label, int row) {
    std::string points;
    for (size_t i = 0; i < ys.size(); ++i)
      if (std::isfinite(ys[i])) points += fmt::format("{:.1f},{:.1f} ", px(xs[i]), py(ys[i]));
    svg += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"/>\n", colour, points);
    svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"{}\" text-anchor=\"end\">{}</text>\n", offset + kLeft + kPlotW - 6,
                       kTop + 16 + 15 * row, colour, label);
  }
};

std::pair<double, double> range(std::initializer_list<const std::vector<double> *> series) {
  double lo = INFINITY, hi = -INFINITY;
  for (const auto *s : series)
    for (double v : *s)
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  return std::isfinite(lo) ? std::pair{lo, hi} : std::pair{0.0, 1.0};
}

} // namespace

std::string training_svg(const TrainingCurves &c) {
  bool accuracy = !c.test_accuracy.empty();
  double width = accuracy ? 2 * kW : kW;
  std::string svg = fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
                                "font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
                                width, kH, width, kH);
  std::vector<double> steps(c.step_loss.size());
  for (size_t i = 0; i < steps.size(); ++i) steps[i] = static_cast<double>(i + 1);
  auto [lo, hi] = range({&c.step_loss, &c.test_loss});
  Panel loss{1, std::max<double>(1, static_cast<double>(steps.size())), std::min(0.0, lo), hi, 0, ""};
  loss.axes(c.title + ": loss", "step");
  loss.line(steps, c.step_loss, "#1f77b4", "train (per step)", 0);
  if (!c.test_loss.empty()) loss.line(c.epoch_end_step, c.test_loss, "#d62728", "test (per epoch)", 1);
  svg += loss.svg;
  if (accuracy) {
    std::vector<double> epochs(c.test_accuracy.size());
    for (size_t i = 0; i < epochs.size(); ++i) epochs[i] = static_cast<double>(i + 1);
    auto [alo, ahi] = range({&c.test_accuracy});
    Panel acc{1, std::max<double>(2, static_cast<double>(epochs.size())), std::floor(alo * 20) / 20, std::min(1.0, std::ceil(ahi * 20) / 20), kW, ""};
    acc.axes("test accuracy", "epoch");
    acc.line(epochs, c.test_accuracy, "#2ca02c", "test accuracy", 0);
    svg += acc.svg;
  }
  return svg + "</svg>\n";
}

} // namespace nncc::tool
