#include "ir/source.h"

#include <stdexcept>

namespace nncc {

Location Location::through(const Location &last) const {
  Location out = *this;
  if (last.file == file && last.line == line && last.col + last.len > col)
    out.len = last.col + last.len - col;
  return out;
}

uint32_t SourceManager::add(std::string name, std::string text) {
  File f{std::move(name), std::move(text), {0}};
  for (size_t i = 0; i < f.text.size(); ++i)
    if (f.text[i] == '\n') f.line_starts.push_back(i + 1);
  files_.push_back(std::move(f));
  return static_cast<uint32_t>(files_.size());
}

const std::string &SourceManager::name(uint32_t id) const {
  static const std::string unknown = "<unknown>";
  return id >= 1 && id <= files_.size() ? files_[id - 1].name : unknown;
}

const std::string &SourceManager::text(uint32_t id) const {
  if (id < 1 || id > files_.size()) throw std::out_of_range("unknown source id");
  return files_[id - 1].text;
}

std::string_view SourceManager::line(uint32_t id, uint32_t line_no) const {
  if (id < 1 || id > files_.size()) return {};
  const File &f = files_[id - 1];
  if (line_no < 1 || line_no > f.line_starts.size()) return {};
  size_t begin = f.line_starts[line_no - 1];
  size_t end = line_no < f.line_starts.size() ? f.line_starts[line_no] - 1 : f.text.size();
  std::string_view s(f.text.data() + begin, end - begin);
  if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
  return s;
}

} // namespace nncc
