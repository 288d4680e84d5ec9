// Option names (model/names.hpp): parsing, messages, and the docs tables that list the values of
// every option with a name table, so docs and code cannot drift apart.

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "model/names.hpp"
#include "solve/solver.hpp"
#include "surrogate/config.hpp"
#include "trust/confidence.hpp"

using namespace heatop;

namespace {

const std::string kDocs = HEATOP_DOCS_DIR;

enum class Colour { red, green, blue };
inline constexpr NameTable<Colour, 3> kColourNames{{{Colour::red, "red", "the first"},
                                                    {Colour::green, "green", "the second"},
                                                    {Colour::blue, "blue", "the third"}}};
inline constexpr NameTable<Colour, 3> kColourNamesUse{
    {{Colour::red, "red", ""}, {Colour::green, "green", ""}, {Colour::blue, "blue", ""}},
    "'{got}' is not valid; use {either}"};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  EXPECT_TRUE(f.good()) << "cannot read " << path;
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The tables of a markdown document marked `<!-- names: KEY -->` (the line before the table):
// KEY -> the first cell of every body row, backticks removed.
std::map<std::string, std::vector<std::string>> doc_tables(const std::string& text) {
  std::map<std::string, std::vector<std::string>> out;
  std::istringstream in(text);
  std::string line, key;
  const std::string open = "<!-- names: ", close = " -->";
  while (std::getline(in, line)) {
    if (line.rfind(open, 0) == 0 && line.size() > open.size() + close.size() &&
        line.compare(line.size() - close.size(), close.size(), close) == 0) {
      key = line.substr(open.size(), line.size() - open.size() - close.size());
      EXPECT_EQ(out.count(key), 0u) << "two tables marked " << key;
      out[key];
      int row = 0;
      while (std::getline(in, line) && line.rfind("|", 0) == 0) {
        if (row++ < 2) continue;  // header and |---|---|
        const std::size_t end = line.find('|', 1);
        std::string cell = line.substr(1, end == std::string::npos ? end : end - 1);
        std::string name;
        for (char c : cell)
          if (c != '`' && c != ' ') name += c;
        out[key].push_back(name);
      }
    }
  }
  return out;
}

// Every table of `doc` matches `expected` (marker key -> the names of its name table, in
// order), and the document marks no other tables. On a mismatch the message shows the table
// as the code has it, to paste.
void expect_doc_matches(
    const std::string& doc,
    const std::vector<std::pair<std::string, std::pair<std::vector<std::string>, std::string>>>&
        expected) {
  const auto tables = doc_tables(read_text(kDocs + "/" + doc));
  for (const auto& [key, want] : expected) {
    const auto it = tables.find(key);
    if (it == tables.end()) {
      ADD_FAILURE() << doc << ": no table marked <!-- names: " << key << " -->; it should be\n"
                    << want.second;
      continue;
    }
    EXPECT_EQ(it->second, want.first) << doc << ", table " << key << " should list\n"
                                      << want.second;
  }
  for (const auto& [key, names] : tables) {
    bool known = false;
    for (const auto& e : expected) known |= e.first == key;
    EXPECT_TRUE(known) << doc << ": table " << key << " has no name table in the test";
  }
}

template <class E, std::size_t N>
std::pair<std::string, std::pair<std::vector<std::string>, std::string>> entry(
    const std::string& key, const NameTable<E, N>& t) {
  return {key, {names(t), markdown_table(t, "`" + key + "`")}};
}

}  // namespace

TEST(Names, ParseNameAndList) {
  EXPECT_EQ(parse(kColourNames, "green", "colour"), Colour::green);
  EXPECT_STREQ(name(kColourNames, Colour::blue), "blue");
  EXPECT_EQ(names(kColourNames), (std::vector<std::string>{"red", "green", "blue"}));
  EXPECT_EQ(join_names(kColourNames), "red, green, blue");
  EXPECT_EQ(join_names(kColourNames, " or "), "red, green or blue");
  EXPECT_EQ(find(kColourNames, "Red"), nullptr);  // names are case-sensitive
  EXPECT_EQ(markdown_table(kColourNames),
            "| value | meaning |\n|---|---|\n| `red` | the first |\n| `green` | the second |\n"
            "| `blue` | the third |\n");
}

