#include "tools/nncc/data_options.h"

#include <charconv>
#include <optional>
#include <fmt/format.h>

namespace nncc::tool {

namespace {

std::optional<double> parse_number(std::string_view s) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

} // namespace

void DataOptions::add_to(CLI::App &cmd, const std::string &data_help) {
  cmd.add_option("--data", data, data_help)->required();
  cmd.add_option("--scale", scale, "factor applied to u8 image pixels (a number or a fraction)")->capture_default_str();
  cmd.add_option("--bind", bind, "feed model input INPUT from dataset field FIELD (repeatable)")->type_name("INPUT=FIELD");
}

double DataOptions::image_scale() const {
  size_t slash = scale.find('/');
  std::optional<double> num = parse_number(std::string_view(scale).substr(0, slash)), den = std::optional<double>(1.0);
  if (slash != std::string::npos) den = parse_number(std::string_view(scale).substr(slash + 1));
  if (!num || !den || *den == 0) throw Error(fmt::format("--scale '{}' is not a number or a fraction like 1/255", scale));
  return *num / *den;
}

std::map<std::string, std::string> DataOptions::overrides() const {
  std::map<std::string, std::string> out;
  for (const std::string &item : bind) {
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size())
      throw Error(fmt::format("--bind '{}' is not INPUT=FIELD", item));
    out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return out;
}

} // namespace nncc::tool
