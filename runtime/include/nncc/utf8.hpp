// UTF-8 text as code points and back: the character-level datasets
// (`text:`) and `nncc sample` read and write text with these.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nncc::utf8 {

/// Where a text stops being valid UTF-8: the byte offset and its line (1-based).
struct InvalidAt {
  size_t offset = 0, line = 1;
};

/// The code points of `text`, or where it is not valid UTF-8 (a stray or
/// missing continuation byte, an overlong form, a surrogate, a value above U+10FFFF).
inline std::vector<char32_t> decode(std::string_view text, std::optional<InvalidAt> &invalid) {
  std::vector<char32_t> out;
  out.reserve(text.size());
  size_t line = 1;
  for (size_t i = 0; i < text.size();) {
    auto byte = [&](size_t j) { return static_cast<unsigned char>(text[j]); };
    unsigned char b0 = byte(i);
    size_t n = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
    char32_t cp = n == 1 ? b0 : b0 & (0x7F >> n);
    bool ok = n > 0 && i + n <= text.size();
    for (size_t j = 1; ok && j < n; ++j) {
      ok = (byte(i + j) & 0xC0) == 0x80;
      cp = (cp << 6) | (byte(i + j) & 0x3F);
    }
    static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (!ok || cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      invalid = InvalidAt{i, line};
      return {};
    }
    if (cp == '\n') ++line;
    out.push_back(cp);
    i += n;
  }
  return out;
}

inline void append(std::string &out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

inline std::string encode(const std::vector<char32_t> &text) {
  std::string out;
  for (char32_t cp : text) append(out, cp);
  return out;
}

} // namespace nncc::utf8
