// The snapshot sink without a graph (stages/sinks/snapshot_sink.h): parts
// roll at their size, a partition met again continues its numbering, every
// closed part is in the progress file before the next is begun, rows carry
// the snapshot column, and the manifest counts what the parts hold; a run
// that ended with failed inputs leaves a partial manifest that lists them,
// moves no `latest`, and is resumed.
#include "stages/sinks/snapshot_sink.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "stages/sinks/snapshot_store.h"
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

RunEnd whole() {
  RunEnd end;
  end.complete = true;
  end.finished = true;
  return end;
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
  ASSERT_TRUE(sink.finish(whole()).ok());

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
  // Listed by region, then part (whatever order they were written in: as shards' merged ones are).
  EXPECT_EQ(paths, (std::vector<std::string>{"dataset=catalog/region=eu-west-1/part-00000.ndjson",
                                             "dataset=catalog/region=eu-west-1/part-00001.ndjson",
                                             "dataset=catalog/region=eu-west-1/part-00002.ndjson",
                                             "dataset=catalog/region=us-east-1/part-00000.ndjson"}));
  EXPECT_EQ(rows, 6u);
  simdjson::dom::element catalog = m["datasets"].at(0);
  EXPECT_EQ(catalog["rows"].get_uint64().value(), 6u);
  EXPECT_EQ(catalog["parts"].get_uint64().value(), 4u);
  EXPECT_EQ(fs::read_symlink(dir / "latest"), fs::path("u1"));
}

TEST(SnapshotSink, FailedInputsMakeAPartialManifestThatListsThemAndIsResumed) {
  const fs::path dir = testing::temp_dir("snapshot-partial");
  SnapshotSinkOptions options;
  options.dir = dir;
  options.id = "p1";
  options.compression = Compression::none;
  options.datasets = {Dataset::spot_prices};
  const std::string row =
      R"j({"region":"eu-west-1","account_id":"123456789012","zone":"eu-west-1a","zone_id":"euw1-az1","instance_type":"m7g.large",)j"
      R"j("product_description":"Linux/UNIX (Amazon VPC)","price":0.0312,"timestamp":"2026-11-30T06:00:00Z"})j"
      "\n";
  const fs::path root = dir / "p1";
  {
    SnapshotSink sink(options);
    const auto b = batch(Dataset::spot_prices, "eu-west-1", row, 1);
    ASSERT_TRUE(sink.write(b, sink.prepare(b)).ok());
    RunEnd end;
    end.finished = true;
    end.missing.push_back(MissingInput{Dataset::spot_prices, "us-east-1", "ec2 DescribeSpotPriceHistory",
                                       Error(ErrorCode::server, "HTTP 503 after 5 attempts")});
    end.sources.push_back(SourceVersion{Dataset::spot_prices, "", "ec2 DescribeSpotPriceHistory",
                                        {{"start", "2026-11-30T00:00:00Z"}, {"end", "2026-12-01T00:00:00Z"}}});
    ASSERT_TRUE(sink.finish(end).ok());
  }
  simdjson::dom::parser parser;
  const std::string manifest = read_file(root / "manifest.json");
  simdjson::dom::element m = parser.parse(manifest);
  EXPECT_FALSE(m["complete"].get_bool().value());
  simdjson::dom::element missing = m["missing"].at(0);
  EXPECT_EQ(missing["dataset"].get_string().value(), "spot-prices");
  EXPECT_EQ(missing["region"].get_string().value(), "us-east-1");
  EXPECT_EQ(missing["source"].get_string().value(), "ec2 DescribeSpotPriceHistory");
  EXPECT_NE(std::string(missing["error"].get_string().value()).find("HTTP 503"), std::string::npos);
  simdjson::dom::element source = m["sources"].at(0);
  EXPECT_TRUE(source["region"].is_null());
  EXPECT_EQ(source["start"].get_string().value(), "2026-11-30T00:00:00Z");
  EXPECT_EQ(source["end"].get_string().value(), "2026-12-01T00:00:00Z");
  // Never `latest`, never pruned; its parts verify, and it says what is missing.
  EXPECT_FALSE(fs::exists(dir / "latest"));
  EXPECT_TRUE(fs::exists(root / "_snapshot.json"));
  auto report = verify_snapshot(root);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->problem) << report->problem->describe();
  EXPECT_EQ(report->snapshot.state, SnapshotState::partial);
  EXPECT_EQ(report->parts_checked, 1u);
  ASSERT_EQ(report->snapshot.missing.size(), 1u);
  EXPECT_NE(report->snapshot.missing[0].find("spot-prices us-east-1 (ec2 DescribeSpotPriceHistory)"), std::string::npos);
  auto pruned = prune_snapshots(dir, 1);
  ASSERT_TRUE(pruned.ok());
  EXPECT_TRUE(pruned->empty());

  // Resumed (the newest snapshot that is not complete): incomplete while written, complete at the end.
  options.id.clear();
  options.resume = true;
  SnapshotSink again(options);
  const auto b = batch(Dataset::spot_prices, "eu-west-1", row, 1);
  ASSERT_TRUE(again.write(b, again.prepare(b)).ok());
  EXPECT_FALSE(fs::exists(root / "manifest.json"));
  ASSERT_TRUE(again.finish(whole()).ok());
  simdjson::dom::element done = parser.parse(read_file(root / "manifest.json"));
  EXPECT_TRUE(done["complete"].get_bool().value());
  EXPECT_EQ(done["missing"].get_array().size(), 0u);
  EXPECT_EQ(fs::read_symlink(dir / "latest"), fs::path("p1"));
  EXPECT_FALSE(fs::exists(root / "_snapshot.json"));
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
