// Snapshots end to end against fakeaws (stages/sinks/snapshot_sink.h): every
// dataset of every region in Hive-style partitions whose rows are exactly
// what `stream` prints (with snapshot_id), a manifest whose sizes, hashes
// and row counts the parts bear out, schemas beside the data, `latest`
// moved only by a complete snapshot, a partial manifest listing a region
// that failed under --keep-going, and the source versions.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <zlib.h>
#include <zstd.h>

#include <csignal>

#include <filesystem>
#include <fstream>
#include <algorithm>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "core/dataset.h"
#include "core/schema.h"
#include "core/sha256.h"
#include "tests/support/fakeaws.h"
#include "tests/support/process.h"
#include "tests/support/small_disk.h"

namespace pricepipe::testing {
namespace {

namespace fs = std::filesystem;

FakeAws small_world() { return FakeAws({"--synthetic", "--synthetic-regions", "3"}); }

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string unzstd(const std::string& data) {
  std::string out;
  ZSTD_DStream* z = ZSTD_createDStream();
  ZSTD_initDStream(z);
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  std::string buffer(ZSTD_DStreamOutSize(), '\0');
  std::size_t ret = 1;
  while (in.pos < in.size) {
    ZSTD_outBuffer o{buffer.data(), buffer.size(), 0};
    ret = ZSTD_decompressStream(z, &o, &in);
    if (ZSTD_isError(ret)) break;
    out.append(buffer.data(), o.pos);
  }
  ZSTD_freeDStream(z);
  EXPECT_EQ(ret, 0u) << "a zstd part that does not end on a whole frame";
  return out;
}

std::string gunzip(const std::string& data) {
  std::string out;
  z_stream z{};
  inflateInit2(&z, 15 + 32);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  std::string buffer(1 << 16, '\0');
  int rc = Z_OK;
  while (rc != Z_STREAM_END || z.avail_in > 0) {
    if (rc == Z_STREAM_END) inflateReset(&z);  // the next member
    z.next_out = reinterpret_cast<Bytef*>(buffer.data());
    z.avail_out = static_cast<uInt>(buffer.size());
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    out.append(buffer.data(), buffer.size() - z.avail_out);
  }
  inflateEnd(&z);
  EXPECT_EQ(rc, Z_STREAM_END) << "a gzip part that does not end on a whole member";
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

struct PartInfo {
  std::string path, dataset, region, sha256;
  std::uint64_t rows = 0, bytes = 0;
};

std::vector<PartInfo> parts_of(const std::string& manifest) {
  simdjson::dom::parser parser;
  std::vector<PartInfo> out;
  for (simdjson::dom::element p : parser.parse(manifest)["parts"].get_array()) {
    PartInfo i;
    i.path = std::string(p["path"].get_string().value());
    i.dataset = std::string(p["dataset"].get_string().value());
    i.region = std::string(p["region"].get_string().value());
    i.sha256 = std::string(p["sha256"].get_string().value());
    i.rows = p["rows"].get_uint64().value();
    i.bytes = p["bytes"].get_uint64().value();
    out.push_back(i);
  }
  return out;
}

// A dataset's rows, each without the snapshot column, checked to end with it.
std::multiset<std::string> snapshot_rows(const fs::path& root, const std::vector<PartInfo>& parts,
                                         const std::string& dataset, const std::string& id, bool gzip = false) {
  const std::string column = ",\"snapshot_id\":\"" + id + "\"}";
  std::multiset<std::string> out;
  for (const auto& p : parts) {
    if (p.dataset != dataset) continue;
    const std::string stored = read_file(root / p.path);
    EXPECT_EQ(stored.size(), p.bytes) << p.path;
    EXPECT_EQ(sha256_hex(stored), p.sha256) << p.path;
    const auto rows = lines_of(gzip ? gunzip(stored) : unzstd(stored));
    EXPECT_EQ(rows.size(), p.rows) << p.path;
    for (const auto& row : rows) {
      EXPECT_TRUE(row.size() > column.size() && row.compare(row.size() - column.size(), column.size(), column) == 0)
          << p.path << ": " << row;
      EXPECT_NE(row.find("{\"region\":\"" + p.region + "\""), std::string::npos) << p.path << ": " << row;
      out.insert(row.substr(0, row.size() - column.size()) + "}");
    }
  }
  return out;
}

std::multiset<std::string> stream_rows(const FakeAws& fake, std::vector<std::string> args) {
  args.insert(args.begin(), "stream");
  const auto r = fake.pricepipe(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto lines = lines_of(r.out);
  return {lines.begin(), lines.end()};
}

// The same rows, or how many differ and the first of each side (rows are long).
void expect_same_rows(const std::multiset<std::string>& snapshot, const std::multiset<std::string>& streamed) {
  if (snapshot == streamed) return;
  std::vector<std::string> only_snapshot, only_streamed;
  std::set_difference(snapshot.begin(), snapshot.end(), streamed.begin(), streamed.end(),
                      std::back_inserter(only_snapshot));
  std::set_difference(streamed.begin(), streamed.end(), snapshot.begin(), snapshot.end(),
                      std::back_inserter(only_streamed));
  ADD_FAILURE() << snapshot.size() << " rows in the snapshot, " << streamed.size() << " streamed; "
                << only_snapshot.size() << " only in the snapshot"
                << (only_snapshot.empty() ? "" : " (first: " + only_snapshot.front().substr(0, 400) + ")") << ", "
                << only_streamed.size() << " only streamed"
                << (only_streamed.empty() ? "" : " (first: " + only_streamed.front().substr(0, 400) + ")");
}

TEST(Snapshot, EveryDatasetOfEveryRegionWithAManifestThePartsBearOut) {
  auto fake = small_world();
  const std::string dir = temp_dir("snapshot");
  const auto window = fixed_spot_window();
  std::vector<std::string> snapshot = {"snapshot", "--out", dir, "--id", "t1"};
  snapshot.insert(snapshot.end(), window.begin(), window.end());
  const auto r = fake.pricepipe(snapshot);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path root = fs::path(dir) / "t1";
  ASSERT_TRUE(fs::exists(root / "manifest.json"));
  EXPECT_FALSE(fs::exists(root / "_progress.ndjson"));
  EXPECT_EQ(fs::read_symlink(fs::path(dir) / "latest"), fs::path("t1"));
  const std::string manifest = read_file(root / "manifest.json");
  const auto parts = parts_of(manifest);

  simdjson::dom::parser parser;
  simdjson::dom::element m = parser.parse(manifest);
  EXPECT_EQ(std::string(m["snapshot_id"].get_string().value()), "t1");
  EXPECT_EQ(std::string(m["compression"].get_string().value()), "zstd");
  std::size_t datasets = 0;
  for (simdjson::dom::element d : m["datasets"].get_array()) {
    ++datasets;
    const std::string name(d["name"].get_string().value());
    SCOPED_TRACE(name);
    std::uint64_t rows = 0;
    for (const auto& p : parts) rows += p.dataset == name ? p.rows : 0;
    EXPECT_EQ(d["rows"].get_uint64().value(), rows);
    EXPECT_GT(rows, 0u);
    // Exactly the rows `stream` prints, region by region, each once.
    std::vector<std::string> args = {name};
    if (name != "regions") args.insert(args.end(), {"--regions", "all"});
    if (name == "spot-prices" || name == "catalog") args.insert(args.end(), window.begin(), window.end());
    expect_same_rows(snapshot_rows(root, parts, name, "t1"), stream_rows(fake, args));
    // Its schemas, as `pricepipe schema` prints them.
    for (const auto& [file, format] : std::map<std::string, std::string>{
             {"schema.json", "json-schema"}, {"bigquery.json", "bigquery"}, {"postgresql.sql", "postgresql"},
             {"clickhouse.sql", "clickhouse"}, {"snowflake.sql", "snowflake"}, {"duckdb.sql", "duckdb"},
             {"sqlite.sql", "sqlite"}}) {
      const auto schema = fake.pricepipe({"schema", name, "--format", format, "--snapshot"});
      EXPECT_EQ(read_file(root / "_schema" / name / file), schema.out) << file;
    }
  }
  EXPECT_EQ(datasets, static_cast<std::size_t>(std::count_if(all_datasets().begin(), all_datasets().end(),
                                                             [](const DatasetInfo& d) { return d.fetched; })));
  EXPECT_TRUE(m["complete"].get_bool().value());
  EXPECT_EQ(m["missing"].get_array().size(), 0u);

  // The source versions: every offer file read (its URL, version and
  // publication date, per dataset and region), the advisor document, the spot window.
  std::map<std::string, std::set<std::string>> offer_regions;  // dataset → regions
  std::size_t advisors = 0, windows = 0;
  for (simdjson::dom::element v : m["sources"].get_array()) {
    const std::string dataset(v["dataset"].get_string().value());
    const std::string source(v["source"].get_string().value());
    SCOPED_TRACE(dataset + " " + source);
    if (source == "price list offer file") {
      const std::string region(v["region"].get_string().value());
      const std::string url(v["url"].get_string().value());
      EXPECT_NE(url.find(region), std::string::npos) << url;
      EXPECT_FALSE(std::string(v["version"].get_string().value()).empty());
      EXPECT_TRUE(parse_rfc3339(v["published_at"].get_string().value()));
      offer_regions[dataset].insert(region);
    } else if (source == "spot advisor feed") {
      ++advisors;
      EXPECT_TRUE(v["region"].is_null());
      EXPECT_EQ(std::string(v["sha256"].get_string().value()).size(), 64u);
      EXPECT_TRUE(parse_rfc3339(v["fetched_at"].get_string().value()));
    } else if (source == "ec2 DescribeSpotPriceHistory") {
      ++windows;
      EXPECT_EQ(std::string(v["start"].get_string().value()), window[1]);
      EXPECT_EQ(std::string(v["end"].get_string().value()), window[3]);
    } else {
      ADD_FAILURE() << "an unexpected source";
    }
  }
  const auto enabled = fake.parsed_world().enabled_regions;
  const std::set<std::string> every(enabled.begin(), enabled.end());
  for (const char* dataset : {"on-demand-prices", "reserved-prices", "catalog"}) {
    EXPECT_EQ(offer_regions[dataset], every) << dataset;
  }
  EXPECT_FALSE(offer_regions["savings-plans-rates"].empty());
  EXPECT_EQ(advisors, 2u);  // spot-advisor and catalog
  EXPECT_EQ(windows, 2u);   // spot-prices and catalog
  // Every file under the snapshot is a part the manifest lists, a schema or the manifest.
  std::set<std::string> listed;
  for (const auto& p : parts) listed.insert(p.path);
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    const std::string rel = fs::relative(entry.path(), root).string();
    if (rel == "manifest.json" || rel.rfind("_schema/", 0) == 0) continue;
    EXPECT_TRUE(listed.count(rel)) << rel << " is not in the manifest";
  }
}

TEST(Snapshot, GzipPartsAndAPipelineFileEndingInASnapshot) {
  auto fake = small_world();
  const std::string dir = temp_dir("snapshot-gzip");
  const std::string pipeline = dir + "/p.yaml";
  std::ofstream(pipeline) << "sources:\n"
                             "  types: {type: instance-types, regions: all}\n"
                             "  zones: {type: availability-zones, regions: all}\n"
                             "sinks:\n"
                             "  lake: {type: snapshot, inputs: [types, zones], out: "
                          << dir << "/out, id: g1, compression: gzip, level: 6}\n";
  const auto r = fake.pricepipe({"run", pipeline});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path root = fs::path(dir) / "out" / "g1";
  const auto parts = parts_of(read_file(root / "manifest.json"));
  ASSERT_FALSE(parts.empty());
  for (const auto& p : parts) EXPECT_TRUE(p.path.ends_with(".ndjson.gz")) << p.path;
  expect_same_rows(snapshot_rows(root, parts, "instance-types", "g1", true),
                   stream_rows(fake, {"instance-types", "--regions", "all"}));
  expect_same_rows(snapshot_rows(root, parts, "availability-zones", "g1", true),
                   stream_rows(fake, {"availability-zones", "--regions", "all"}));
  EXPECT_TRUE(fs::exists(root / "_schema" / "instance-types" / "bigquery.json"));
  EXPECT_FALSE(fs::exists(root / "_schema" / "catalog"));
}

TEST(Snapshot, AFailedRegionIsListedAsMissingLatestStaysAndAResumeCompletesIt) {
  auto fake = small_world();
  const auto enabled = fake.parsed_world().enabled_regions;
  ASSERT_GE(enabled.size(), 3u);
  const std::string dir = temp_dir("snapshot-failed");
  const std::vector<std::string> args = {"--datasets", "instance-types,availability-zones", "--out", dir};
  auto ok = args;
  ok.insert(ok.begin(), "snapshot");
  ok.insert(ok.end(), {"--id", "good"});
  ASSERT_EQ(fake.pricepipe(ok).exit_code, 0);

  fake.set_faults(R"({"faults": [{"action": "DescribeInstanceTypes", "region": ")" + enabled[1] +
                  R"(", "kind": "error", "status": 400, "code": "UnauthorizedOperation", "count": 50}]})");
  auto failing = args;
  failing.insert(failing.begin(), "snapshot");
  failing.insert(failing.end(), {"--id", "bad", "--keep-going"});
  const auto r = fake.pricepipe(failing);
  EXPECT_EQ(r.exit_code, 7) << r.err;
  const fs::path root = fs::path(dir) / "bad";
  EXPECT_NE(r.err.find("snapshot " + root.string() + " is partial: 1 inputs failed"), std::string::npos) << r.err;
  EXPECT_EQ(fs::read_symlink(fs::path(dir) / "latest"), fs::path("good"));

  // A partial manifest: the failed region is missing, never silently absent.
  simdjson::dom::parser parser;
  const std::string manifest = read_file(root / "manifest.json");
  simdjson::dom::element m = parser.parse(manifest);
  EXPECT_FALSE(m["complete"].get_bool().value());
  ASSERT_EQ(m["missing"].get_array().size(), 1u);
  simdjson::dom::element missing = m["missing"].at(0);
  EXPECT_EQ(std::string(missing["dataset"].get_string().value()), "instance-types");
  EXPECT_EQ(std::string(missing["region"].get_string().value()), enabled[1]);
  EXPECT_EQ(std::string(missing["source"].get_string().value()), "ec2 DescribeInstanceTypes");
  EXPECT_NE(std::string(missing["error"].get_string().value()).find("UnauthorizedOperation"), std::string::npos);
  const auto parts = parts_of(manifest);
  ASSERT_FALSE(parts.empty());
  for (const auto& p : parts) {
    EXPECT_FALSE(p.dataset == "instance-types" && p.region == enabled[1]) << p.path;
    const std::string stored = read_file(root / p.path);
    EXPECT_EQ(stored.size(), p.bytes);
    EXPECT_EQ(sha256_hex(stored), p.sha256);
  }
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    EXPECT_FALSE(entry.path().string().ends_with(".partial")) << entry.path();
  }
  // Every reader says so: verify checks its parts and exits 7 naming what is missing; ls calls it partial.
  const auto verify = fake.pricepipe({"snapshot", "verify", root.string()});
  EXPECT_EQ(verify.exit_code, 7) << verify.err;
  EXPECT_NE(verify.err.find("is partial"), std::string::npos) << verify.err;
  EXPECT_NE(verify.err.find("missing: instance-types " + enabled[1] + " (ec2 DescribeInstanceTypes)"), std::string::npos)
      << verify.err;
  const auto ls = fake.pricepipe({"snapshot", "ls", dir});
  EXPECT_NE(ls.out.find("bad"), std::string::npos);
  EXPECT_NE(ls.out.find("partial"), std::string::npos) << ls.out;

  // Resumed once the region answers: complete, and `latest`.
  fake.clear_faults();
  auto resume = args;
  resume.insert(resume.begin(), "snapshot");
  resume.push_back("--resume");
  const auto resumed = fake.pricepipe(resume);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  simdjson::dom::element done = parser.parse(read_file(root / "manifest.json"));
  EXPECT_TRUE(done["complete"].get_bool().value());
  EXPECT_EQ(fs::read_symlink(fs::path(dir) / "latest"), fs::path("bad"));
  EXPECT_EQ(fake.pricepipe({"snapshot", "verify", dir}).exit_code, 0);
  const auto all = parts_of(read_file(root / "manifest.json"));
  expect_same_rows(snapshot_rows(root, all, "instance-types", "bad"),
                   stream_rows(fake, {"instance-types", "--regions", "all"}));
}

