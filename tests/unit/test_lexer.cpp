#include "helpers.h"

#include <catch2/catch.hpp>

using namespace nncc;
using namespace nncc::frontend;

namespace {
std::vector<Token> lex(const std::string &text, std::string *errors = nullptr) {
  SourceManager sources;
  DiagnosticEngine diags(sources);
  Lexer lexer(sources.add("t.nn", text), sources, diags);
  std::vector<Token> out;
  for (Token t = lexer.next(); t.kind != Tok::End; t = lexer.next()) out.push_back(t);
  if (errors) *errors = diags.render();
  return out;
}
std::vector<Tok> kinds(const std::vector<Token> &ts) {
  std::vector<Tok> k;
  for (const Token &t : ts) k.push_back(t.kind);
  return k;
}
} // namespace

TEST_CASE("lexer: keywords, names, operators and comments", "[lexer]") {
  auto ts = lex("param W1 : f32[2, 8] # comment\nh = x ** 2 @ W.T;");
  CHECK(kinds(ts) == std::vector<Tok>{Tok::KwParam, Tok::Ident, Tok::Colon, Tok::Ident, Tok::LBracket,
                                      Tok::Number, Tok::Comma, Tok::Number, Tok::RBracket, Tok::Newline,
                                      Tok::Ident, Tok::Equal, Tok::Ident, Tok::StarStar, Tok::Number,
                                      Tok::At, Tok::Ident, Tok::Dot, Tok::Ident, Tok::Semicolon});
  CHECK(ts[1].text == "W1");
  CHECK(ts[1].loc.line == 1);
  CHECK(ts[1].loc.col == 7);
  CHECK(ts[1].loc.len == 2);
  CHECK(ts[10].loc.line == 2);
}

TEST_CASE("lexer: number forms of SPEC 1.2", "[lexer]") {
  auto ts = lex("2 0.5 1e-3 .5 3.");
  REQUIRE(ts.size() == 5);
  CHECK(ts[0].is_integer);
  CHECK(ts[0].integer == 2);
  CHECK(ts[1].number == 0.5);
  CHECK_FALSE(ts[1].is_integer);
  CHECK(ts[2].number == Approx(1e-3));
  CHECK(ts[3].number == 0.5);
  CHECK(ts[4].number == 3.0);
  CHECK_FALSE(ts[4].is_integer);
}

TEST_CASE("lexer: errors are diagnostics, lexing goes on", "[lexer]") {
  std::string errors;
  auto ts = lex("x $ y 1e 2x 1e999", &errors);
  CHECK(errors.find("t.nn:1:3: error: unexpected character '$'") != std::string::npos);
  CHECK(errors.find("t.nn:1:7: error: malformed number '1e': the exponent has no digits") != std::string::npos);
  CHECK(errors.find("t.nn:1:10: error: malformed number '2x'") != std::string::npos);
  CHECK(errors.find("t.nn:1:13: error: number '1e999' is too large") != std::string::npos);
  CHECK(ts.front().text == "x");
  CHECK(ts[2].text == "y");
}

TEST_CASE("lexer: a UTF-8 BOM is skipped, other unicode is reported", "[lexer]") {
  std::string errors;
  auto ts = lex("\xEF\xBB\xBFmodel", &errors);
  CHECK(errors.empty());
  REQUIRE(ts.size() == 1);
  CHECK(ts[0].kind == Tok::KwModel);
  CHECK(ts[0].loc.col == 1);
  lex("caf\xC3\xA9", &errors);
  CHECK(errors.find("unexpected character '\xC3\xA9'") != std::string::npos);
  lex("x \xFF", &errors);
  CHECK(errors.find("invalid UTF-8") != std::string::npos);
}
