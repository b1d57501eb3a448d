// docs/ is generated from the same declarations the code uses; these tests
// fail when someone changes a record or a setting without regenerating it.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/support/process.h"

namespace pricepipe::testing {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string generated(const std::string& topic) {
  ProcessOptions p;
  p.argv = {pricepipe_binary(), "docs", topic};
  auto r = run_process(p);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

TEST(Docs, DatasetsPageIsCurrent) {
  EXPECT_EQ(read_file(source_dir() + "/docs/datasets.md"), generated("datasets"))
      << "regenerate with: build/src/cli/pricepipe docs datasets > docs/datasets.md";
}

TEST(Docs, CliPageHasTheCurrentSettingsTable) {
  const std::string table = generated("settings");
  EXPECT_NE(read_file(source_dir() + "/docs/cli.md").find(table), std::string::npos)
      << "paste the output of `pricepipe docs settings` into docs/cli.md:\n"
      << table;
}

TEST(Docs, CliPageHasTheCurrentStreamOptions) {
  const std::string table = generated("stream");
  EXPECT_NE(read_file(source_dir() + "/docs/cli.md").find(table), std::string::npos)
      << "paste the output of `pricepipe docs stream` into docs/cli.md:\n"
      << table;
}

TEST(Docs, SelectPageHasTheCurrentOptions) {
  const std::string table = generated("select");
  EXPECT_NE(read_file(source_dir() + "/docs/select.md").find(table), std::string::npos)
      << "paste the output of `pricepipe docs select` into docs/select.md:\n"
      << table;
}

TEST(Docs, PipelinesPageHasTheCurrentReference) {
  const std::string reference = generated("pipelines");
  const std::string page = read_file(source_dir() + "/docs/pipelines.md");
  EXPECT_NE(page.find(reference), std::string::npos)
      << "replace the reference part of docs/pipelines.md with the output of `pricepipe docs pipelines`";
  // Every type and option is in the reference, so none can be added without docs.
  for (const char* part : {"### source `catalog`", "### transform `filter`", "### transform `select`", "### sink `file`", "| `concurrent_regions` |",
                           "| `where` |", "| `keep_going` |"}) {
    EXPECT_NE(reference.find(part), std::string::npos) << part;
  }
}

// Every flag and option the help shows is in the docs: nothing is bound by hand.
TEST(Docs, EveryFlagOfTheHelpIsDocumented) {
  // (select's own flags are in its page)
  const std::string cli = read_file(source_dir() + "/docs/cli.md") + read_file(source_dir() + "/docs/select.md");
  // Each command; fewer flags than it has means the help was not read.
  for (const auto& [command, at_least] : std::vector<std::pair<std::string, std::size_t>>{
           {"", 10}, {"stream", 10}, {"select", 30}, {"snapshot", 10}, {"schema", 3}}) {
    ProcessOptions p;
    p.argv = {pricepipe_binary()};
    if (!command.empty()) p.argv.push_back(command);
    p.argv.push_back("--help");
    const auto r = run_process(p);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // The options column: lines like "  -q,--quiet   Only warnings ...".
    std::istringstream lines(r.out);
    std::size_t flags = 0;
    for (std::string line; std::getline(lines, line);) {
      if (!line.starts_with("  -")) continue;
      std::string spec = line.substr(2, line.find(' ', 2) - 2);
      for (std::size_t at = 0; at < spec.size();) {
        const auto comma = spec.find(',', at);
        const std::string flag = spec.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
        at = comma == std::string::npos ? spec.size() : comma + 1;
        if (!flag.starts_with("--") || flag == "--help" || flag == "--version") continue;
        ++flags;
        EXPECT_NE(cli.find(flag), std::string::npos) << flag << " (pricepipe " << command << " --help) is not in docs/cli.md or docs/select.md";
      }
    }
    EXPECT_GE(flags, at_least) << "pricepipe " << command << " --help";
  }
}

}  // namespace
}  // namespace pricepipe::testing
