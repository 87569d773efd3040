// `text:PATH,context=T[,split=F][,stride=S]`: a UTF-8 text as a
// character-level language-modelling dataset. The vocabulary is every
// character of the file in code-point order (id = position); the first
// fraction F of the characters (default 0.9) is the training text, the
// rest the held-out text. Row r holds the window starting at character
// r·S of its part: x = ids[rS .. rS+T), y = ids[rS+1 .. rS+T+1) (the next
// character at every position). The training loop shuffles the rows with
// the seed, so an epoch visits the windows in a seeded order.
#include "data/loaders.h"

#include "nncc/utf8.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

namespace nncc::data {

namespace {

/// The windows of `ids` (one part of the text) as dataset `name`.
Dataset windows(std::string name, std::span<const int32_t> ids, int64_t context, int64_t stride, const std::string &vocabulary) {
  auto chars = static_cast<int64_t>(ids.size());
  int64_t rows = chars > context ? (chars - context - 1) / stride + 1 : 0;
  Tensor x(DType::I32, {rows, context}), y(DType::I32, {rows, context});
  for (int64_t r = 0; r < rows; ++r) {
    std::copy_n(ids.begin() + r * stride, context, x.data<int32_t>() + r * context);
    std::copy_n(ids.begin() + r * stride + 1, context, y.data<int32_t>() + r * context);
  }
  Dataset d{std::move(name), {{"x", std::move(x)}, {"y", std::move(y)}}, rows};
  d.vocabulary = vocabulary;
  return d;
}

} // namespace

Splits from_text(const std::string &spec, const std::string &path, int64_t context, double split, int64_t stride) {
  if (context < 1) throw Error(fmt::format("data spec '{}': context={} must be at least 1", spec, context));
  if (stride < 1) throw Error(fmt::format("data spec '{}': stride={} must be at least 1", spec, stride));
  if (!(split > 0 && split < 1)) throw Error(fmt::format("data spec '{}': split={} must be between 0 and 1 (the training fraction)", spec, split));
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
  auto train_chars = static_cast<size_t>(split * static_cast<double>(chars.size()));
  std::span<const int32_t> all(ids);
  for (auto [part, size] : {std::pair{"training", train_chars}, std::pair{"held-out", chars.size() - train_chars}})
    if (static_cast<int64_t>(size) <= context)
      throw Error(fmt::format("text '{}': context={} is longer than its {} text ({} of its {} characters at split={:g}): a window needs "
                              "context + 1 characters",
                              path, context, part, size, chars.size(), split));
  std::string vocab = utf8::encode(vocabulary);
  std::string name = fmt::format("{} ({} characters, vocabulary {}, context {})", path, chars.size(), vocabulary.size(), context);
  return {windows(name, all.first(train_chars), context, stride, vocab),
          windows(name + " held out", all.subspan(train_chars), context, stride, vocab)};
}

} // namespace nncc::data