TEST(Snapshot, UncompressedPagesThatWaitedForAnEarlierRegionComeOutWhole) {
  // Uncompressed, the pages of later regions outgrow what may wait in
  // memory and wait in a file: each must come back as the write it was
  // (a part's groups are framed), not cut into chunks.
  auto fake = small_world();
  const std::string dir = temp_dir("snapshot-none");
  std::vector<std::string> args = {"snapshot", "--out", dir, "--id", "n1", "--compression", "none"};
  const auto window = fixed_spot_window();
  args.insert(args.end(), window.begin(), window.end());
  const auto r = fake.pricepipe(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto verify = fake.pricepipe({"snapshot", "verify", dir});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  const auto parts = parts_of(read_file(fs::path(dir) / "n1" / "manifest.json"));
  std::uint64_t bytes = 0;
  for (const auto& p : parts) bytes += p.bytes;
  EXPECT_GT(bytes, 16u << 20) << "too little to wait in a file: the test would not test it";
  std::multiset<std::string> rows;
  for (const auto& p : parts) {
    if (p.dataset != "reserved-prices") continue;
    for (const auto& line : lines_of(read_file(fs::path(dir) / "n1" / p.path))) {
      rows.insert(line.substr(0, line.size() - std::string(",\"snapshot_id\":\"n1\"}").size()) + "}");
    }
  }
  expect_same_rows(rows, stream_rows(fake, {"reserved-prices", "--regions", "all"}));
}

TEST(Snapshot, FlagsNoDatasetTakesAreRefused) {
  auto fake = small_world();
  const auto r = fake.pricepipe({"snapshot", "--datasets", "regions,availability-zones", "--out", temp_dir("refused"),
                                 "--instance-types", "m7g.*"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--instance-types: applies to none of the datasets regions, availability-zones"),
            std::string::npos)
      << r.err;
  const auto bad_id = fake.pricepipe({"snapshot", "--out", temp_dir("refused"), "--id", "../x"});
  EXPECT_EQ(bad_id.exit_code, 2) << bad_id.err;
  EXPECT_NE(bad_id.err.find("a snapshot id is letters"), std::string::npos) << bad_id.err;
}

}  // namespace
}  // namespace pricepipe::testing

