// Tokens of the .nn language (SPEC §1.2).
#pragma once
#include "ir/source.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace nncc::frontend {

enum class Tok {
  End, Newline, Ident, Number,
  // keywords
  KwModel, KwInput, KwParam, KwDef, KwOutput, KwLoss, KwOptimizer, KwTrue, KwFalse,
  // operators and punctuation
  Plus, Minus, Star, Slash, At, StarStar, Equal, Colon, Comma, Dot,
  LParen, RParen, LBracket, RBracket, LBrace, RBrace, Semicolon,
  Invalid, // already reported by the lexer
};

struct Token {
  Tok kind = Tok::End;
  std::string text;
  Location loc;
  // Numbers: the value, and whether it was written as an integer that fits
  // in int64 (dimensions and integer attributes need one).
  double number = 0;
  bool is_integer = false;
  int64_t integer = 0;
};

std::string_view token_spelling(Tok kind);

} // namespace nncc::frontend
