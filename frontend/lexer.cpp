#include "frontend/lexer.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <limits>
#include <cstdlib>
#include <fmt/format.h>

namespace nncc::frontend {
namespace {

bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident_char(char c) { return is_ident_start(c) || is_digit(c); }

Tok keyword(std::string_view word) {
  if (word == "model") return Tok::KwModel;
  if (word == "input") return Tok::KwInput;
  if (word == "param") return Tok::KwParam;
  if (word == "def") return Tok::KwDef;
  if (word == "output") return Tok::KwOutput;
  if (word == "loss") return Tok::KwLoss;
  if (word == "optimizer") return Tok::KwOptimizer;
  if (word == "true") return Tok::KwTrue;
  if (word == "false") return Tok::KwFalse;
  return Tok::Ident;
}

/// Length of the UTF-8 sequence at `s` and its code point; 0 if invalid.
size_t decode_utf8(std::string_view s, uint32_t &cp) {
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  if (s.empty()) return 0;
  size_t n = b(0) < 0x80 ? 1 : (b(0) >> 5) == 0x6 ? 2 : (b(0) >> 4) == 0xE ? 3 : (b(0) >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || n > s.size()) return 0;
  cp = n == 1 ? b(0) : b(0) & (0x7F >> n);
  for (size_t i = 1; i < n; ++i) {
    if ((b(i) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i) & 0x3F);
  }
  return n;
}

} // namespace

std::string_view token_spelling(Tok kind) {
  switch (kind) {
  case Tok::End: return "end of file";
  case Tok::Newline: return "end of line";
  case Tok::Ident: return "identifier";
  case Tok::Number: return "number";
  case Tok::KwModel: return "'model'";
  case Tok::KwInput: return "'input'";
  case Tok::KwParam: return "'param'";
  case Tok::KwDef: return "'def'";
  case Tok::KwOutput: return "'output'";
  case Tok::KwLoss: return "'loss'";
  case Tok::KwOptimizer: return "'optimizer'";
  case Tok::KwTrue: return "'true'";
  case Tok::KwFalse: return "'false'";
  case Tok::Plus: return "'+'";
  case Tok::Minus: return "'-'";
  case Tok::Star: return "'*'";
  case Tok::Slash: return "'/'";
  case Tok::At: return "'@'";
  case Tok::StarStar: return "'**'";
  case Tok::Equal: return "'='";
  case Tok::Colon: return "':'";
  case Tok::Comma: return "','";
  case Tok::Dot: return "'.'";
  case Tok::LParen: return "'('";
  case Tok::RParen: return "')'";
  case Tok::LBracket: return "'['";
  case Tok::RBracket: return "']'";
  case Tok::LBrace: return "'{'";
  case Tok::RBrace: return "'}'";
  case Tok::Semicolon: return "';'";
  case Tok::Invalid: return "invalid character";
  }
  return "?";
}

Lexer::Lexer(uint32_t file, const SourceManager &sources, DiagnosticEngine &diags)
    : text_(sources.text(file)), file_(file), diags_(diags) {
  if (text_.starts_with("\xEF\xBB\xBF")) pos_ = 3; // UTF-8 byte order mark
}

void Lexer::advance(size_t n) {
  for (size_t i = 0; i < n && !at_end(); ++i) {
    if (text_[pos_] == '\n') {
      ++line_;
      col_ = 1;
    } else {
      ++col_;
    }
    ++pos_;
  }
}

Token Lexer::make(Tok kind, size_t start, Location loc) {
  Token t;
  t.kind = kind;
  t.text = std::string(text_.substr(start, pos_ - start));
  loc.len = static_cast<uint32_t>(std::max<size_t>(1, pos_ - start));
  t.loc = loc;
  return t;
}

Token Lexer::next() {
  for (;;) {
    char c = peek();
    if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') advance();
    else if (c == '#') {
      while (!at_end() && peek() != '\n') advance();
    } else break;
  }
  Location loc{file_, line_, col_, 1};
  size_t start = pos_;
  if (at_end()) return make(Tok::End, start, loc);
  char c = peek();
  if (c == '\n') {
    advance();
    Token t = make(Tok::Newline, start, loc);
    t.text = "\\n";
    return t;
  }
  if (is_ident_start(c)) {
    while (is_ident_char(peek())) advance();
    Token t = make(Tok::Ident, start, loc);
    t.kind = keyword(t.text);
    if (t.text == "inf") { // a number literal (SPEC 1.6b): `fill = -inf` writes a causal mask
      t.kind = Tok::Number;
      t.number = std::numeric_limits<double>::infinity();
    }
    return t;
  }
  if (is_digit(c) || (c == '.' && is_digit(peek(1)))) return lex_number(start, loc);

  auto single = [&](Tok kind, size_t n = 1) {
    advance(n);
    return make(kind, start, loc);
  };
  switch (c) {
  case '+': return single(Tok::Plus);
  case '-': return single(Tok::Minus);
  case '*': return peek(1) == '*' ? single(Tok::StarStar, 2) : single(Tok::Star);
  case '/': return single(Tok::Slash);
  case '@': return single(Tok::At);
  case '=': return single(Tok::Equal);
  case ':': return single(Tok::Colon);
  case ',': return single(Tok::Comma);
  case '.': return single(Tok::Dot);
  case '(': return single(Tok::LParen);
  case ')': return single(Tok::RParen);
  case '[': return single(Tok::LBracket);
  case ']': return single(Tok::RBracket);
  case '{': return single(Tok::LBrace);
  case '}': return single(Tok::RBrace);
  case ';': return single(Tok::Semicolon);
  default: return lex_invalid(start, loc);
  }
}

/// number ::= digits ('.' digits?)? exponent? | '.' digits exponent?
Token Lexer::lex_number(size_t start, Location loc) {
  bool integer = true;
  while (is_digit(peek())) advance();
  if (peek() == '.' && !is_ident_start(peek(1))) { // `x.T` is not a number
    integer = false;
    advance();
    while (is_digit(peek())) advance();
  }
  if (peek() == 'e' || peek() == 'E') {
    integer = false;
    advance();
    if (peek() == '+' || peek() == '-') advance();
    if (!is_digit(peek())) {
      while (is_ident_char(peek())) advance();
      Token t = make(Tok::Invalid, start, loc);
      diags_.error(t.loc, fmt::format("malformed number '{}': the exponent has no digits", t.text));
      return t;
    }
    while (is_digit(peek())) advance();
  }
  if (is_ident_start(peek())) { // 2x, 1.5f
    while (is_ident_char(peek())) advance();
    Token t = make(Tok::Invalid, start, loc);
    diags_.error(t.loc, fmt::format("malformed number '{}'", t.text));
    return t;
  }
  Token t = make(Tok::Number, start, loc);
  errno = 0;
  t.number = std::strtod(t.text.c_str(), nullptr);
  if (errno == ERANGE && std::isinf(t.number)) {
    diags_.error(t.loc, fmt::format("number '{}' is too large", t.text));
    t.kind = Tok::Invalid;
    return t;
  }
  if (integer) {
    auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), t.integer);
    t.is_integer = ec == std::errc();
  }
  return t;
}

/// A run of characters the language does not use becomes one diagnostic.
Token Lexer::lex_invalid(size_t start, Location loc) {
  std::string shown;
  size_t characters = 0;
  bool bad_utf8 = false;
  while (!at_end()) {
    char c = peek();
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || is_ident_char(c) ||
        std::string_view("+-*/@=:,.()[]{};#").find(c) != std::string_view::npos)
      break;
    uint32_t cp = 0;
    size_t n = decode_utf8(text_.substr(pos_), cp);
    if (n == 0) {
      bad_utf8 = true;
      n = 1;
    } else if (++characters && shown.size() < 40) {
      shown += cp >= 0x20 && cp != 0x7F ? std::string(text_.substr(pos_, n)) : fmt::format("\\x{:02x}", cp);
    }
    advance(n);
  }
  Token t = make(Tok::Invalid, start, loc);
  if (bad_utf8) diags_.error(t.loc, "invalid UTF-8 in source (the file must be UTF-8 text)");
  else diags_.error(t.loc, fmt::format("unexpected character{} '{}'", characters > 1 ? "s" : "", shown));
  return t;
}

} // namespace nncc::frontend
