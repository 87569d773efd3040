// A Session owns a model's params, optimizer state and scratch memory, and
// calls its compiled entry points. Params and state are double-buffered:
// train_step writes the updated values into spare buffers that replace the
// current ones only when the whole call succeeded, which makes a failed call
// change nothing and costs no copies.
#include "nncc/nncc.hpp"

#include "call_context.h"
#include "checkpoint.h"
#include "nncc/data_parallel.hpp"
#include "nncc/init.h"

#include <charconv>
#include <cstdlib>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <algorithm>
#include <omp.h>
#include <thread>
#include <xmmintrin.h>

namespace nncc {

namespace {

/// Denormals flushed to zero (FTZ + DAZ) for the duration of a compiled call.
class FlushDenormals {
public:
  FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040); }
  ~FlushDenormals() { _mm_setcsr(saved_); }

private:
  unsigned saved_;
};

/// A value the session owns, with its spare buffer.
struct Owned {
  Tensor current, spare;
};

template <typename T> void fill(Tensor &t, double v) {
  T *p = t.data<T>();
  std::fill(p, p + t.numel(), static_cast<T>(v));
}
void fill_all(Tensor &t, double v) {
  switch (t.dtype()) {
  case DType::F32: return fill<float>(t, v);
  case DType::F64: return fill<double>(t, v);
  case DType::I32: return fill<int32_t>(t, v);
  case DType::U8: return fill<uint8_t>(t, v);
  }
}

} // namespace

std::string declared_str(const ModelDesc &m, const TensorDesc &t) {
  std::vector<std::string> dims;
  for (const DimDesc &d : t.shape) dims.push_back(d.is_symbolic() ? m.symbols[static_cast<size_t>(d.symbol)] : std::to_string(d.size));
  return t.shape.empty() ? dtype_name(t.dtype) : fmt::format("{}[{}]", dtype_name(t.dtype), fmt::join(dims, ", "));
}

