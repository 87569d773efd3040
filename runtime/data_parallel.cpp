#include "nncc/data_parallel.hpp"

#include "checkpoint.h"

#include <algorithm>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <vector>

namespace nncc {

Shard shard_of(int64_t rows, int rank, int size) {
  int64_t base = rows / size, extra = rows % size;
  int64_t begin = rank * base + std::min<int64_t>(rank, extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

namespace {

/// Every gradient scaled by `weight` (the shard's share of the global
/// batch) and the numbers `extra` in one buffer, summed across processes:
/// one collective per step. The gradients are written back; the summed
/// extras returned.
template <typename T>
std::vector<double> combine(TensorMap &grads, const std::vector<std::string> &names, Communicator &comm, double weight,
                            const std::vector<double> &extra) {
  std::vector<Tensor *> tensors;
  size_t total = extra.size();
  for (const std::string &n : names) {
    tensors.push_back(&grads.at(n));
    total += static_cast<size_t>(tensors.back()->numel());
  }
  std::vector<T> fused(total);
  T *at = fused.data();
  for (Tensor *t : tensors)
    at = std::transform(t->data<T>(), t->data<T>() + t->numel(), at, [weight](T g) { return static_cast<T>(weight * g); });
  std::transform(extra.begin(), extra.end(), at, [](double x) { return static_cast<T>(x); });
  comm.sum(fused.data(), fused.size());
  const T *from = fused.data();
  for (Tensor *t : tensors) {
    std::copy_n(from, t->numel(), t->data<T>());
    from += t->numel();
  }
  return std::vector<double>(from, from + extra.size());
}

/// grad's results as zeros (tensors start zeroed): what a process with no
/// rows, or whose grad failed, adds to the sum.
TensorMap zero_results(const FunctionDesc &grad) {
  TensorMap results;
  for (const TensorDesc &r : grad.results) {
    std::vector<int64_t> shape;
    for (const DimDesc &d : r.shape) shape.push_back(d.size); // grad's results have static shapes
    results.emplace(r.name, Tensor(r.dtype, shape));
  }
  return results;
}

/// The rows of `shard`: the first dimension of grad's first batch-first input.
int64_t rows_of(const FunctionDesc &grad, const TensorMap &shard) {
  for (const ArgDesc &a : grad.args) {
    if (a.kind != ArgKind::Input || a.shape.empty() || !a.shape.front().is_symbolic()) continue;
    auto it = shard.find(a.name);
    if (it == shard.end() || it->second.shape().empty())
      throw Error(fmt::format("data-parallel train_step: missing input '{}' (this process's rows, possibly none)", a.name));
    return it->second.shape().front();
  }
  throw Error("data-parallel train_step: the model has no input whose first dimension is the batch");
}

} // namespace

double data_parallel_step(Session &session, Communicator &comm, const TensorMap &shard, Shard rows, int64_t global_rows) {
  int64_t shard_rows = rows.end - rows.begin;
  if (global_rows <= 0 || rows.begin < 0 || shard_rows < 0 || rows.end > global_rows)
    throw Error(fmt::format("data-parallel step: rows [{}, {}) of a global batch of {}", rows.begin, rows.end, global_rows));
  const ModelDesc &desc = session.desc();
  const FunctionDesc *grad = desc.function("grad");
  if (desc.params.empty() || !grad) throw Error(fmt::format("data-parallel step: model '{}' has no params or no loss", desc.name));
  std::vector<std::string> names;
  for (const ParamDesc &p : desc.params) names.push_back("d_" + p.name);
  // A process whose grad fails still joins the collective (with zeros and
  // its failure flag), so no process waits for it and none updates.
  std::string failure;
  TensorMap results;
  if (shard_rows > 0) {
    try {
      results = session.grad(shard, rows.begin);
    } catch (const Error &e) {
      failure = e.what();
    }
  }
  if (shard_rows == 0 || !failure.empty()) results = zero_results(*grad);
  double weight = static_cast<double>(shard_rows) / static_cast<double>(global_rows);
  // With the gradients: the weighted loss, the failure flag, and each
  // process's row count in its own slot.
  auto size = static_cast<size_t>(comm.size());
  std::vector<double> extra(2 + size, 0.0);
  extra[0] = failure.empty() ? weight * results.at("loss").item() : 0.0;
  extra[1] = failure.empty() ? 0.0 : 1.0;
  extra[2 + static_cast<size_t>(comm.rank())] = static_cast<double>(shard_rows);
  extra = results.at("loss").dtype() == DType::F64 ? combine<double>(results, names, comm, weight, extra)
                                                   : combine<float>(results, names, comm, weight, extra);
  if (!failure.empty()) throw Error(failure);
  if (extra[1] > 0)
    throw PeerFailure(fmt::format("data-parallel train_step: {:g} other process(es) failed this step, so no process takes it", extra[1]));
  double all_rows = 0;
  size_t first_with_rows = size;
  for (size_t r = 0; r < size; ++r) {
    all_rows += extra[2 + r];
    if (first_with_rows == size && extra[2 + r] > 0) first_with_rows = r;
  }
  if (all_rows != static_cast<double>(global_rows))
    throw Error(fmt::format("data-parallel step: the processes' shards hold {:g} rows in all, not the global batch's {}", all_rows, global_rows));
  results.erase("loss");
  // Batch norm's running statistics are those of the first shard (process
  // 0's, unless it has no rows), the same on every process (PyTorch DDP's
  // broadcast_buffers). The statistics used inside the step are each
  // shard's own.
  for (auto &[name, t] : results)
    if (std::find(names.begin(), names.end(), name) == names.end()) comm.broadcast(t.raw(), t.nbytes(), static_cast<int>(first_with_rows));
  session.apply_update(results);
  return extra[0];
}

double data_parallel_step(Session &session, Communicator &comm, const TensorMap &shard) {
  const FunctionDesc *grad = session.desc().function("grad");
  if (!grad) throw Error(fmt::format("data-parallel train_step: model '{}' has no loss", session.desc().name));
  // Every process's row count in its own slot, summed, places its rows; the
  // last slot counts the processes whose inputs have no rows to count.
  int64_t rows = 0;
  std::string failure;
  try {
    rows = rows_of(*grad, shard);
  } catch (const Error &e) {
    failure = e.what();
  }
  auto size = static_cast<size_t>(comm.size());
  std::vector<double> counts(size + 1, 0.0);
  counts[failure.empty() ? static_cast<size_t>(comm.rank()) : size] = failure.empty() ? static_cast<double>(rows) : 1.0;
  comm.sum(counts.data(), counts.size());
  if (!failure.empty()) throw Error(failure);
  if (counts[size] > 0) throw PeerFailure(fmt::format("data-parallel train_step: {:g} other process(es) failed this step, so no process takes it", counts[size]));
  int64_t first = 0, global = 0;
  for (size_t r = 0; r < size; ++r) {
    if (r < static_cast<size_t>(comm.rank())) first += static_cast<int64_t>(counts[r]);
    global += static_cast<int64_t>(counts[r]);
  }
  if (global == 0) throw Error("data-parallel train_step: no process has rows in this batch");
  return data_parallel_step(session, comm, shard, {first, first + rows}, global);
}

void broadcast_state(Session &session, Communicator &comm) {
  TensorMap state = session.state();
  for (auto &[name, t] : state) comm.broadcast(t.raw(), t.nbytes(), 0);
  double lr = session.lr();
  comm.broadcast(&lr, sizeof lr, 0);
  session.set_state(std::move(state));
  session.set_lr(lr);
}

uint32_t check_in_sync(const Session &session, Communicator &comm) {
  uint32_t crc = 0;
  for (const auto &[name, t] : session.state()) {
    crc = runtime::crc32(name.data(), name.size(), crc);
    crc = runtime::crc32(t.raw(), t.nbytes(), crc);
  }
  int64_t step = session.step();
  crc = runtime::crc32(&step, sizeof step, crc);
  uint32_t rank0 = crc;
  comm.broadcast(&rank0, sizeof rank0, 0);
  // Every process learns which ones differ: a 1 in its own slot, summed.
  std::vector<double> differs(static_cast<size_t>(comm.size()), 0.0);
  differs[static_cast<size_t>(comm.rank())] = crc != rank0 ? 1 : 0;
  comm.sum(differs.data(), differs.size());
  std::vector<int> ranks;
  for (size_t r = 0; r < differs.size(); ++r)
    if (differs[r] != 0) ranks.push_back(static_cast<int>(r));
  if (!ranks.empty())
    throw Error(fmt::format("after train step {} the params or optimizer state of process{} {} differ from process 0's: "
                            "the processes are out of sync",
                            step, ranks.size() > 1 ? "es" : "", fmt::join(ranks, ", ")));
  return crc;
}

} // namespace nncc
