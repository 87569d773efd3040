#include "ir/ir_lexer.h"

#include <cctype>

namespace nncc::ir {
namespace {
bool is_ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
} // namespace

void IrLexer::advance() {
  if (peek() == '\n') {
    ++line_;
    col_ = 1;
  } else {
    ++col_;
  }
  ++pos_;
}

IrToken IrLexer::next() {
  comments_.clear();
  for (;;) {
    char c = peek();
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') advance();
    else if (c == '#') {
      Comment comment{line_, {}};
      advance();
      if (peek() == ' ') advance();
      while (peek() && peek() != '\n') comment.text += peek(), advance();
      comments_.push_back(std::move(comment));
    } else break;
  }
  IrToken tok;
  tok.loc = Location{file_, line_, col_, 1};
  size_t start = pos_;
  char c = peek();
  auto finish = [&](IrTok kind) {
    tok.kind = kind;
    tok.loc.len = static_cast<uint32_t>(std::max<size_t>(1, pos_ - start));
    return tok;
  };
  if (pos_ >= text_.size()) return finish(IrTok::End);
  if (c == '%' || c == '@') {
    advance();
    while (is_ident_char(peek()) || peek() == '.') tok.text += peek(), advance();
    if (tok.text.empty()) {
      tok.text = std::string(1, c);
      return finish(IrTok::Error);
    }
    return finish(c == '%' ? IrTok::ValueRef : IrTok::Symbol);
  }
  if (is_ident_start(c)) { // dotted names such as opt.W1.m are one identifier
    while (is_ident_char(peek()) || (peek() == '.' && is_ident_start(peek(1)))) tok.text += peek(), advance();
    return finish(tok.text == "inf" ? IrTok::Float : IrTok::Ident);
  }
  if (c == '-' && peek(1) == 'i' && peek(2) == 'n' && peek(3) == 'f' && !is_ident_char(peek(4))) { // -inf (fill of a causal mask)
    for (int i = 0; i < 4; ++i) tok.text += peek(), advance();
    return finish(IrTok::Float);
  }
  if (is_digit(c) || ((c == '-' || c == '.') && (is_digit(peek(1)) || peek(1) == '.'))) {
    bool is_float = false;
    if (c == '-') tok.text += c, advance();
    while (is_digit(peek())) tok.text += peek(), advance();
    if (peek() == '.') {
      is_float = true;
      tok.text += '.', advance();
      while (is_digit(peek())) tok.text += peek(), advance();
    }
    if ((peek() == 'e' || peek() == 'E') &&
        (is_digit(peek(1)) || ((peek(1) == '-' || peek(1) == '+') && is_digit(peek(2))))) {
      is_float = true;
      tok.text += peek(), advance();
      tok.text += peek(), advance();
      while (is_digit(peek())) tok.text += peek(), advance();
    }
    return finish(is_float ? IrTok::Float : IrTok::Integer);
  }
  if (c == '"') {
    advance();
    while (peek() && peek() != '"' && peek() != '\n') {
      if (peek() == '\\' && peek(1)) advance();
      tok.text += peek();
      advance();
    }
    if (peek() != '"') return finish(IrTok::Error);
    advance();
    return finish(IrTok::String);
  }
  tok.text = std::string(1, c);
  advance();
  return finish(std::string_view("()[]{},:=-").find(c) != std::string_view::npos ? IrTok::Punct
                                                                                  : IrTok::Error);
}

} // namespace nncc::ir