/// threads = 0: what OpenMP programs (PyTorch, oneDNN's examples) take by
/// default — $OMP_NUM_THREADS when it names a count (its first, for a
/// nested list such as "4,2"), else every core.
static int default_threads() {
  if (const char *v = std::getenv("OMP_NUM_THREADS")) {
    char *end = nullptr;
    long n = std::strtol(v, &end, 10);
    if (end != v && n > 0 && (*end == '\0' || *end == ',')) return static_cast<int>(std::min<long>(n, 4096));
  }
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

struct Session::Impl {
  std::shared_ptr<const LoadedModel> model;
  SessionOptions options;
  runtime::CallContext ctx;
  std::map<std::string, Owned> params, states;
  int64_t steps = 0;
  std::vector<void *> buffers;

  Impl(std::shared_ptr<const LoadedModel> m, SessionOptions o)
      : model(std::move(m)), options(o), ctx(model->desc.primitive_sites) {
    if (options.threads <= 0) options.threads = default_threads();
    ctx.seed = options.seed;
    for (const ParamDesc &p : desc().params) {
      Owned &o2 = params[p.name];
      o2.current = Tensor(p.dtype, p.shape);
      o2.spare = Tensor(p.dtype, p.shape);
      if (p.dtype == DType::F32)
        init::fill<float>(p.init, p.init_args, p.shape, options.seed, p.name, {o2.current.data<float>(), static_cast<size_t>(o2.current.numel())});
      else
        init::fill<double>(p.init, p.init_args, p.shape, options.seed, p.name, {o2.current.data<double>(), static_cast<size_t>(o2.current.numel())});
    }
    for (const StateDesc &s : desc().states) {
      Owned &o2 = states[s.name];
      o2.current = Tensor(s.dtype, s.shape);
      o2.spare = Tensor(s.dtype, s.shape);
      fill_all(o2.current, s.initial);
    }
  }

  const ModelDesc &desc() const { return model->desc; }

  const FunctionDesc &function(const char *name, const char *needs) const {
    const FunctionDesc *f = desc().function(name);
    if (!f) throw Error(fmt::format("model '{}' has no {} function ({})", desc().name, name, needs));
    return *f;
  }

  Owned *owned(const ArgDesc &a) {
    auto &table = a.kind == ArgKind::Param ? params : states;
    auto it = table.find(a.name);
    return it == table.end() ? nullptr : &it->second;
  }

  /// Checks the inputs against `f`'s signature and binds symbolic dims;
  /// throws Error naming the input and both shapes.
  std::vector<int64_t> bind_inputs(const FunctionDesc &f, const TensorMap &inputs) const {
    std::vector<int64_t> dims(desc().symbols.size(), -1);
    std::vector<std::string> bound_by(dims.size());
    std::vector<std::string> names;
    for (const ArgDesc &a : f.args) {
      if (a.kind != ArgKind::Input) continue;
      names.push_back(a.name);
      auto it = inputs.find(a.name);
      if (it == inputs.end()) throw Error(fmt::format("{}: missing input '{}' ({})", f.name, a.name, declared_str(desc(), a)));
      const Tensor &t = it->second;
      auto mismatch = [&] {
        return Error(fmt::format("{}: input '{}' is {}, but the model declares {}", f.name, a.name, t.type_str(), declared_str(desc(), a)));
      };
      if (t.dtype() != a.dtype || t.shape().size() != a.shape.size()) throw mismatch();
      for (size_t i = 0; i < a.shape.size(); ++i) {
        const DimDesc &d = a.shape[i];
        int64_t got = t.shape()[i];
        if (!d.is_symbolic()) {
          if (got != d.size) throw mismatch();
          continue;
        }
        auto s = static_cast<size_t>(d.symbol);
        if (dims[s] < 0) {
          dims[s] = got;
          bound_by[s] = a.name;
        } else if (dims[s] != got) {
          throw Error(fmt::format("{}: symbolic dimension {} is {} in input '{}' but {} in input '{}'", f.name,
                                  desc().symbols[s], dims[s], bound_by[s], got, a.name));
        }
      }
      if (a.index_limit > 0) {
        const int32_t *v = t.data<int32_t>();
        for (int64_t i = 0; i < t.numel(); ++i)
          if (v[i] < 0 || v[i] >= a.index_limit)
            throw Error(fmt::format("{}: input '{}' holds {} at flat index {}, outside [0, {})", f.name, a.name, v[i], i, a.index_limit));
      }
    }
    // Inputs of the model's other entry points (labels passed to forward)
    // are ignored; a name the model does not have at all is an error.
    for (const auto &[name, t] : inputs)
      if (!is_model_input(name))
        throw Error(fmt::format("{}: model '{}' has no input '{}' (this call reads: {})", f.name, desc().name, name, fmt::join(names, ", ")));
    return dims;
  }

  bool is_model_input(const std::string &name) const {
    for (const FunctionDesc &f : desc().functions)
      for (const ArgDesc &a : f.args)
        if (a.kind == ArgKind::Input && a.name == name) return true;
    return false;
  }

  std::vector<int64_t> resolve(const TensorDesc &t, const std::vector<int64_t> &dims) const {
    std::vector<int64_t> shape;
    for (const DimDesc &d : t.shape) shape.push_back(d.is_symbolic() ? dims[static_cast<size_t>(d.symbol)] : d.size);
    return shape;
  }

  /// Runs `f`. Results naming a param or state go to its spare buffer
  /// (committed by the caller); the others are returned.
  TensorMap call(const FunctionDesc &f, const TensorMap &inputs, uint64_t rng_step, std::vector<Owned *> *written = nullptr,
                 int64_t first_row = 0) {
    EntryPoint code = model->code(f); // the JIT compiles it at the first call
    std::vector<int64_t> dims = bind_inputs(f, inputs);
    buffers.clear();
    for (const ArgDesc &a : f.args) {
      if (a.kind == ArgKind::Input) {
        buffers.push_back(const_cast<void *>(inputs.at(a.name).raw()));
        continue;
      }
      Owned *o = owned(a);
      if (!o) throw Error(fmt::format("{}: the session has no {} '{}'", f.name, a.kind == ArgKind::Param ? "param" : "state", a.name));
      buffers.push_back(o->current.raw());
    }
    TensorMap out;
    for (const TensorDesc &r : f.results) {
      Owned *o = nullptr;
      if (written) {
        if (auto it = params.find(r.name); it != params.end()) o = &it->second;
        else if (auto st = states.find(r.name); st != states.end()) o = &st->second;
      }
      if (o) {
        written->push_back(o);
        buffers.push_back(o->spare.raw());
      } else {
        buffers.push_back(out.insert_or_assign(r.name, Tensor(r.dtype, resolve(r, dims))).first->second.raw());
      }
    }
    ctx.step = rng_step;
    ctx.first_row = first_row;
    ctx.error.clear();
    ctx.arena.reset();
    omp_set_num_threads(options.threads);
    {
      FlushDenormals ftz;
      code(&ctx, buffers.data(), dims.data());
    }
    if (!ctx.error.empty()) throw Error(fmt::format("{}: {}", f.name, ctx.error));
    return out;
  }

  /// Runs an entry point that updates the params and state (train_step,
  /// apply_update) as step steps + 1 (Adam's bias corrections count from 1);
  /// the new values are committed only when the call succeeds.
  TensorMap update(const FunctionDesc &f, const TensorMap &inputs) {
    Owned &step = state("step");
    Tensor previous_step = step.current;
    fill_all(step.current, static_cast<double>(steps + 1));
    std::vector<Owned *> written;
    TensorMap out;
    try {
      out = call(f, inputs, steps + 1, &written);
    } catch (...) {
      step.current = std::move(previous_step);
      throw;
    }
    for (Owned *o : written) std::swap(o->current, o->spare);
    ++steps;
    return out;
  }

  /// Throws Error unless `tensors` are exactly the tensors of Session::state()
  /// with their dtypes and shapes (`source` names where they come from).
  void check_state(const TensorMap &tensors, const std::string &source) const {
    std::map<std::string, const Tensor *> expected; // in name order, as state() lists them
    for (const auto &[name, o] : params) expected.emplace(name, &o.current);
    for (const auto &[name, o] : states)
      if (name != "lr" && name != "step") expected.emplace(name, &o.current);
    for (const auto &[name, t] : expected) {
      auto it = tensors.find(name);
      if (it == tensors.end()) throw Error(fmt::format("{} has no tensor '{}' that model '{}' needs", source, name, desc().name));
      if (it->second.dtype() != t->dtype() || it->second.shape() != t->shape())
        throw Error(fmt::format("{}: tensor '{}' is {} but model '{}' has {}", source, name, it->second.type_str(), desc().name, t->type_str()));
    }
    for (const auto &[name, t] : tensors)
      if (!expected.count(name)) throw Error(fmt::format("{} has tensor '{}', which model '{}' does not have", source, name, desc().name));
  }

  void commit_state(TensorMap tensors) {
    for (auto &[name, t] : tensors) (params.count(name) ? params : states).at(name).current = std::move(t);
  }

  Owned &state(const std::string &name) {
    auto it = states.find(name);
    if (it == states.end()) throw Error(fmt::format("model '{}' has no optimizer state '{}'", desc().name, name));
    return it->second;
  }
};

void Model::prepare(const std::string &name) const {
  const FunctionDesc *f = loaded_->desc.function(name);
  if (!f) throw Error(fmt::format("model '{}' has no entry point '{}'", loaded_->desc.name, name));
  loaded_->code(*f);
}

Session::Session(std::shared_ptr<const LoadedModel> model, SessionOptions options)
    : impl_(std::make_unique<Impl>(std::move(model), options)) {
  if (impl_->options.communicator) set_communicator(impl_->options.communicator);
}
Session::~Session() = default;
Session::Session(Session &&) noexcept = default;
Session &Session::operator=(Session &&) noexcept = default;

const ModelDesc &Session::desc() const { return impl_->desc(); }

TensorMap Session::forward(const TensorMap &inputs) {
  return impl_->call(impl_->function("forward", "it has no outputs"), inputs, impl_->steps);
}

TensorMap Session::evaluate(const TensorMap &inputs) {
  return impl_->call(impl_->function("evaluate", "it has no loss"), inputs, impl_->steps);
}

TensorMap Session::grad(const TensorMap &inputs, int64_t first_row) {
  if (first_row < 0) throw Error(fmt::format("grad: first_row is {}, a negative row", first_row));
  return impl_->call(impl_->function("grad", "it has no loss"), inputs, impl_->steps + 1, nullptr, first_row);
}

double Session::train_step(const TensorMap &inputs) {
  if (impl_->options.communicator) return data_parallel_step(*this, *impl_->options.communicator, inputs);
  return impl_->update(impl_->function("train_step", "it has no optimizer"), inputs).at("loss").item();
}

void Session::apply_update(const TensorMap &grads) {
  const FunctionDesc &f = impl_->function("apply_update", "it was not compiled with CompilerOptions::apply_update");
  // Running statistics among the gradients (grad returns them for batch
  // norm) are committed with the update, and only when it succeeds.
  TensorMap gradients;
  std::vector<std::pair<Owned *, const Tensor *>> statistics;
  const FunctionDesc *g = desc().function("grad");
  for (const auto &[name, t] : grads) {
    bool statistic = g && impl_->states.count(name) &&
                     std::any_of(g->results.begin(), g->results.end(), [&](const TensorDesc &r) { return r.name == name; });
    if (!statistic) {
      gradients.emplace(name, t);
      continue;
    }
    Owned &o = impl_->states.at(name);
    if (t.dtype() != o.current.dtype() || t.shape() != o.current.shape())
      throw Error(fmt::format("apply_update: running statistic '{}' is {}, but the model has {}", name, t.type_str(), o.current.type_str()));
    statistics.emplace_back(&o, &t);
  }
  impl_->update(f, gradients);
  for (auto [o, t] : statistics) o->current = *t;
}

void Session::set_communicator(std::shared_ptr<Communicator> comm) {
  if (comm) {
    impl_->function("apply_update", "a data-parallel session needs it: compile with CompilerOptions::apply_update or nncc compile --data-parallel");
    broadcast_state(*this, *comm);
  }
  impl_->options.communicator = std::move(comm);
}

const std::shared_ptr<Communicator> &Session::communicator() const { return impl_->options.communicator; }

void Session::set_lr(double lr) { fill_all(impl_->state("lr").current, lr); }
double Session::lr() const { return impl_->state("lr").current.item(); }
int64_t Session::step() const { return impl_->steps; }
int Session::threads() const { return impl_->options.threads; }

std::vector<std::string> Session::param_names() const {
  std::vector<std::string> names;
  for (const ParamDesc &p : desc().params) names.push_back(p.name);
  return names;
}

Tensor &Session::param_buffer(const std::string &name) {
  auto it = impl_->params.find(name);
  if (it == impl_->params.end())
    throw Error(fmt::format("model '{}' has no param '{}' (params: {})", desc().name, name, fmt::join(param_names(), ", ")));
  return it->second.current;
}

Tensor Session::param(const std::string &name) const { return const_cast<Session *>(this)->param_buffer(name); }

void Session::set_param(const std::string &name, const Tensor &value) {
  Tensor current = param(name);
  if (value.dtype() != current.dtype() || value.shape() != current.shape())
    throw Error(fmt::format("param '{}' is {}, cannot set it to a {}", name, current.type_str(), value.type_str()));
  impl_->params.at(name).current = value;
}

TensorMap Session::state() const {
  TensorMap all;
  for (const auto &[name, o] : impl_->params) all.emplace(name, o.current);
  // Optimizer state and running statistics; the learning rate and the step
  // count are metadata of a checkpoint, not tensors.
  for (const auto &[name, o] : impl_->states)
    if (name != "lr" && name != "step") all.emplace(name, o.current);
  return all;
}

void Session::set_state(TensorMap tensors) {
  impl_->check_state(tensors, "set_state");
  impl_->commit_state(std::move(tensors));
}

void Session::save(const std::string &path, const std::map<std::string, std::string> &extra) const {
  runtime::Checkpoint cp;
  cp.tensors = state();
  cp.metadata = extra; // the session's own keys below win over extra's
  cp.metadata["model"] = desc().name;
  cp.metadata["signature"] = desc().signature;
  cp.metadata["step"] = std::to_string(impl_->steps);
  if (impl_->states.count("lr")) cp.metadata["lr"] = fmt::format("{}", lr());
  runtime::write_safetensors(path, cp);
}

std::map<std::string, std::string> Session::load(const std::string &path) {
  runtime::Checkpoint cp = runtime::read_safetensors(path);
  impl_->check_state(cp.tensors, fmt::format("checkpoint '{}'", path));
  int64_t steps = 0;
  double lr = 0;
  auto number = [&](const char *key, auto &value) { // the whole text, not a prefix ("12abc" is no step)
    auto it = cp.metadata.find(key);
    if (it == cp.metadata.end()) return;
    const std::string &text = it->second;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty())
      throw Error(fmt::format("checkpoint '{}': metadata '{}' is '{}', not a number", path, key, text));
  };
  number("step", steps);
  number("lr", lr);
  if (steps < 0) throw Error(fmt::format("checkpoint '{}': metadata 'step' is {}, a negative step count", path, steps));
  // Everything checked: commit.
  impl_->commit_state(std::move(cp.tensors));
  impl_->steps = steps;
  if (cp.metadata.count("lr") && impl_->states.count("lr")) set_lr(lr);
  return cp.metadata;
}

} // namespace nncc
