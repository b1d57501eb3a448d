// The snapshot sink without a graph (stages/sinks/snapshot_sink.h): parts
// roll at their size, a partition met again continues its numbering, every
// closed part is in the progress file before the next is begun, rows carry
// the snapshot column, and the manifest counts what the parts hold.
#include "stages/sinks/snapshot_sink.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/process.h"

namespace pricepipe::stages {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

RecordBatch batch(Dataset dataset, const std::string& region, const std::string& ndjson, std::uint64_t rows) {
  RecordBatch b;
  b.dataset = dataset;
  b.region = region;
  b.ndjson = std::make_shared<const std::string>(ndjson);
  b.rows = rows;
  return b;
}

TEST(SnapshotSink, PartsRollAtTheirSizeAndAPartitionMetAgainContinuesItsNumbers) {
  const fs::path dir = testing::temp_dir("snapshot-sink");
  SnapshotSinkOptions options;
  options.dir = dir;
  options.id = "u1";
  options.compression = Compression::none;
  options.part_bytes = 64;  // each batch below is larger: one part per batch
  options.datasets = {Dataset::catalog};
  SnapshotSink sink(options);
  const std::string row = R"({"region":"eu-west-1","instance_type":"m7g.large","vcpus":2})";
  const std::string two = row + "\n" + row + "\n";
  for (const auto& [region, text] : std::vector<std::pair<std::string, std::string>>{
           {"eu-west-1", two}, {"eu-west-1", two}, {"us-east-1", row + "\n"}, {"eu-west-1", row}}) {
    const auto b = batch(Dataset::catalog, region, text, text.size() > row.size() + 1 ? 2 : 1);
    ASSERT_TRUE(sink.write(b, sink.prepare(b)).ok());
  }
  const fs::path root = dir / "u1";
  const fs::path eu = root / "dataset=catalog" / "region=eu-west-1";
  // Closed parts are listed as they close; the one being written is not.
  EXPECT_EQ(read_file(root / "_progress.ndjson").find("part-00002"), std::string::npos);
  EXPECT_TRUE(fs::exists(eu / "part-00002.ndjson.partial"));
  ASSERT_TRUE(sink.finish(true).ok());

  const std::string with_column = R"({"region":"eu-west-1","instance_type":"m7g.large","vcpus":2,"snapshot_id":"u1"})";
  EXPECT_EQ(read_file(eu / "part-00000.ndjson"), with_column + "\n" + with_column + "\n");
  EXPECT_EQ(read_file(eu / "part-00001.ndjson"), with_column + "\n" + with_column + "\n");
  EXPECT_EQ(read_file(eu / "part-00002.ndjson"), with_column + "\n");  // the line without a newline, whole
  EXPECT_TRUE(fs::exists(root / "dataset=catalog" / "region=us-east-1" / "part-00000.ndjson"));
  EXPECT_FALSE(fs::exists(root / "_progress.ndjson"));

  simdjson::dom::parser parser;
  const std::string manifest = read_file(root / "manifest.json");
  simdjson::dom::element m = parser.parse(manifest);
  std::vector<std::string> paths;
  std::uint64_t rows = 0;
  for (simdjson::dom::element p : m["parts"].get_array()) {
    paths.emplace_back(p["path"].get_string().value());
    rows += p["rows"].get_uint64().value();
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"dataset=catalog/region=eu-west-1/part-00000.ndjson",
                                             "dataset=catalog/region=eu-west-1/part-00001.ndjson",
                                             "dataset=catalog/region=us-east-1/part-00000.ndjson",
                                             "dataset=catalog/region=eu-west-1/part-00002.ndjson"}));
  EXPECT_EQ(rows, 6u);
  simdjson::dom::element catalog = m["datasets"].at(0);
  EXPECT_EQ(catalog["rows"].get_uint64().value(), 6u);
  EXPECT_EQ(catalog["parts"].get_uint64().value(), 4u);
  EXPECT_EQ(fs::read_symlink(dir / "latest"), fs::path("u1"));
}

TEST(SnapshotSink, IdsAreTheStartTimeAndPlainNames) {
  EXPECT_EQ(snapshot_id_for(std::chrono::sys_seconds(std::chrono::seconds(1'796'104'800))), "2026-12-01T06-00-00Z");
  EXPECT_TRUE(valid_snapshot_id("2026-12-01T06-00-00Z"));
  for (const char* bad : {"", "../x", "a/b", ".hidden", "_schema", "latest", "a b"}) {
    EXPECT_FALSE(valid_snapshot_id(bad)) << bad;
  }
}

}  // namespace
}  // namespace pricepipe::stages
