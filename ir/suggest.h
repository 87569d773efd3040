// "Did you mean ...?" suggestions for misspelled names.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nncc {

/// The candidate closest to `word` by edit distance, if it is close enough
/// to be a plausible typo (at most a third of the word's length, >= 1).
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string> &candidates);

} // namespace nncc