namespace pricepipe::testing {
namespace {

// Replaces `from` with `to` (the same length) in an uncompressed part, and
// its hash in the manifest: only the rows' own check can see it.
void tamper(const fs::path& root, const std::string& dataset, const std::string& from, const std::string& to) {
  ASSERT_EQ(from.size(), to.size());
  for (const auto& p : parts_of(read_file(root / "manifest.json"))) {
    if (p.dataset != dataset) continue;
    std::string part = read_file(root / p.path);
    const auto at = part.find(from, part.find('\n') + 1);  // in the second row
    ASSERT_NE(at, std::string::npos);
    part.replace(at, from.size(), to);
    std::ofstream(root / p.path, std::ios::binary | std::ios::trunc) << part;
    std::string manifest = read_file(root / "manifest.json");
    manifest.replace(manifest.find(p.sha256), p.sha256.size(), sha256_hex(part));
    std::ofstream(root / "manifest.json", std::ios::binary | std::ios::trunc) << manifest;
    return;
  }
  FAIL() << "no part of " << dataset;
}

TEST(SnapshotVerify, ASoundSnapshotPassesAndEachDamageIsNamedWithItsCode) {
  auto fake = small_world();
  const std::string dir = temp_dir("verify");
  for (const char* id : {"z1", "n1"}) {
    const auto r = fake.pricepipe({"snapshot", "--out", dir, "--id", id, "--datasets", "instance-types,spot-prices",
                                   "--compression", id[0] == 'z' ? "zstd" : "none"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  for (const std::string& target : {dir + "/z1", dir + "/n1", dir}) {  // DIR alone: its latest (n1)
    const auto ok = fake.pricepipe({"snapshot", "verify", target});
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
    EXPECT_NE(ok.out.find(": complete; "), std::string::npos) << ok.out;
  }

  // A flipped byte: the hash.
  const fs::path z1 = fs::path(dir) / "z1";
  const auto first = parts_of(read_file(z1 / "manifest.json")).front();
  {
    std::fstream f(z1 / first.path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(first.bytes / 2));
    f.put('\x5a');
  }
  auto r = fake.pricepipe({"snapshot", "verify", z1.string()});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find((z1 / first.path).string() + ": its SHA-256 is not the manifest's"), std::string::npos) << r.err;

  // A value of the wrong type under a matching hash: the row's check, naming the line.
  const fs::path n1 = fs::path(dir) / "n1";
  tamper(n1, "instance-types", "\"current_generation\":true", "\"current_generation\":\"ue\"");
  r = fake.pricepipe({"snapshot", "verify", n1.string()});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find(".ndjson:2: 'current_generation' is not boolean"), std::string::npos) << r.err;

  // A file among the parts that the manifest does not list.
  const fs::path n2 = fs::path(dir) / "n2";
  ASSERT_EQ(fake.pricepipe({"snapshot", "--out", dir, "--id", "n2", "--datasets", "regions", "--compression", "none"})
                .exit_code,
            0);
  std::ofstream(n2 / "dataset=regions" / "region=eu-west-1" / "part-00099.ndjson") << "{}\n";
  r = fake.pricepipe({"snapshot", "verify", n2.string()});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find("part-00099.ndjson: a file among the parts that the manifest does not list"), std::string::npos)
      << r.err;

  // No manifest: incomplete, exit 7.
  fs::remove(n2 / "manifest.json");
  r = fake.pricepipe({"snapshot", "verify", n2.string()});
  EXPECT_EQ(r.exit_code, 7) << r.err;
  EXPECT_NE(r.err.find("is incomplete: it has no manifest"), std::string::npos) << r.err;
}

TEST(SnapshotVerify, LsAndPruneNeverTouchTheLatestOrAnIncompleteSnapshot) {
  auto fake = small_world();
  const std::string dir = temp_dir("prune");
  const std::vector<std::string> base = {"snapshot", "--out", dir, "--datasets", "availability-zones"};
  for (const char* id : {"s1", "s2", "s3"}) {
    auto args = base;
    args.insert(args.end(), {"--id", id});
    ASSERT_EQ(fake.pricepipe(args).exit_code, 0);
  }
  // A partial one (a failed region under --keep-going), and latest moved back to s2.
  const auto enabled = fake.parsed_world().enabled_regions;
  fake.set_faults(R"({"faults": [{"action": "DescribeAvailabilityZones", "region": ")" + enabled[1] +
                  R"(", "kind": "error", "status": 400, "code": "UnauthorizedOperation", "count": 50}]})");
  auto failing = base;
  failing.insert(failing.end(), {"--id", "s4", "--keep-going"});
  ASSERT_EQ(fake.pricepipe(failing).exit_code, 7);
  fake.clear_faults();
  fs::remove(fs::path(dir) / "latest");
  fs::create_directory_symlink("s2", fs::path(dir) / "latest");

  const auto ls = fake.pricepipe({"snapshot", "ls", dir});
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  const auto rows = lines_of(ls.out);
  ASSERT_EQ(rows.size(), 5u) << ls.out;
  EXPECT_EQ(rows[1].substr(0, 4), "  s1");
  EXPECT_EQ(rows[2].substr(0, 4), "* s2") << ls.out;
  EXPECT_NE(rows[4].find("s4"), std::string::npos);
  EXPECT_NE(rows[4].find("partial"), std::string::npos) << ls.out;

  const auto pruned = fake.pricepipe({"snapshot", "prune", dir, "--keep", "1"});
  ASSERT_EQ(pruned.exit_code, 0) << pruned.err;
  EXPECT_EQ(pruned.out, "removed s1\n");  // s2 is the latest, s3 the newest, s4 partial
  EXPECT_FALSE(fs::exists(fs::path(dir) / "s1"));
  for (const char* kept : {"s2", "s3", "s4"}) EXPECT_TRUE(fs::exists(fs::path(dir) / kept)) << kept;

  // --keep on the writer: once complete, only the newest two complete ones stay (s4 is partial).
  auto keep = base;
  keep.insert(keep.end(), {"--id", "s5", "--keep", "2"});
  ASSERT_EQ(fake.pricepipe(keep).exit_code, 0);
  EXPECT_FALSE(fs::exists(fs::path(dir) / "s2"));
  for (const char* kept : {"s3", "s4", "s5"}) EXPECT_TRUE(fs::exists(fs::path(dir) / kept)) << kept;
  EXPECT_EQ(fs::read_symlink(fs::path(dir) / "latest"), fs::path("s5"));
}

}  // namespace
}  // namespace pricepipe::testing

