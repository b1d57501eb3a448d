// Sharded snapshots end to end (stages/shard.h, stages/sinks/snapshot_merge.h):
// four processes each writing their share of one snapshot, sharing a Redis
// cache, merged into the snapshot one process writes from the same answers,
// part for part; the merge refusing before every shard is in; the job index
// variables of Kubernetes Indexed Jobs and AWS Batch array jobs.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "core/schema.h"
#include "tests/support/fakeaws.h"
#include "tests/support/process.h"
#include "tests/support/redis.h"

namespace pricepipe::testing {
namespace {

namespace fs = std::filesystem;

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// What a manifest says, but for its times: its datasets, sources, missing and parts, as JSON text each.
struct Said {
  std::vector<std::string> datasets, sources, parts;
  bool complete = false;
};

Said said(const std::string& manifest) {
  simdjson::dom::parser parser;
  simdjson::dom::element m = parser.parse(manifest);
  Said out;
  out.complete = m["complete"].get_bool().value();
  for (auto d : m["datasets"].get_array()) out.datasets.push_back(simdjson::minify(d));
  for (auto s : m["sources"].get_array()) {
    // When the advisor feed was fetched is each run's own.
    std::string text = simdjson::minify(s);
    const std::string key = ",\"fetched_at\":";
    if (const auto at = text.find(key); at != std::string::npos) text.erase(at, key.size() + std::string("\"2026-12-03T07:28:04Z\"").size());
    out.sources.push_back(text);
  }
  for (auto p : m["parts"].get_array()) out.parts.push_back(simdjson::minify(p));
  return out;
}

std::vector<std::string> part_paths(const std::string& manifest) {
  simdjson::dom::parser parser;
  std::vector<std::string> out;
  for (auto p : parser.parse(manifest)["parts"].get_array()) out.emplace_back(p["path"].get_string().value());
  return out;
}

TEST(Shards, FourShardsMergedAreTheOneProcessSnapshotPartForPart) {
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed (Debian package redis-server)";
  FakeAws fake({"--synthetic", "--synthetic-regions", "5", "--synthetic-variants", "6"});
  const auto window = fixed_spot_window();
  auto snapshot = [&](const std::string& dir, std::vector<std::string> extra,
                      const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> args = {"snapshot", "--out", dir, "--id", "nightly-1", "--part-size", "1M"};
    args.insert(args.end(), window.begin(), window.end());
    args.insert(args.end(), extra.begin(), extra.end());
    return fake.pricepipe(args, env);
  };
  const std::string one = temp_dir("shards-one");
  const auto alone = snapshot(one, {"--no-cache"});
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  const std::string expected = read_file(fs::path(one) / "nightly-1" / "manifest.json");

  RedisServer redis;
  const std::string dir = temp_dir("shards");
  const fs::path root = fs::path(dir) / "nightly-1";
  std::vector<ProcessResult> runs(4);
  {
    // Shards 1 to 3 at once, sharing the cache; shard 4 comes later.
    std::vector<std::thread> threads;
    for (int i = 1; i <= 3; ++i) {
      threads.emplace_back([&, i] {
        runs[i - 1] = snapshot(dir, {"--shard", std::to_string(i) + "/4", "--cache-dir", temp_dir("shard-cache"),
                                     "--cache-url", redis.url()},
                               {{"PRICEPIPE_NO_CACHE", ""}});
      });
    }
    for (auto& t : threads) t.join();
  }
  for (int i = 0; i < 3; ++i) ASSERT_EQ(runs[i].exit_code, 0) << runs[i].err;
  EXPECT_HAS(runs[0].err, "shard 1/4 is in");
  EXPECT_FALSE(fs::exists(root / "manifest.json")) << "a shard never writes the snapshot's manifest";
  EXPECT_FALSE(fs::exists(fs::path(dir) / "latest"));

  const auto early = fake.pricepipe({"snapshot", "merge", root.string()});
  EXPECT_EQ(early.exit_code, 7) << early.err;
  EXPECT_HAS(early.err, "3 of 4 shards are in; waiting for shard 4/4 (nothing written)");
  EXPECT_FALSE(fs::exists(root / "manifest.json"));
  const auto ls = fake.pricepipe({"snapshot", "ls", dir});
  EXPECT_HAS(ls.out, "nightly-1");
  EXPECT_HAS(ls.out, "incomplete");
  EXPECT_EQ(ls.out.find("incomplete      0 "), std::string::npos) << "the shards' parts are counted: " << ls.out;

  runs[3] = snapshot(dir, {"--shard", "4/4", "--cache-dir", temp_dir("shard-cache"), "--cache-url", redis.url()},
                     {{"PRICEPIPE_NO_CACHE", ""}});
  ASSERT_EQ(runs[3].exit_code, 0) << runs[3].err;

  // Each shard did a share, and no two the same.
  std::set<std::string> seen;
  for (int i = 1; i <= 4; ++i) {
    const fs::path shard = root / "_shards" / ("shard-000" + std::to_string(i) + "-of-0004.json");
    ASSERT_TRUE(fs::exists(shard)) << shard;
    const auto paths = part_paths(read_file(shard));
    EXPECT_FALSE(paths.empty()) << "shard " << i << " wrote nothing";
    for (const auto& p : paths) EXPECT_TRUE(seen.insert(p).second) << p << " written twice";
  }

  const auto merged = fake.pricepipe({"snapshot", "merge", root.string()});
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  EXPECT_HAS(merged.out, "4 shards merged");
  const std::string manifest = read_file(root / "manifest.json");
  const Said want = said(expected), got = said(manifest);
  EXPECT_TRUE(got.complete);
  EXPECT_EQ(got.datasets, want.datasets);
  EXPECT_EQ(got.sources, want.sources);
  ASSERT_EQ(got.parts, want.parts) << "the merged parts are not the single process's, in its order";
  for (const auto& path : part_paths(manifest)) {
    EXPECT_TRUE(read_file(root / path) == read_file(fs::path(one) / "nightly-1" / path)) << path << " differs";
  }
  EXPECT_EQ(fs::read_symlink(fs::path(dir) / "latest"), fs::path("nightly-1"));
  EXPECT_FALSE(fs::exists(root / "_snapshot.json"));
  const auto verified = fake.pricepipe({"snapshot", "verify", root.string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;

  const auto again = fake.pricepipe({"snapshot", "merge", root.string()});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_HAS(again.err, "it has a manifest already");
}

TEST(Shards, TheJobIndexVariablesNameTheShardAndBadOnesAreRefused) {
  FakeAws fake({"--synthetic", "--synthetic-regions", "3"});
  const std::string dir = temp_dir("shards-index");
  auto shard_run = [&](std::vector<std::string> extra, const std::map<std::string, std::string>& env) {
    std::vector<std::string> args = {"--no-cache", "snapshot", "--datasets", "regions,instance-types", "--out", dir};
    args.insert(args.end(), extra.begin(), extra.end());
    return fake.pricepipe(args, env);
  };
  // A Kubernetes Indexed Job's third pod, and an AWS Batch array job's first child.
  auto k8s = shard_run({"--id", "k8s", "--shard-count", "4"}, {{"JOB_COMPLETION_INDEX", "2"}});
  ASSERT_EQ(k8s.exit_code, 0) << k8s.err;
  EXPECT_TRUE(fs::exists(fs::path(dir) / "k8s" / "_shards" / "shard-0003-of-0004.json"));
  auto batch = shard_run({"--id", "batch"}, {{"AWS_BATCH_JOB_ARRAY_INDEX", "0"}, {"PRICEPIPE_SHARD_COUNT", "2"}});
  ASSERT_EQ(batch.exit_code, 0) << batch.err;
  EXPECT_TRUE(fs::exists(fs::path(dir) / "batch" / "_shards" / "shard-0001-of-0002.json"));
  // The same share whichever way it is named.
  auto named = shard_run({"--id", "named", "--shard", "3/4"}, {});
  ASSERT_EQ(named.exit_code, 0) << named.err;
  EXPECT_EQ(part_paths(read_file(fs::path(dir) / "named" / "_shards" / "shard-0003-of-0004.json")),
            part_paths(read_file(fs::path(dir) / "k8s" / "_shards" / "shard-0003-of-0004.json")));
  // An index without a count shards nothing, and says so.
  auto whole = shard_run({"--id", "whole"}, {{"JOB_COMPLETION_INDEX", "1"}});
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  EXPECT_HAS(whole.err, "JOB_COMPLETION_INDEX=1 is set, but --shard-count (PRICEPIPE_SHARD_COUNT) is not");
  EXPECT_TRUE(fs::exists(fs::path(dir) / "whole" / "manifest.json"));

  const std::vector<std::pair<std::vector<std::string>, std::string>> refused = {
      {{"--id", "x", "--shard", "5/4"}, "--shard must be I/N with 1 <= I <= N"},
      {{"--id", "x", "--shard", "0/4"}, "--shard must be I/N"},
      {{"--id", "x", "--shard", "2"}, "--shard must be I/N"},
      {{"--id", "x", "--shard", "1/4", "--shard-count", "3"}, "--shard 1/4 and --shard-count 3 disagree"},
      {{"--id", "x", "--shard-count", "4"}, "--shard-count 4 needs --shard I/4, JOB_COMPLETION_INDEX"},
      {{"--shard", "1/2"}, "give every shard the same --id"},
      {{"--id", "x", "--shard", "1/2", "--load", "sqlite:///tmp/x.db"}, "need the whole snapshot"},
  };
  for (const auto& [extra, message] : refused) {
    const auto r = shard_run(extra, {});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_HAS(r.err, message);
  }
  const auto out_of_range = shard_run({"--id", "x", "--shard-count", "4"}, {{"JOB_COMPLETION_INDEX", "4"}});
  EXPECT_EQ(out_of_range.exit_code, 2);
  EXPECT_HAS(out_of_range.err, "JOB_COMPLETION_INDEX=4 is not an index of 4 shards");
  // A shard of a snapshot begun with another count is refused.
  const auto other_count = shard_run({"--id", "k8s", "--shard", "1/2"}, {});
  EXPECT_EQ(other_count.exit_code, 2);
  EXPECT_HAS(other_count.err, "is written in 4 shards: give --shard I/4");
}

}  // namespace
}  // namespace pricepipe::testing
