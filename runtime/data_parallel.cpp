#include "nncc/data_parallel.hpp"

#include <fmt/format.h>
#include <vector>

namespace nncc {

Shard shard_of(int64_t rows, int rank, int size) {
  int64_t base = rows / size, extra = rows % size;
  int64_t begin = rank * base + std::min<int64_t>(rank, extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

namespace {

/// Every gradient and the loss in one buffer, scaled by `weight` (the
/// shard's share of the global batch), summed across processes, and
/// written back: one collective per step.
template <typename T>
double combine(TensorMap &grads, const std::vector<std::string> &names, Communicator &comm, double weight) {
  size_t total = 1;
  for (const std::string &n : names) total += static_cast<size_t>(grads.at(n).numel());
  std::vector<T> fused;
  fused.reserve(total);
  for (const std::string &n : names) {
    const T *g = grads.at(n).data<T>();
    for (int64_t i = 0; i < grads.at(n).numel(); ++i) fused.push_back(static_cast<T>(weight * g[i]));
  }
  fused.push_back(static_cast<T>(weight * grads.at("loss").item()));
  comm.sum(fused.data(), fused.size());
  size_t at = 0;
  for (const std::string &n : names) {
    T *g = grads.at(n).data<T>();
    for (int64_t i = 0; i < grads.at(n).numel(); ++i) g[i] = fused[at++];
  }
  return static_cast<double>(fused.back());
}

} // namespace

double data_parallel_step(Session &session, Communicator &comm, const TensorMap &shard, Shard rows, int64_t global_rows) {
  int64_t shard_rows = rows.end - rows.begin;
  if (global_rows <= 0 || rows.begin < 0 || shard_rows < 0 || rows.end > global_rows)
    throw Error(fmt::format("data-parallel step: rows [{}, {}) of a global batch of {}", rows.begin, rows.end, global_rows));
  const std::vector<ParamDesc> &params = session.desc().params;
  if (params.empty()) throw Error(fmt::format("data-parallel step: model '{}' has no params", session.desc().name));
  std::vector<std::string> names;
  for (const ParamDesc &p : params) names.push_back("d_" + p.name);
  TensorMap grads;
  if (shard_rows > 0) {
    grads = session.grad(shard, rows.begin);
  } else { // no rows here: zeros (tensors start zeroed), so the sum is the other processes'
    for (const ParamDesc &p : params) grads.emplace("d_" + p.name, Tensor(p.dtype, p.shape));
    grads.emplace("loss", Tensor(params.front().dtype, {}));
  }
  double weight = static_cast<double>(shard_rows) / static_cast<double>(global_rows);
  double loss = grads.at("loss").dtype() == DType::F64 ? combine<double>(grads, names, comm, weight)
                                                        : combine<float>(grads, names, comm, weight);
  grads.erase("loss");
  session.apply_update(grads);
  return loss;
}

} // namespace nncc
