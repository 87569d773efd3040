#include "ir/diagnostics.h"
#include "ir/suggest.h"

#include <algorithm>
#include <catch2/catch.hpp>

using namespace nncc;

TEST_CASE("diagnostics render file:line:col, the source line and a caret range", "[diagnostics]") {
  SourceManager sources;
  uint32_t f = sources.add("m.nn", "model m {\n  h = reul(x)\n}\n");
  DiagnosticEngine diags(sources);
  diags.error(Location{f, 2, 7, 4}, "unknown function 'reul'");
  diags.note(Location{f, 2, 7, 4}, "did you mean 'relu'?", false);
  CHECK(diags.render() ==
        "m.nn:2:7: error: unknown function 'reul'\n"
        "  h = reul(x)\n"
        "      ^~~~\n"
        "m.nn:2:7: note: did you mean 'relu'?\n");
}

TEST_CASE("carets line up under tabs and multi-byte characters", "[diagnostics]") {
  SourceManager sources;
  uint32_t f = sources.add("m.nn", "\tx = \xC3\xA9 + y\n");
  DiagnosticEngine diags(sources);
  diags.error(Location{f, 1, 9, 1}, "e"); // the '+' (byte column 9)
  CHECK(diags.render() == "m.nn:1:9: error: e\n\tx = \xC3\xA9 + y\n\t      ^\n");
}

TEST_CASE("the error limit stops the flood and drops notes of dropped errors", "[diagnostics]") {
  SourceManager sources;
  DiagnosticEngine diags(sources, 3);
  for (int i = 0; i < 10; ++i) {
    diags.error({}, "e");
    diags.note({}, "n");
  }
  CHECK(diags.error_count() == 3);
  CHECK(diags.should_stop());
  std::string out = diags.render();
  CHECK(out.find("too many errors emitted, stopping now") != std::string::npos);
  CHECK(std::count(out.begin(), out.end(), '\n') == 3 * 2 + 1); // 3 errors, 3 notes, the last line
}

TEST_CASE("suggestions find near misses only", "[diagnostics]") {
  std::vector<std::string> names{"relu", "tanh", "softmax", "log_softmax", "sigmoid"};
  CHECK(closest_match("reul", names) == "relu");
  CHECK(closest_match("softmx", names) == "softmax");
  CHECK(closest_match("sigmod", names) == "sigmoid");
  CHECK_FALSE(closest_match("conv2d", names).has_value());
}
