// nncc sample FILE.nn --weights CKPT — generates text from a character-level
// model trained on a text: dataset. The checkpoint's vocabulary maps ids to
// characters; `forward` runs once per generated character on the last
// `context` ids (the model's input is ids [N, T]; its first output that has
// a score per character, [N, T, V], gives the next character's scores; ids
// past the vocabulary, which the text never used, are never drawn).
//
// A window shorter than T (the start of the text) fills positions
// 0..len-1 and reads the scores at position len-1; the positions after it
// hold copies of the last id. That is exact for a causal model — position t
// sees ids 0..t only, as with tril(..., fill = -inf) — which is what a
// language model is; for another model the padding would leak into the scores.
#include "compiler/jit/jit.h"
#include "compiler/pipeline.h"
#include "nncc/dataset.hpp"
#include "nncc/utf8.hpp"
#include "tools/nncc/common.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fmt/format.h>
#include <numeric>
#include <random>

namespace nncc::tool {

namespace {

struct SampleOptions {
  std::string path, weights, prompt;
  int64_t length = 300, top_k = 0;
  double temperature = 1.0;
  uint64_t seed = 0;
  int threads = 0;
};

/// The character model's shape: input `ids` i32[N, T] and output `scores` [N, T, V].
struct CharModel {
  std::string ids, scores;
  int64_t context = 0, classes = 0; // T, and V (at least the vocabulary's size)
};

CharModel char_model(const ModelDesc &m, size_t vocabulary) {
  const FunctionDesc *f = m.function("forward");
  if (!f || f->results.empty()) throw Error(fmt::format("model '{}' has no output to sample from (add 'output logits')", m.name));
  CharModel c;
  std::vector<const ArgDesc *> inputs;
  for (const ArgDesc &a : f->args)
    if (a.kind == ArgKind::Input) inputs.push_back(&a);
  auto batched = [](const std::vector<DimDesc> &s, size_t rank) {
    return s.size() == rank && s[0].is_symbolic() && std::none_of(s.begin() + 1, s.end(), [](const DimDesc &d) { return d.is_symbolic(); });
  };
  if (inputs.size() != 1 || inputs[0]->dtype != DType::I32 || !batched(inputs[0]->shape, 2))
    throw Error(fmt::format("model '{}': forward must take one input of character ids, i32[N, T] (it takes {})", m.name,
                            inputs.empty() ? "none" : fmt::format("{} inputs, the first {}", inputs.size(), declared_str(m, *inputs[0]))));
  c.ids = inputs[0]->name;
  c.context = inputs[0]->shape[1].size;
  for (const TensorDesc &r : f->results)
    if (r.dtype != DType::I32 && batched(r.shape, 3) && r.shape[1].size == c.context && r.shape[2].size >= static_cast<int64_t>(vocabulary)) {
      c.scores = r.name;
      c.classes = r.shape[2].size;
      return c;
    }
  throw Error(fmt::format("model '{}': no output holds a score per character of the checkpoint's {}-character vocabulary at each of the "
                          "{} positions ([N, {}, V] with V >= {}; its first output '{}' is {})",
                          m.name, vocabulary, c.context, c.context, vocabulary, f->results[0].name, declared_str(m, f->results[0])));
}

/// The ids of `prompt`'s characters; a character outside the vocabulary is an error.
std::vector<int32_t> prompt_ids(const std::string &prompt, const std::vector<char32_t> &vocabulary) {
  std::optional<utf8::InvalidAt> invalid;
  std::vector<char32_t> chars = utf8::decode(prompt, invalid);
  if (invalid) throw Error(fmt::format("--prompt is not valid UTF-8 at byte {}", invalid->offset));
  std::vector<int32_t> ids;
  for (size_t i = 0; i < chars.size(); ++i) {
    auto it = std::lower_bound(vocabulary.begin(), vocabulary.end(), chars[i]);
    if (it == vocabulary.end() || *it != chars[i]) {
      std::string c;
      utf8::append(c, chars[i]);
      throw Error(fmt::format("--prompt: character {} '{}' (U+{:04X}) is not in the model's vocabulary of {} characters", i + 1,
                              chars[i] == '\n' ? "\\n" : c, static_cast<uint32_t>(chars[i]), vocabulary.size()));
    }
    ids.push_back(static_cast<int32_t>(it - vocabulary.begin()));
  }
  return ids;
}

/// Draws the next id from `scores` (one per character): scaled by
/// 1/temperature, kept to the top_k highest (0: all), softmax. Temperature 0
/// takes the highest score (greedy).
int32_t draw(std::vector<double> scores, const SampleOptions &opt, std::mt19937_64 &rng) {
  auto best = std::max_element(scores.begin(), scores.end());
  if (opt.temperature == 0) return static_cast<int32_t>(best - scores.begin());
  double top = *best;
  if (opt.top_k > 0 && opt.top_k < static_cast<int64_t>(scores.size())) {
    std::vector<double> sorted(scores);
    std::nth_element(sorted.begin(), sorted.begin() + opt.top_k - 1, sorted.end(), std::greater<>());
    double kth = sorted[static_cast<size_t>(opt.top_k - 1)];
    for (double &s : scores)
      if (s < kth) s = -INFINITY;
  }
  for (double &s : scores) s = std::exp((s - top) / opt.temperature);
  std::discrete_distribution<int32_t> pick(scores.begin(), scores.end());
  return pick(rng);
}

int run_sample(const SampleOptions &opt) {
  if (opt.length < 0) throw Error(fmt::format("--length {} must be at least 0", opt.length));
  if (!(opt.temperature >= 0)) throw Error(fmt::format("--temperature {} must be at least 0 (0: always the likeliest character)", opt.temperature));
  if (opt.top_k < 0) throw Error(fmt::format("--top-k {} must be at least 0 (0: every character)", opt.top_k));
  CompiledFile file;
  compile_file(opt.path, file);
  if (!file.result.module) return kUserError;
  ir::Module &module = *file.result.module;
  compiler::build_entry_points(module);
  Model model(jit::compile(module, {.cpu = "native", .opt_level = 2}));
  Session s = model.new_session({.seed = 0, .threads = opt.threads});
  std::map<std::string, std::string> metadata = s.load(opt.weights);
  auto vocab_it = metadata.find(data::kVocabularyMetadata);
  if (vocab_it == metadata.end())
    throw Error(fmt::format("checkpoint '{}' has no vocabulary ({} metadata): it was not trained on a text: dataset", opt.weights,
                            data::kVocabularyMetadata));
  std::optional<utf8::InvalidAt> invalid;
  std::vector<char32_t> vocabulary = utf8::decode(vocab_it->second, invalid);
  if (invalid || vocabulary.empty()) throw Error(fmt::format("checkpoint '{}': its vocabulary metadata is not valid UTF-8 text", opt.weights));
  CharModel cm = char_model(model.desc(), vocabulary.size());

  std::vector<int32_t> text = prompt_ids(opt.prompt, vocabulary);
  // Without a prompt, generation starts after a line break (or the first
  // character of the vocabulary when the text has none).
  if (text.empty()) {
    auto line_break = std::find(vocabulary.begin(), vocabulary.end(), U'\n');
    text.push_back(line_break == vocabulary.end() ? 0 : static_cast<int32_t>(line_break - vocabulary.begin()));
  }
  fmt::print("{}", opt.prompt); // checked above: valid UTF-8, every character in the vocabulary
  std::mt19937_64 rng(opt.seed);
  Tensor ids(DType::I32, {1, cm.context});
  auto v = static_cast<int64_t>(vocabulary.size());
  for (int64_t n = 0; n < opt.length; ++n) {
    auto window = static_cast<int64_t>(std::min<size_t>(text.size(), static_cast<size_t>(cm.context)));
    int32_t *x = ids.data<int32_t>();
    std::copy(text.end() - window, text.end(), x);
    std::fill(x + window, x + cm.context, text.back());
    Tensor scores = s.forward({{cm.ids, ids}}).at(cm.scores);
    std::vector<double> row(static_cast<size_t>(v));
    for (int64_t j = 0; j < v; ++j) row[static_cast<size_t>(j)] = scores.at((window - 1) * cm.classes + j);
    text.push_back(draw(std::move(row), opt, rng));
    std::string c;
    utf8::append(c, vocabulary[static_cast<size_t>(text.back())]);
    fmt::print("{}", c);
    std::fflush(stdout);
  }
  fmt::print("\n");
  return kSuccess;
}

} // namespace

void add_sample_command(CLI::App &app, int &status) {
  auto *cmd = app.add_subcommand("sample", "Generate text from a character model trained on a text: dataset");
  auto opt = std::make_shared<SampleOptions>();
  cmd->add_option("file", opt->path, "the .nn model file (a causal model: ids i32[N, T] in, scores [N, T, V] out)")->required();
  cmd->add_option("--weights", opt->weights, "a checkpoint written by nncc train --data text:... (it holds the vocabulary)")->required();
  cmd->add_option("--length", opt->length, "characters to generate")->capture_default_str();
  cmd->add_option("--temperature", opt->temperature, "divides the scores before softmax: < 1 safer, > 1 wilder, 0 greedy")
      ->capture_default_str();
  cmd->add_option("--top-k", opt->top_k, "draw among the K likeliest characters only (0: all)")->capture_default_str();
  cmd->add_option("--seed", opt->seed, "seed of the draws")->capture_default_str();
  add_threads_option(*cmd, opt->threads);
  cmd->add_option("--prompt", opt->prompt, "text to continue (printed first); default: start after a line break");
  cmd->callback([opt, &status] { status = run_sample(*opt); });
}

} // namespace nncc::tool
