// The C++ host API of SPEC §5: compile a .nn file (JIT) or load an AOT
// library into a Model, open Sessions on it, and train.
//
//   nncc::Compiler cc;
//   nncc::Model model = cc.compile_file("examples/xor.nn");
//   nncc::Session s = model.new_session({.seed = 42});
//   double loss = s.train_step({{"x", x}, {"y", y}});
//
// Every failure throws nncc::Error with a message naming the input, param,
// file or tensor at fault; a call that throws leaves the session unchanged.
#pragma once
#include "nncc/model_desc.hpp"
#include "nncc/tensor.hpp"

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace nncc {

using TensorMap = std::map<std::string, Tensor>;

/// A model's description plus whatever keeps its machine code alive (a JIT
/// instance or a loaded library).
struct LoadedModel {
  ModelDesc desc;
  /// Time spent producing code so far (the JIT adds each entry point it compiles).
  mutable std::atomic<double> compile_ms{0};
  /// Entry points the JIT generated afresh, and those it loaded from its on-disk cache.
  mutable std::atomic<int> compiled_afresh{0}, loaded_from_cache{0};

  /// The machine code of `f`, one of desc.functions. The JIT compiles an
  /// entry point the first time it is asked for it; throws Error when that fails.
  virtual EntryPoint code(const FunctionDesc &f) const { return f.code; }
  virtual ~LoadedModel() = default;
};

class Communicator;

struct SessionOptions {
  uint64_t seed = 0;
  int threads = 0; // threads of oneDNN and the generated loops; 0: $OMP_NUM_THREADS if set, else all cores
  /// Data-parallel training (see Session::set_communicator); null: one process.
  std::shared_ptr<Communicator> communicator;
};

class Session {
public:
  Session(std::shared_ptr<const LoadedModel> model, SessionOptions options);
  ~Session();
  Session(Session &&) noexcept;
  Session &operator=(Session &&) noexcept;

  /// Inference mode (dropout off): the model's outputs by name.
  TensorMap forward(const TensorMap &inputs);
  /// Inference mode, the outputs and "loss" (test loss and accuracy).
  TensorMap evaluate(const TensorMap &inputs);
  /// Training-mode forward + backward without update: "loss" and "d_<param>"
  /// (with CompilerOptions::apply_update also batch norm's new running
  /// statistics, for apply_update to commit).
  /// `first_row`: where these rows start in a larger batch that several
  /// processes share (data-parallel training); dropout then draws those
  /// rows' masks, so the shards together draw the whole batch's.
  TensorMap grad(const TensorMap &inputs, int64_t first_row = 0);
  /// Forward + backward + optimizer update as one compiled call; the loss.
  /// In a data-parallel session: this process's rows of the global batch
  /// (any count, even 0), and the global batch's mean loss.
  double train_step(const TensorMap &inputs);
  /// Makes train_step data-parallel over `comm` (PyTorch's DDP), or one
  /// process again with null. A collective: every process calls it, and
  /// each takes process 0's params, optimizer state and lr. The global
  /// batch of a step is every process's rows in rank order; the gradients
  /// are summed in one buffer, and every process applies the same update.
  /// Needs a model compiled with CompilerOptions::apply_update.
  void set_communicator(std::shared_ptr<Communicator> comm);
  const std::shared_ptr<Communicator> &communicator() const;
  /// The optimizer's update from gradients computed elsewhere ("d_<param>",
  /// as grad returns them — e.g. averaged over data-parallel processes):
  /// the step train_step takes from its own gradients, and it counts as one.
  /// The new running statistics of batch norm, which grad returns by name
  /// ("h1.running_mean"), may come along: they are committed with the update.
  /// Needs a model compiled with CompilerOptions::apply_update.
  void apply_update(const TensorMap &grads);

  void set_lr(double lr);
  double lr() const;
  int64_t step() const; // completed train steps
  int threads() const;   // the threads its calls run on (SessionOptions::threads, 0 resolved)

  std::vector<std::string> param_names() const;
  Tensor param(const std::string &name) const;
  /// The param's current buffer, in place (the C ABI's live view): valid
  /// until the next train_step, load or set_param. Throws for a bad name.
  Tensor &param_buffer(const std::string &name);
  void set_param(const std::string &name, const Tensor &value);
  /// Params, optimizer state and running statistics by name (what a checkpoint holds).
  TensorMap state() const;
  /// Replaces all of state() (every tensor of it, checked before anything
  /// changes), as load does from a checkpoint.
  void set_state(TensorMap tensors);

  /// Safetensors checkpoint: params, optimizer state and metadata (model,
  /// signature, step, lr, plus `extra`, e.g. a trainer's epoch) (SPEC §6).
  void save(const std::string &path, const std::map<std::string, std::string> &extra = {}) const;
  /// Restores params, optimizer state, step and lr; returns the metadata.
  std::map<std::string, std::string> load(const std::string &path);

  const ModelDesc &desc() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class Model {
public:
  explicit Model(std::shared_ptr<const LoadedModel> loaded) : loaded_(std::move(loaded)) {}
  /// An AOT library written by `nncc compile` (dlopen); throws Error when
  /// it cannot be loaded or was built for another runtime ABI.
  static Model load_library(const std::string &path);
  Session new_session(SessionOptions options = {}) const { return Session(loaded_, options); }
  const ModelDesc &desc() const { return loaded_->desc; }
  const std::string &name() const { return loaded_->desc.name; }
  /// The description and code behind this model (what the C ABI hands out).
  const std::shared_ptr<const LoadedModel> &loaded() const { return loaded_; }
  /// Time spent producing code so far: the JIT compiles each entry point at
  /// its first call (or at prepare), so this grows until all have run.
  double compile_ms() const { return loaded_->compile_ms; }
  /// Compiles entry point `name` (forward, evaluate, grad, train_step) now
  /// instead of at its first call; an AOT library has it already.
  void prepare(const std::string &name) const;
  /// Every entry point compiled so far came from the JIT's on-disk cache
  /// (CompilerOptions::cache); false before any was compiled.
  bool from_cache() const { return loaded_->loaded_from_cache > 0 && loaded_->compiled_afresh == 0; }

private:
  std::shared_ptr<const LoadedModel> loaded_;
};

/// The precision of matrix products: f32, or bf16 operands with f32
/// accumulation and f32 params, optimizer state and activations (oneDNN
/// on AMX or avx512_bf16; see native_bf16 for other CPUs).
enum class Precision { F32, BF16 };

/// Whether oneDNN multiplies bf16 on this CPU (AVX-512; fast with
/// avx512_bf16 or AMX). Elsewhere bf16 products run in f32 on their
/// operands widened from bf16: the same products and f32 sums (in another
/// order), at f32 speed.
bool native_bf16();

struct CompilerOptions {
  int opt_level = 2; // LLVM optimization level (0..3)
  Precision precision = Precision::F32;
  /// --check-nan: every value the code computes (and every input, param and
  /// state it is given) is checked; the first that holds nan or inf makes
  /// the call throw Error naming the op, its phase, its .nn line and the
  /// step, and leaves the session as it was. Compiled without fusion, so
  /// steps are slower.
  bool check_nan = false;
  /// Also build `apply_update` (Session::apply_update), the optimizer's
  /// update as an entry point of its own: data-parallel training runs grad
  /// on each process's shard, averages the gradients, then applies the same
  /// update everywhere (PyTorch's DDP).
  bool apply_update = false;
  /// Keep compiled objects on disk and reuse them: in `cache_dir`, or when
  /// empty in $NNCC_CACHE_DIR, $XDG_CACHE_HOME/nncc or ~/.cache/nncc.
  /// $NNCC_CACHE=off turns the cache off for every compile.
  bool cache = true;
  std::string cache_dir;
};

/// The JIT: parses, differentiates and compiles .nn models into this
/// process. Models stay valid after the Compiler is destroyed.
class Compiler {
public:
  explicit Compiler(CompilerOptions options = {});
  ~Compiler();
  /// Throws Error with the file's diagnostics when it does not compile.
  Model compile_file(const std::string &path);
  Model compile_source(const std::string &name, const std::string &text);

private:
  CompilerOptions options_;
};

} // namespace nncc