TEST(Names, ParseErrorsNameTheKeyTheTextAndTheValidNames) {
  EXPECT_EQ(error_of([] { parse(kColourNames, "mauve", "paint.colour"); }),
            "paint.colour: unknown value 'mauve'; valid: red, green, blue");
  EXPECT_EQ(error_of([] { parse(kColourNamesUse, "", "colour"); }),
            "colour: '' is not valid; use red, green or blue");
  // The messages of the real options, as design and operator files report them.
  EXPECT_EQ(error_of([] { parse(solve::kMethodNames, "lu", "solver.method"); }),
            "solver.method: unknown value 'lu'; valid: cg, gmres, multigrid");
  EXPECT_EQ(error_of([] { parse(solve::kPreconditionerNames, "ilu", "solver.preconditioner"); }),
            "solver.preconditioner: unknown value 'ilu'; valid: multigrid, jacobi, none");
  EXPECT_EQ(error_of([] { parse(surrogate::kCoreNames, "tt", "network.core"); }),
            "network.core: unknown core 'tt'; valid: cp, tucker, modal");
  EXPECT_EQ(
      error_of([] { parse(surrogate::kPowerResidualNames, "tiles", "training.power_residual"); }),
      "training.power_residual: 'tiles' is not valid; use cells, modes or points");
}

TEST(Names, EveryValueHasOneName) {
  for (const auto& e : solve::kMethodNames)
    EXPECT_EQ(parse(solve::kMethodNames, e.name, "m"), e.value);
  EXPECT_STREQ(name(solve::kMethodNames, solve::Method::gmres), "gmres");
  EXPECT_STREQ(name(surrogate::kTrunkTypeNames, surrogate::TrunkType::fourier_mlp), "fourier-mlp");
  EXPECT_STREQ(
      name(surrogate::kResistanceCoordinateNames, surrogate::ResistanceCoordinate::automatic),
      "auto");
}

// docs/design-file.md and docs/surrogate.md list the values of each option in a table marked
// <!-- names: KEY -->: exactly the names of the option's table, in its order.
TEST(Names, DesignFileDocsListTheSolverNames) {
  expect_doc_matches("design-file.md", {entry("solver.method", solve::kMethodNames),
                                        entry("solver.preconditioner", solve::kPreconditionerNames),
                                        entry("solver.backend", solve::kBackendNames)});
}

TEST(Names, SurrogateDocsListTheConfigurationNames) {
  using namespace surrogate;
  expect_doc_matches(
      "surrogate.md",
      {entry("inputs[i].type", kInputTypeNames),
       entry("inputs[i].sensor_layout", kSensorLayoutNames),
       entry("inputs[i].generator.type", kGeneratorTypeNames),
       entry("network.model", kNetworkModelNames), entry("network.core", kCoreNames),
       entry("network.modal_core", kModalCoreNames), entry("network.branch.type", kBranchTypeNames),
       entry("network.branch.init", kBranchInitNames), entry("network.combine", kCombineNames),
       entry("network.branch.activation", kBranchActivationNames),
       entry("network.trunk.type", kTrunkTypeNames),
       entry("network.resistance_coordinate", kResistanceCoordinateNames),
       entry("network.dtype", kDTypeNames),
       entry("training.collocation_sampling", kCollocationSamplingNames),
       entry("training.power_residual", kPowerResidualNames), entry("device", kDeviceNames)});
}

TEST(Names, TrustDocsListTheErrorEstimates) {
  expect_doc_matches("trust.md", {entry("--estimate", trust::kErrorEstimateNames)});
}

// The markdown parser of this test: a marked table's body rows, and nothing past its end.
TEST(Names, DocTableParser) {
  const auto t = doc_tables(
      "text\n<!-- names: a.b -->\n| `a.b` | meaning |\n|---|---|\n| `x` | one |\n| `y-z` | two "
      "|\n\n| `not` | this |\n");
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t.at("a.b"), (std::vector<std::string>{"x", "y-z"}));
}
