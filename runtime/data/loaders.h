// One loader per kind of data SPEC (dataset.cpp dispatches on the kind).
// Internal to the runtime.
#pragma once
#include "nncc/dataset.hpp"

#include <map>
#include <string>

namespace nncc::data {

/// key=value pairs after "kind:"; a bare item (no '=') is stored under "".
std::map<std::string, std::string> spec_options(const std::string &spec, size_t from);

/// u8 images scaled by `scale` as field "x", labels as i32 field "y".
Dataset from_idx(const std::string &name, const std::string &images_path, const std::string &labels_path, double scale);
/// Numeric columns as f32 field "x"; the column `label` (a header name or
/// a 0-based index; "" for none) as "y": i32 when every value is a whole
/// number, else f32.
/// CSV's first line: a header of names when it holds a field that is no
/// number (Auto), always a header to skip (Yes; scikit-learn's CSVs start
/// with a line of counts and class names), or data (No).
enum class CsvHeader { Auto, Yes, No };
Dataset from_csv(const std::string &name, const std::string &path, const std::string &label, CsvHeader header = CsvHeader::Auto);
/// One field per NAME=PATH; u8 arrays of rank >= 2 are images (scaled),
/// other integer arrays i32, float arrays f32 (f64 stays f64).
Dataset from_npy(const std::string &name, const std::map<std::string, std::string> &paths, double scale);

/// `text:` (text_dataset.cpp): windows of `context` character ids and the
/// next character of each; a fraction `split` of the text for training, the
/// rest held out (`holdout`: "chunks" drawn from the whole text, or its "tail").
Splits from_text(const std::string &spec, const std::string &path, int64_t context, double split, int64_t stride, const std::string &holdout);

Dataset xor_dataset();
/// The classic spiral classification set (Karpathy's CS231n notes): `k`
/// arms of `n` points each, angle noise N(0, 0.2^2) drawn from `seed`.
Dataset spirals(int64_t n, int64_t k, uint64_t seed);

} // namespace nncc::data
