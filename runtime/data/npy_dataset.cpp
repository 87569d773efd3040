// `npy:NAME=PATH,...`: one field per .npy file, rows along the first axis.
#include "data/loaders.h"

#include "nncc/npy.h"

#include <cmath>
#include <fmt/format.h>

namespace nncc::data {

namespace {

Tensor to_field(const npy::Array &a, const std::string &path, double scale) {
  char kind = a.dtype.size() >= 2 ? a.dtype[1] : '?';
  bool image = a.dtype == "|u1" && a.shape.size() >= 2;
  DType dtype = image || kind == 'f' ? (a.dtype == "<f8" ? DType::F64 : DType::F32) : DType::I32;
  Tensor t(dtype, a.shape);
  for (size_t i = 0; i < a.values.size(); ++i) {
    double v = a.values[i];
    if (!std::isfinite(v)) throw Error(fmt::format("'{}': element {} is {} (only finite numbers are data)", path, i, v));
    if (dtype == DType::F64) t.data<double>()[i] = v;
    else if (dtype == DType::F32) t.data<float>()[i] = static_cast<float>(image ? v * scale : v);
    else if (v < -2147483648.0 || v > 2147483647.0)
      throw Error(fmt::format("'{}': element {} is {}, out of the range of i32", path, i, v));
    else t.data<int32_t>()[i] = static_cast<int32_t>(v);
  }
  return t;
}

} // namespace

Dataset from_npy(const std::string &name, const std::map<std::string, std::string> &paths, double scale) {
  if (paths.empty() || paths.count("")) throw Error(fmt::format("data spec '{}': npy needs NAME=PATH items", name));
  Dataset d{name, {}, -1};
  std::string first;
  for (const auto &[field, path] : paths) {
    npy::Array a;
    try {
      a = npy::read(path);
    } catch (const npy::Error &e) {
      throw Error(e.what());
    }
    if (a.shape.empty()) throw Error(fmt::format("'{}' holds a scalar; a dataset field needs a first (row) dimension", path));
    if (d.rows >= 0 && a.shape[0] != d.rows)
      throw Error(fmt::format("'{}' has {} rows but '{}' has {}", path, a.shape[0], paths.at(first), d.rows));
    if (d.rows < 0) d.rows = a.shape[0], first = field;
    d.fields.emplace(field, to_field(a, path, scale));
  }
  return d;
}

} // namespace nncc::data
