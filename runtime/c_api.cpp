// The C ABI of nncc.h over nncc::Session. Every entry catches everything:
// errors become NNCC_ERROR plus a message, never an exception crossing
// into C or an abort.
#include "nncc/nncc.h"

#include "aot_model.h"
#include "c_models.h"
#include "nncc/desc_json.hpp"
#include "nncc/data_parallel.hpp"

#include <functional>
#include <cstring>
#include <fmt/format.h>
#include <map>
#include <mutex>

struct nncc_session {
  nncc::Session session;
  nncc::TensorMap inputs, outputs; // inputs set so far; results of the last call
  std::string error;
};

namespace {

using namespace nncc;

thread_local std::string g_create_error;

/// The LoadedModel of each nncc_model: an AOT library's parsed once per
/// process, a JIT-compiled one registered by c_model_of.
struct Models {
  std::mutex mutex;
  std::map<const nncc_model *, std::shared_ptr<const LoadedModel>> loaded;
  // The handles c_model_of made: the struct and the strings it points to.
  struct Handle {
    nncc_model model{};
    std::string name, json;
  };
  std::map<const nncc_model *, std::unique_ptr<Handle>> handles;
};
Models &models() {
  static Models m;
  return m;
}

std::shared_ptr<const LoadedModel> loaded(const nncc_model *model) {
  Models &m = models();
  std::lock_guard lock(m.mutex);
  auto &slot = m.loaded[model];
  if (!slot) slot = runtime::aot_model(model, nullptr);
  return slot;
}

} // namespace

namespace nncc::runtime {

const nncc_model *c_model_of(std::shared_ptr<const LoadedModel> model) {
  auto handle = std::make_unique<Models::Handle>();
  handle->name = model->desc.name;
  handle->json = desc_to_json(model->desc);
  handle->model = {NNCC_AOT_ABI_VERSION, 0, handle->name.c_str(), handle->json.c_str(), nullptr};
  const nncc_model *key = &handle->model;
  Models &m = models();
  std::lock_guard lock(m.mutex);
  m.loaded[key] = std::move(model);
  m.handles[key] = std::move(handle);
  return key;
}

void release_c_model(const nncc_model *model) {
  Models &m = models();
  std::lock_guard lock(m.mutex);
  if (m.handles.erase(model)) m.loaded.erase(model);
}

void set_create_error(std::string message) { g_create_error = std::move(message); }

} // namespace nncc::runtime

namespace {

/// Runs `body` on session `s`; any exception becomes s->error.
template <typename F> int guarded(nncc_session *s, F &&body) {
  if (!s) return NNCC_ERROR;
  try {
    body();
    s->error.clear();
    return 0;
  } catch (const std::exception &e) {
    s->error = e.what();
  } catch (...) {
    s->error = "unknown error";
  }
  return NNCC_ERROR;
}

DType dtype_of(int code) {
  switch (code) {
  case NNCC_F32: return DType::F32;
  case NNCC_F64: return DType::F64;
  case NNCC_I32: return DType::I32;
  default: throw Error(fmt::format("unknown dtype code {} (NNCC_F32, NNCC_F64 or NNCC_I32)", code));
  }
}

const Tensor &output(const nncc_session *s, const char *name) {
  auto it = s->outputs.find(name ? name : "");
  if (it == s->outputs.end()) {
    std::vector<std::string> names;
    for (const auto &[n, t] : s->outputs) names.push_back(n);
    throw Error(fmt::format("the last call has no result '{}' (results: {})", name ? name : "(null)", fmt::join(names, ", ")));
  }
  return it->second;
}

/// A call's results, with the loss as its own entry when there is one.
template <typename Call> int run(nncc_session *s, double *loss, Call call) {
  return guarded(s, [&] {
    TensorMap out = call(s->session, s->inputs);
    if (loss && out.count("loss")) *loss = out.at("loss").item();
    s->outputs = std::move(out);
  });
}

} // namespace