namespace pricepipe::testing {
namespace {

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// Stop a snapshot — SIGKILL or SIGTERM once `after` parts are closed, an
// outage then (fakeaws killed until the run gives up), or a disk that fills
// up — resume it, and compare with an uninterrupted snapshot over the same
// answers.
struct Stop {
  enum class Kind { signal, outage, full_disk } kind = Kind::signal;
  int signal = 0;
  std::size_t after = 0;  ///< parts listed in _progress.ndjson
};

// Bytes the files under `dir` take on a tmpfs (whole pages).
std::size_t disk_usage(const fs::path& dir) {
  std::size_t bytes = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) bytes += (entry.file_size() + 4095) / 4096 * 4096;
    if (entry.is_directory()) bytes += 4096;
  }
  return bytes;
}

class SnapshotResume : public ::testing::TestWithParam<Stop> {};

TEST_P(SnapshotResume, EndsWithTheUninterruptedPartsAndFetchesOnlyWhatWasMissing) {
  const Stop stop = GetParam();
  // Slow answers and two requests at a time, so that the stop lands mid-run.
  FakeAws fake({"--synthetic", "--synthetic-regions", "3", "--latency-ms", "15"});
  const auto window = fixed_spot_window();
  auto args = [&](const std::string& dir, const std::string& cache, std::vector<std::string> extra) {
    std::vector<std::string> a = {"--cache-dir", cache, "--max-concurrency", "2", "snapshot", "--out", dir};
    a.insert(a.end(), window.begin(), window.end());
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  const std::map<std::string, std::string> cache_on = {{"PRICEPIPE_NO_CACHE", ""}};
  const std::string whole = temp_dir("resume-whole"), cache = temp_dir("resume-cache");

  auto full = fake.pricepipe(args(whole, whole + "/cache", {"--id", "r1"}), cache_on);
  ASSERT_EQ(full.exit_code, 0) << full.err;
  const auto full_requests = fake.request_lines();
  fake.clear_requests();

  // A full disk: half of what the snapshot takes (the cache is elsewhere).
  std::optional<SmallDisk> disk;
  if (stop.kind == Stop::Kind::full_disk) {
    disk.emplace(disk_usage(fs::path(whole) / "r1") / 2);
    REQUIRE_SMALL_DISK(*disk);
  }
  const std::string stopped = disk ? disk->path() : temp_dir("resume-stopped");
  ProcessOptions first = fake.command(args(stopped, cache, {"--id", "r1", "--retry-deadline", "2"}), cache_on);
  bool stopped_it = false;
  std::vector<std::string> first_requests;
  const std::size_t logged_before = fake.logged_request_lines().size();
  first.watch = [&](pid_t pid, const std::string&) {
    if (stopped_it || stop.kind == Stop::Kind::full_disk) return;
    std::ifstream progress(fs::path(stopped) / "r1" / "_progress.ndjson");
    std::size_t lines = 0;
    for (std::string line; std::getline(progress, line);) ++lines;
    if (lines < stop.after) return;
    stopped_it = true;
    if (stop.kind == Stop::Kind::signal) {
      ::kill(pid, stop.signal);
    } else {
      fake.kill();
    }
  };
  const auto first_run = run_process(first);
  if (stop.kind == Stop::Kind::full_disk) {
    EXPECT_EQ(first_run.exit_code, 8) << first_run.err;
    EXPECT_NE(first_run.err.find("No space left on device"), std::string::npos) << first_run.err;
    ASSERT_TRUE(disk->grow(64 << 20));
  } else {
    ASSERT_TRUE(stopped_it) << "the run ended before " << stop.after << " parts: " << first_run.err;
    EXPECT_NE(first_run.exit_code, 0);
  }
  if (stop.kind == Stop::Kind::outage) {
    EXPECT_EQ(first_run.exit_code, 4) << first_run.err;  // unreachable until --retry-deadline
    // Everything answered up to the kill, from the server's log file (its
    // in-memory log goes with it, and reading that before the kill would
    // miss what it answered in between).
    const auto logged = fake.logged_request_lines();
    first_requests.assign(logged.begin() + static_cast<std::ptrdiff_t>(logged_before), logged.end());
    fake.restart();
  } else {
    // fakeaws logs a request as it answers: let the stopped run's last ones land in its log.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    first_requests = fake.request_lines();
  }
  EXPECT_FALSE(fs::exists(fs::path(stopped) / "r1" / "manifest.json"));
  fake.clear_requests();
  // The answers the stopped run stored (its catalog memos aside): one cache entry each.
  std::size_t stored = 0;
  for (const auto& line :
       lines_of(fake.pricepipe({"--cache-dir", cache, "cache", "ls", "--format", "json"}, cache_on).out)) {
    stored += line.find("\"dataset\":\"catalog-memo\"") == std::string::npos ? 1 : 0;
  }

  const auto resumed = fake.pricepipe(args(stopped, cache, {"--resume"}), cache_on);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("resuming"), std::string::npos) << resumed.err;
  const auto resumed_requests = fake.request_lines();

  // The same parts, byte for byte.
  const fs::path a = fs::path(whole) / "r1", b = fs::path(stopped) / "r1";
  const auto parts_a = parts_of(read_file(a / "manifest.json"));
  const auto parts_b = parts_of(read_file(b / "manifest.json"));
  ASSERT_EQ(parts_a.size(), parts_b.size());
  for (std::size_t i = 0; i < parts_a.size(); ++i) {
    EXPECT_EQ(parts_a[i].path, parts_b[i].path);
    EXPECT_EQ(parts_a[i].sha256, parts_b[i].sha256) << parts_a[i].path;
    EXPECT_EQ(read_file(a / parts_a[i].path), read_file(b / parts_b[i].path)) << parts_a[i].path;
  }
  EXPECT_EQ(fake.pricepipe({"snapshot", "verify", b.string()}).exit_code, 0);

  // Only what was missing was fetched again: the two runs together asked
  // what one run asks; the resumed run asked nothing the stopped one had
  // stored, and asked again only what it had asked without storing (in
  // flight, or answered but not yet written, when it stopped).
  auto distinct = [](std::vector<std::string> v) {
    v = sorted(std::move(v));
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  };
  const auto s1 = distinct(first_requests), s2 = distinct(resumed_requests), full_set = distinct(full_requests);
  std::vector<std::string> both, together;
  std::set_intersection(s1.begin(), s1.end(), s2.begin(), s2.end(), std::back_inserter(both));
  std::set_union(s1.begin(), s1.end(), s2.begin(), s2.end(), std::back_inserter(together));
  EXPECT_EQ(together, full_set);
  ASSERT_LE(stored, s1.size());
  EXPECT_LE(both.size(), s1.size() - stored) << "asked again: " << (both.empty() ? "" : both.front());
  EXPECT_LE(s2.size(), full_set.size() - stored);
  EXPECT_GT(stored, 0u);
  for (const auto& [name, log] : std::vector<std::pair<std::string, const std::vector<std::string>*>>{
           {"uninterrupted", &full_requests}, {"stopped", &first_requests}, {"resumed", &resumed_requests}}) {
    auto v = sorted(*log);
    for (std::size_t i = 1; i < v.size(); ++i) {
      if (v[i] == v[i - 1]) ADD_FAILURE() << "asked twice in the " << name << " run: " << v[i].substr(0, 300);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Stops, SnapshotResume,
                         ::testing::Values(Stop{Stop::Kind::signal, SIGKILL, 1}, Stop{Stop::Kind::signal, SIGKILL, 8},
                                           Stop{Stop::Kind::signal, SIGKILL, 20}, Stop{Stop::Kind::signal, SIGTERM, 8},
                                           Stop{Stop::Kind::outage, 0, 8}, Stop{Stop::Kind::full_disk, 0, 0}),
                         [](const auto& stop_info) {
                           const Stop& stop = stop_info.param;
                           if (stop.kind == Stop::Kind::full_disk) return std::string("full_disk");
                           const std::string how = stop.kind == Stop::Kind::outage ? "outage"
                                                   : stop.signal == SIGKILL        ? "kill"
                                                                                   : "term";
                           return how + "_after_" + std::to_string(stop.after) + "_parts";
                         });

TEST(SnapshotResume, ACompleteSnapshotIsNeverWrittenOverAndOptionsMustMatch) {
  auto fake = small_world();
  const std::string dir = temp_dir("resume-refused");
  ASSERT_EQ(fake.pricepipe({"snapshot", "--out", dir, "--id", "c1", "--datasets", "regions"}).exit_code, 0);
  auto r = fake.pricepipe({"snapshot", "--out", dir, "--id", "c1", "--datasets", "regions"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("is complete already"), std::string::npos) << r.err;
  r = fake.pricepipe({"snapshot", "--out", dir, "--resume", "--datasets", "regions"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--resume: there is no incomplete snapshot in " + dir), std::string::npos) << r.err;

  // Begun with zstd: resumed with gzip is refused.
  fs::create_directories(fs::path(dir) / "i1");
  std::ofstream(fs::path(dir) / "i1" / "_snapshot.json")
      << R"({"snapshot_id":"i1","started_at":"2026-12-01T06:00:00Z","compression":"zstd","part_bytes":134217728,"level":3})"
      << "\n";
  r = fake.pricepipe({"snapshot", "--out", dir, "--resume", "--datasets", "regions", "--compression", "gzip"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("was begun with compression zstd, not gzip"), std::string::npos) << r.err;
  r = fake.pricepipe({"snapshot", "--out", dir, "--resume", "--datasets", "regions"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(read_file(fs::path(dir) / "i1" / "manifest.json").find(R"("started_at":"2026-12-01T06:00:00Z")"),
            std::string::npos);
}

}  // namespace
}  // namespace pricepipe::testing
