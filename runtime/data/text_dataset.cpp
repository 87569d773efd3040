// `text:PATH,context=T[,split=F][,stride=S][,holdout=chunks|tail]`: a
// UTF-8 text as a character-level language-modelling dataset. The
// vocabulary is every character of the file in code-point order (id =
// position). A fraction 1 - F of the text (default F = 0.9) is held out:
//  - holdout=chunks (the default): the text is cut into chunks of 4·(T + 1)
//    characters and a fixed, seeded choice of round((1 - F)·chunks) of them
//    is the held-out text, so it samples every part of the file (a license's
//    last section, say, is not the whole test);
//  - holdout=tail: the last 1 - F of the text (nanoGPT's split).
// Windows never cross between the parts: in each run of consecutive chunks
// of one part, row r holds the window starting at character r·S of the run,
// x = ids[rS .. rS+T), y = ids[rS+1 .. rS+T+1) (the next character at every
// position). The training loop shuffles the rows with the seed, so an epoch
// visits the windows in a seeded order.
#include "data/loaders.h"

#include "nncc/rng.h"
#include "nncc/utf8.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <cmath>
#include <fstream>
#include <numeric>
#include <sstream>

namespace nncc::data {

namespace {

/// The chunks are chosen with this seed, not the training run's: every run
/// on a file is tested on the same text.
constexpr uint64_t kHoldoutSeed = 0x7e57;

/// Runs of consecutive characters [begin, end) of one part of the text.
using Runs = std::vector<std::pair<size_t, size_t>>;

/// Which characters are held out: runs of the training and the held-out text.
std::pair<Runs, Runs> split_text(size_t chars, size_t chunk, double split, bool tail) {
  if (tail) {
    auto train = static_cast<size_t>(split * static_cast<double>(chars));
    return {{{0, train}}, {{train, chars}}};
  }
  size_t chunks = (chars + chunk - 1) / chunk;
  auto held = static_cast<size_t>(std::llround((1 - split) * static_cast<double>(chunks)));
  held = std::clamp<size_t>(held, 1, chunks - 1);
  std::vector<size_t> order(chunks);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [](size_t a, size_t b) { return rng::bits(kHoldoutSeed, 0, a) < rng::bits(kHoldoutSeed, 0, b); });
  std::vector<bool> out(chunks, false);
  for (size_t i = 0; i < held; ++i) out[order[i]] = true;
  Runs train, test;
  for (size_t c = 0; c < chunks; ++c) {
    Runs &part = out[c] ? test : train;
    size_t begin = c * chunk, end = std::min(chars, begin + chunk);
    if (!part.empty() && part.back().second == begin) part.back().second = end;
    else part.emplace_back(begin, end);
  }
  return {train, test};
}

/// The windows of `runs` of `ids` as dataset `name`.
Dataset windows(std::string name, std::span<const int32_t> ids, const Runs &runs, int64_t context, int64_t stride, const std::string &vocabulary) {
  auto count = [&](const std::pair<size_t, size_t> &run) {
    auto n = static_cast<int64_t>(run.second - run.first);
    return n > context ? (n - context - 1) / stride + 1 : 0;
  };
  int64_t rows = 0;
  for (const auto &run : runs) rows += count(run);
  Tensor x(DType::I32, {rows, context}), y(DType::I32, {rows, context});
  int64_t r = 0;
  for (const auto &run : runs)
    for (int64_t w = 0; w < count(run); ++w, ++r) {
      auto at = static_cast<ptrdiff_t>(run.first) + w * stride;
      std::copy_n(ids.begin() + at, context, x.data<int32_t>() + r * context);
      std::copy_n(ids.begin() + at + 1, context, y.data<int32_t>() + r * context);
    }
  Dataset d{std::move(name), {{"x", std::move(x)}, {"y", std::move(y)}}, rows};
  d.vocabulary = vocabulary;
  return d;
}

} // namespace

Splits from_text(const std::string &spec, const std::string &path, int64_t context, double split, int64_t stride, const std::string &holdout) {
  if (context < 1) throw Error(fmt::format("data spec '{}': context={} must be at least 1", spec, context));
  if (stride < 1) throw Error(fmt::format("data spec '{}': stride={} must be at least 1", spec, stride));
  if (!(split > 0 && split < 1)) throw Error(fmt::format("data spec '{}': split={} must be between 0 and 1 (the training fraction)", spec, split));
  if (holdout != "chunks" && holdout != "tail")
    throw Error(fmt::format("data spec '{}': holdout={} is not chunks (seeded chunks of the whole text) or tail (its end)", spec, holdout));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("text '{}': cannot open the file", path));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  std::string text = bytes.str();
  if (text.empty()) throw Error(fmt::format("text '{}': the file is empty", path));
  std::optional<utf8::InvalidAt> invalid;
  std::vector<char32_t> chars = utf8::decode(text, invalid);
  if (invalid)
    throw Error(fmt::format("text '{}': not valid UTF-8 at byte {} (line {}): byte 0x{:02x}", path, invalid->offset, invalid->line,
                            static_cast<unsigned char>(text[invalid->offset])));
  std::vector<char32_t> vocabulary(chars);
  std::sort(vocabulary.begin(), vocabulary.end());
  vocabulary.erase(std::unique(vocabulary.begin(), vocabulary.end()), vocabulary.end());
  std::vector<int32_t> ids(chars.size());
  for (size_t i = 0; i < chars.size(); ++i)
    ids[i] = static_cast<int32_t>(std::lower_bound(vocabulary.begin(), vocabulary.end(), chars[i]) - vocabulary.begin());
  auto chunk = static_cast<size_t>(4 * (context + 1));
  if (holdout == "chunks" && chars.size() <= chunk)
    throw Error(fmt::format("text '{}': its {} characters are one chunk of 4 x (context + 1) = {}: nothing is left to hold out (a shorter "
                            "context, or holdout=tail)",
                            path, chars.size(), chunk));
  auto [train_runs, test_runs] = split_text(chars.size(), chunk, split, holdout == "tail");
  std::string vocab = utf8::encode(vocabulary);
  std::string name = fmt::format("{} ({} characters, vocabulary {}, context {})", path, chars.size(), vocabulary.size(), context);
  Splits splits{windows(name, ids, train_runs, context, stride, vocab), windows(name + " held out", ids, test_runs, context, stride, vocab)};
  struct Part {
    const char *name;
    const Dataset &windows;
    const Runs &runs;
  };
  for (const Part &part : {Part{"training", splits.train, train_runs}, Part{"held-out", *splits.test, test_runs}})
    if (part.windows.rows == 0) {
      size_t size = 0;
      for (const auto &[begin, end] : part.runs) size += end - begin;
      throw Error(fmt::format("text '{}': context={} is longer than its {} text ({} of its {} characters at split={:g}): a window needs "
                              "context + 1 characters",
                              path, context, part.name, size, chars.size(), split));
    }
  return splits;
}

} // namespace nncc::data
