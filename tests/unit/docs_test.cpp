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

}  // namespace
}  // namespace pricepipe::testing