extern "C" {

const char *nncc_model_name(const nncc_model *model) { return model ? model->name : ""; }
const char *nncc_model_json(const nncc_model *model) { return model ? model->desc_json : ""; }

nncc_session *nncc_session_create(const nncc_model *model, uint64_t seed, int threads) {
  try {
    auto *s = new nncc_session{Model(loaded(model)).new_session({.seed = seed, .threads = threads}), {}, {}, {}};
    g_create_error.clear();
    return s;
  } catch (const std::exception &e) {
    g_create_error = e.what();
  } catch (...) {
    g_create_error = "unknown error";
  }
  return nullptr;
}

void nncc_session_destroy(nncc_session *s) { delete s; }

int nncc_set_input(nncc_session *s, const char *name, int dtype, const void *data, int rank, const int64_t *shape) {
  return guarded(s, [&] {
    if (!name || !data || rank < 0 || (rank > 0 && !shape)) throw Error("nncc_set_input: null name, data or shape");
    std::vector<int64_t> dims(shape, shape + rank);
    for (int64_t d : dims)
      if (d < 0) throw Error(fmt::format("nncc_set_input: input '{}' has a negative dimension {}", name, d));
    Tensor t(dtype_of(dtype), dims);
    std::memcpy(t.raw(), data, t.nbytes());
    s->inputs.insert_or_assign(name, std::move(t));
  });
}

int nncc_clear_inputs(nncc_session *s) { return guarded(s, [&] { s->inputs.clear(); }); }

int nncc_train_step(nncc_session *s, double *loss) {
  return guarded(s, [&] {
    double l = s->session.train_step(s->inputs);
    if (loss) *loss = l;
    s->outputs.clear();
    s->outputs.emplace("loss", Tensor::f64({}, {l}));
  });
}

int nncc_grad(nncc_session *s, double *loss) {
  return run(s, loss, [](Session &session, const TensorMap &inputs) { return session.grad(inputs); });
}
int nncc_forward(nncc_session *s) { return run(s, nullptr, std::mem_fn(&Session::forward)); }
int nncc_evaluate(nncc_session *s, double *loss) { return run(s, loss, std::mem_fn(&Session::evaluate)); }

int nncc_output_shape(const nncc_session *s, const char *name, int *rank, int64_t *shape) {
  auto *mut = const_cast<nncc_session *>(s);
  return guarded(mut, [&] {
    const Tensor &t = output(s, name);
    if (t.shape().size() > 8) throw Error(fmt::format("result '{}' has rank {} (more than 8)", name, t.shape().size()));
    if (rank) *rank = static_cast<int>(t.shape().size());
    if (shape) std::copy(t.shape().begin(), t.shape().end(), shape);
  });
}

int nncc_get_output(nncc_session *s, const char *name, void *out, int64_t numel) {
  return guarded(s, [&] {
    const Tensor &t = output(s, name);
    if (t.numel() != numel) throw Error(fmt::format("result '{}' is {} ({} elements), the buffer holds {}", name, t.type_str(), t.numel(), numel));
    if (!out) throw Error("nncc_get_output: null buffer");
    std::memcpy(out, t.raw(), t.nbytes());
  });
}

void *nncc_param(nncc_session *s, const char *name, int64_t *numel) {
  void *data = nullptr;
  guarded(s, [&] {
    Tensor &t = s->session.param_buffer(name ? name : "");
    if (numel) *numel = t.numel();
    data = t.raw();
  });
  return data;
}

int nncc_set_lr(nncc_session *s, double lr) { return guarded(s, [&] { s->session.set_lr(lr); }); }
double nncc_lr(const nncc_session *s) {
  double lr = 0;
  guarded(const_cast<nncc_session *>(s), [&] { lr = s->session.lr(); });
  return lr;
}
int64_t nncc_step(const nncc_session *s) { return s ? s->session.step() : 0; }

int nncc_save(nncc_session *s, const char *path) { return guarded(s, [&] { s->session.save(path ? path : ""); }); }
int nncc_load(nncc_session *s, const char *path) { return guarded(s, [&] { s->session.load(path ? path : ""); }); }

int nncc_set_communicator(nncc_session *s, const nncc_communicator *comm) {
  return guarded(s, [&] { s->session.set_communicator(comm ? communicator_of(*comm) : nullptr); });
}

void nncc_shard(int64_t rows, int rank, int size, int64_t *first, int64_t *count) {
  Shard shard = rows >= 0 && size > 0 && rank >= 0 && rank < size ? shard_of(rows, rank, size) : Shard{};
  if (first) *first = shard.begin;
  if (count) *count = shard.end - shard.begin;
}

int nncc_check_sync(nncc_session *s) {
  return guarded(s, [&] {
    const std::shared_ptr<Communicator> &comm = s->session.communicator();
    if (!comm) throw Error("nncc_check_sync: the session is not data-parallel (nncc_set_communicator)");
    check_in_sync(s->session, *comm);
  });
}

const char *nncc_last_error(const nncc_session *s) { return s ? s->error.c_str() : g_create_error.c_str(); }

} // extern "C"
