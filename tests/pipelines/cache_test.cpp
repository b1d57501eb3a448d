// The cache end to end: the real binary against fakeaws, whose request log
// shows what went to the network. Reruns, damaged blobs, processes sharing a
// directory, an unwritable cache, TTLs, negative answers, --offline.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/support/fakeaws.h"
#include "tests/support/process.h"

namespace pricepipe::testing {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "pricepipe-cache-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string str() const { return path_.string(); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

const std::vector<std::string> kCatalog = {"stream", "catalog", "--regions", "eu-west-1,us-east-1", "--instance-types",
                                           "m5*,t4g.*,u-3tb1.*"};

ProcessResult pricepipe(FakeAws& fake, const std::string& cache_dir, std::vector<std::string> args,
                        std::map<std::string, std::string> env = {}) {
  ProcessOptions p;
  p.argv = {pricepipe_binary(), "--cache-dir", cache_dir};
  p.argv.insert(p.argv.end(), args.begin(), args.end());
  p.env = fake.client_env();
  p.env["PRICEPIPE_NO_CACHE"] = "";  // these tests are about the cache
  p.env["PRICEPIPE_PRICE_LIST_URL"] = fake.url();
  p.env["PRICEPIPE_SPOT_ADVISOR_URL"] = fake.url() + "/spot-advisor-data.json";
  for (auto& [k, v] : env) p.env[k] = v;
  p.timeout = std::chrono::seconds(300);
  return run_process(p);
}

// Requests fakeaws answered, by action.
std::map<std::string, int> requests_by_action(FakeAws& fake) {
  simdjson::dom::parser parser;
  const std::string log = fake.requests();
  std::map<std::string, int> out;
  for (simdjson::dom::element r : parser.parse(log).get_array()) ++out[std::string(r["action"].get_string().value())];
  return out;
}

int total(const std::map<std::string, int>& by_action) {
  int n = 0;
  for (const auto& [a, k] : by_action) n += k;
  return n;
}

std::vector<fs::path> blobs_under(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir / "v1" / "blobs")) {
    if (e.is_regular_file()) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end(), [](const fs::path& a, const fs::path& b) { return fs::file_size(a) > fs::file_size(b); });
  return out;
}

FakeAws small_world() { return FakeAws({"--synthetic", "--synthetic-regions", "3"}); }

TEST(Cache, ASecondRunMakesNoRequestsAndTheSameBytes) {
  FakeAws fake = small_world();
  TempDir cache;
  const auto cold = pricepipe(fake, cache.str(), kCatalog);
  ASSERT_EQ(cold.exit_code, 0) << cold.err;
  const auto after_cold = requests_by_action(fake);
  EXPECT_GT(after_cold.at("GetOfferFile"), 0);
  EXPECT_GT(after_cold.at("DescribeSpotPriceHistory"), 0);
  EXPECT_GT(after_cold.at("GetSpotAdvisorData"), 0);

  fake.clear_requests();
  const auto warm = pricepipe(fake, cache.str(), kCatalog);
  ASSERT_EQ(warm.exit_code, 0) << warm.err;
  EXPECT_EQ(total(requests_by_action(fake)), 0) << "the warm run went to the network";
  EXPECT_EQ(warm.out, cold.out);
  EXPECT_NE(warm.err.find("(100% cached"), std::string::npos) << warm.err;
}

TEST(Cache, StreamedDatasetsRerunToTheSameBytesRegionByRegion) {
  FakeAws fake = small_world();
  const World world = fake.parsed_world();
  for (const char* dataset : {"instance-types", "instance-type-offerings", "spot-prices"}) {
    SCOPED_TRACE(dataset);
    TempDir cache;
    const std::vector<std::string> run = {"stream", dataset, "--regions", "all"};
    fake.clear_requests();
    const auto cold = pricepipe(fake, cache.str(), run);
    ASSERT_EQ(cold.exit_code, 0) << cold.err;
    fake.clear_requests();
    const auto warm = pricepipe(fake, cache.str(), run);
    ASSERT_EQ(warm.exit_code, 0) << warm.err;
    EXPECT_EQ(total(requests_by_action(fake)), 0);
    EXPECT_EQ(warm.out, cold.out);
    // The same bytes whatever the concurrency, with no cache at all.
    std::vector<std::string> tight = {"--no-cache", "--max-pages-in-flight", "1"};
    tight.insert(tight.end(), run.begin(), run.end());
    EXPECT_EQ(pricepipe(fake, cache.str(), tight).out, cold.out);
    // Regions one after another, in order.
    std::vector<std::string> seen;
    for (std::size_t at = 0; at < cold.out.size();) {
      const auto end = cold.out.find('\n', at);
      const auto r = cold.out.find("\"region\":\"", at) + 10;
      const std::string region = cold.out.substr(r, cold.out.find('"', r) - r);
      if (seen.empty() || seen.back() != region) seen.push_back(region);
      at = end + 1;
    }
    EXPECT_EQ(seen, world.enabled_regions);
  }
}

TEST(Cache, ASlowFirstRegionHoldsTheOthersBackInOrder) {
  FakeAws fake = small_world();
  const World world = fake.parsed_world();
  TempDir none;
  const std::vector<std::string> run = {"--no-cache", "--max-pages-in-flight", "4", "stream", "instance-types",
                                        "--regions", "all"};
  const auto normal = pricepipe(fake, none.str(), run);
  ASSERT_EQ(normal.exit_code, 0) << normal.err;
  // Every page of the first region arrives late: the others finish first,
  // wait (past two pages, in a file, with their credits back) and follow it.
  fake.set_faults(R"({"faults":[{"action":"DescribeInstanceTypes","region":")" + world.enabled_regions.front() +
                  R"(","kind":"latency","latency_ms":400,"count":100}]})");
  const auto slow = pricepipe(fake, none.str(), run);
  ASSERT_EQ(slow.exit_code, 0) << slow.err;
  EXPECT_EQ(slow.out, normal.out);
}

TEST(Cache, ARegionsMemoHoldsOnlyWhileItsInputsAreUnchanged) {
  FakeAws fake = small_world();
  TempDir cache;
  const auto cold = pricepipe(fake, cache.str(), kCatalog);
  ASSERT_EQ(cold.exit_code, 0) << cold.err;
  const auto memos = pricepipe(fake, cache.str(), {"cache", "ls", "--dataset", "catalog-memo"});
  EXPECT_EQ(std::count(memos.out.begin(), memos.out.end(), '\n'), 2) << memos.out;

  // One region's spot answers are gone: that region is joined again from
  // its inputs (only its spot pages are fetched), the other comes from its memo.
  ASSERT_EQ(pricepipe(fake, cache.str(), {"cache", "clear", "--region", "eu-west-1", "--dataset", "spot"}).exit_code, 0);
  fake.clear_requests();
  const auto again = pricepipe(fake, cache.str(), kCatalog);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, cold.out);
  const auto requests = requests_by_action(fake);
  EXPECT_EQ(total(requests), requests.count("DescribeSpotPriceHistory") ? requests.at("DescribeSpotPriceHistory") : -1)
      << "only the cleared spot pages went out";
  simdjson::dom::parser parser;
  const std::string log = fake.requests();
  for (simdjson::dom::element r : parser.parse(log).get_array()) {
    EXPECT_EQ(r["region"].get_string().value(), "eu-west-1");
  }

  // Other options, other rows: a memo never answers for a different window.
  fake.clear_requests();
  std::vector<std::string> windowed = kCatalog;
  windowed.insert(windowed.end(), {"--since", "2026-11-20T00:00:00Z", "--until", "2026-11-21T00:00:00Z"});
  const auto other = pricepipe(fake, cache.str(), windowed);
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_NE(other.out, cold.out);
  EXPECT_GT(requests_by_action(fake).at("DescribeSpotPriceHistory"), 0);
}

TEST(Cache, SecretsNeverReachTheCache) {
  FakeAws fake = small_world();
  TempDir cache;
  ASSERT_EQ(pricepipe(fake, cache.str(), kCatalog).exit_code, 0);
  for (const auto& e : fs::recursive_directory_iterator(cache.path())) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find(FakeAws::kSecretKey), std::string::npos) << e.path();
    EXPECT_EQ(bytes.find(FakeAws::kAccessKey), std::string::npos) << e.path();
    EXPECT_EQ(bytes.find("Signature="), std::string::npos) << e.path();
  }
}

TEST(Cache, DamagedBlobsAreDroppedRefetchedAndNeverServed) {
  FakeAws fake = small_world();
  TempDir cache;
  const auto cold = pricepipe(fake, cache.str(), kCatalog);
  ASSERT_EQ(cold.exit_code, 0) << cold.err;
  // Without the regions' memos the next run reads every input again.
  ASSERT_EQ(pricepipe(fake, cache.str(), {"cache", "clear", "--dataset", "catalog-memo"}).exit_code, 0);
  // The largest blob is an offer file: cut it; flip bytes in the middle of a page's blob.
  const auto blobs = blobs_under(cache.path());
  ASSERT_GT(blobs.size(), 4u);
  fs::resize_file(blobs[0], fs::file_size(blobs[0]) / 2);
  {
    std::fstream f(blobs[3], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(blobs[3]) / 2));
    f.write("\xde\xad\xbe\xef", 4);
  }
  fake.clear_requests();
  const auto warm = pricepipe(fake, cache.str(), kCatalog);
  ASSERT_EQ(warm.exit_code, 0) << warm.err;
  EXPECT_EQ(warm.out, cold.out) << "a damaged copy must never reach the output";
  EXPECT_NE(warm.err.find("corrupt or truncated"), std::string::npos) << warm.err;
  const int refetched = total(requests_by_action(fake));
  EXPECT_GE(refetched, 2);
  EXPECT_LE(refetched, 4) << "only what was damaged is fetched again";

  const auto verify = pricepipe(fake, cache.str(), {"cache", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST(Cache, CacheVerifyReportsAndDropsCorruptBlobs) {
  FakeAws fake = small_world();
  TempDir cache;
  ASSERT_EQ(pricepipe(fake, cache.str(), {"stream", "regions"}).exit_code, 0);
  const auto blobs = blobs_under(cache.path());
  ASSERT_EQ(blobs.size(), 2u) << "DescribeRegions' answer and the account id";
  for (const auto& blob : blobs) fs::resize_file(blob, fs::file_size(blob) - 3);
  const auto verify = pricepipe(fake, cache.str(), {"cache", "verify"});
  EXPECT_EQ(verify.exit_code, 6) << verify.err;
  EXPECT_NE(verify.out.find("corrupt "), std::string::npos) << verify.out;
  const auto stats = pricepipe(fake, cache.str(), {"cache", "stats"});
  EXPECT_NE(stats.out.find("entries        0"), std::string::npos) << stats.out;
}

TEST(Cache, ProcessesSharingADirectoryNeverCorruptIt) {
  FakeAws fake = small_world();
  TempDir cache;
  std::vector<ProcessResult> results(4);
  std::vector<std::thread> threads;
  for (auto& r : results) {
    threads.emplace_back([&] { r = pricepipe(fake, cache.str(), kCatalog); });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) {
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, results[0].out);
  }
  const auto verify = pricepipe(fake, cache.str(), {"cache", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_TRUE(fs::is_empty(cache.path() / "v1" / "tmp")) << "no half-written file left behind";
  fake.clear_requests();
  const auto after = pricepipe(fake, cache.str(), kCatalog);
  EXPECT_EQ(after.out, results[0].out);
  EXPECT_EQ(total(requests_by_action(fake)), 0);
}

TEST(Cache, AnUnwritableCacheOnlyWarns) {
  FakeAws fake = small_world();
  TempDir dir;
  std::ofstream(dir.path() / "file") << "not a directory";
  const auto uncached = pricepipe(fake, (dir.path() / "file" / "cache").string(), kCatalog);
  ASSERT_EQ(uncached.exit_code, 0) << uncached.err;
  EXPECT_NE(uncached.err.find("running without a cache"), std::string::npos) << uncached.err;

  // A cache whose files cannot be written any more: reads work, writes are skipped.
  TempDir cache;
  ASSERT_EQ(pricepipe(fake, cache.str(), {"stream", "regions"}).exit_code, 0);
  fs::remove_all(cache.path() / "v1" / "tmp");
  std::ofstream(cache.path() / "v1" / "tmp") << "in the way";
  const auto partly = pricepipe(fake, cache.str(), kCatalog);
  ASSERT_EQ(partly.exit_code, 0) << partly.err;
  EXPECT_NE(partly.err.find("going on without writing the cache"), std::string::npos) << partly.err;
  EXPECT_EQ(partly.out, uncached.out);
}

TEST(Cache, EntriesExpireByTheirDatasetsTtl) {
  FakeAws fake = small_world();
  TempDir cache;
  const std::vector<std::string> run = {"stream", "instance-types", "--regions", "eu-west-1", "--cache-ttl-instance-types", "1s"};
  ASSERT_EQ(pricepipe(fake, cache.str(), run).exit_code, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  fake.clear_requests();
  const auto again = pricepipe(fake, cache.str(), run);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const auto requests = requests_by_action(fake);
  EXPECT_GT(requests.count("DescribeInstanceTypes") ? requests.at("DescribeInstanceTypes") : 0, 0) << "expired: fetched again";

  // The same wait is nothing for a 24h TTL.
  const std::vector<std::string> day = {"stream", "instance-type-offerings", "--regions", "eu-west-1"};
  ASSERT_EQ(pricepipe(fake, cache.str(), day).exit_code, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  fake.clear_requests();
  ASSERT_EQ(pricepipe(fake, cache.str(), day).exit_code, 0);
  EXPECT_EQ(total(requests_by_action(fake)), 0);
}

// A run killed inside a chain leaves its first pages cached and not the
// rest. The spot window follows the clock ("now"), so the rerun's window is a
// later one; the pages still to fetch must ask with the window their token was
// given for (fakeaws, like EC2, refuses a token for other parameters), and the
// output is the first run's.
TEST(Cache, AChainContinuedFromCachedPagesAsksWithTheirWindow) {
  FakeAws fake;
  TempDir cache;
  const std::vector<std::string> run = {"stream", "spot-prices", "--regions", "us-east-1"};
  const auto cold = pricepipe(fake, cache.str(), run);
  ASSERT_EQ(cold.exit_code, 0) << cold.err;
  simdjson::dom::parser parser;
  std::string first_start;
  int pages = 0;
  for (simdjson::dom::element r : parser.parse(fake.requests()).get_array()) {
    if (r["action"].get_string().value() != "DescribeSpotPriceHistory") continue;
    ++pages;
    if (r["params"]["NextToken"].error()) first_start = std::string(r["params"]["StartTime"].get_string().value());
  }
  ASSERT_GE(pages, 3) << "the test needs a chain of several pages";
  ASSERT_FALSE(first_start.empty());
  // Keep the chain's first page only.
  int dropped = 0;
  for (const auto& e : fs::recursive_directory_iterator(cache.path() / "v1" / "entries")) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.find("NextToken=") == std::string::npos) continue;
    fs::remove(e.path());
    ++dropped;
  }
  ASSERT_EQ(dropped, pages - 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // "now" moves on
  fake.clear_requests();
  const auto rerun = pricepipe(fake, cache.str(), run);
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  EXPECT_EQ(rerun.out, cold.out);
  int continued = 0;
  for (simdjson::dom::element r : parser.parse(fake.requests()).get_array()) {
    if (r["action"].get_string().value() != "DescribeSpotPriceHistory") continue;
    ++continued;
    EXPECT_FALSE(r["params"]["NextToken"].error()) << "the cached first page was asked for again";
    EXPECT_EQ(std::string(r["params"]["StartTime"].get_string().value()), first_start);
  }
  EXPECT_EQ(continued, pages - 1);
}

TEST(Cache, NotFoundAndEmptyAnswersAreKeptBriefly) {
  FakeAws fake = small_world();
  TempDir cache;
  // A Price List that is not there: 404 for its index.
  const std::vector<std::string> missing = {"stream", "on-demand-prices", "--regions", "eu-west-1", "--price-source",
                                            "bulk", "--price-list-url", fake.url() + "/offers/nowhere"};
  const auto first = pricepipe(fake, cache.str(), missing);
  EXPECT_EQ(first.exit_code, 5) << first.err;
  EXPECT_EQ(total(requests_by_action(fake)), 1);
  fake.clear_requests();
  const auto second = pricepipe(fake, cache.str(), missing);
  EXPECT_EQ(second.exit_code, 5) << second.err;
  EXPECT_EQ(total(requests_by_action(fake)), 0) << "the failing lookup was not repeated";
  EXPECT_NE(second.err.find("HTTP 404"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("/offers/nowhere/offers/v1.0/aws/index.json"), std::string::npos) << second.err;

  // An empty answer: no spot history for a type sold without spot.
  ASSERT_EQ(pricepipe(fake, cache.str(), {"stream", "spot-prices", "--regions", "eu-west-1", "--instance-types",
                                          "u-3tb1.56xlarge"})
                .exit_code,
            0);
  const auto ls = pricepipe(fake, cache.str(), {"cache", "ls", "--format", "json", "--dataset", "spot"});
  simdjson::dom::parser parser;
  std::size_t negatives = 0;
  for (std::size_t at = 0; at < ls.out.size();) {
    const auto end = ls.out.find('\n', at);
    simdjson::dom::element e = parser.parse(ls.out.substr(at, end - at));
    at = end + 1;
    if (!e["negative"].get_bool().value()) continue;
    ++negatives;
    EXPECT_EQ(e["status"].get_int64().value(), 200);
  }
  EXPECT_EQ(negatives, 1u) << ls.out;
  const auto all = pricepipe(fake, cache.str(), {"cache", "ls", "--format", "json", "--dataset", "price-list-index"});
  EXPECT_NE(all.out.find("\"status\":404,\"negative\":true"), std::string::npos) << all.out;
  simdjson::dom::element entry = parser.parse(all.out.substr(0, all.out.find('\n')));
  EXPECT_NE(std::string(entry["expires_at"].get_string().value()), "") << "negative entries expire (10 minutes by default)";
}

TEST(Cache, OfflineServesWhatIsCachedAndNamesWhatIsNot) {
  FakeAws fake = small_world();
  TempDir cache;
  const auto none = pricepipe(fake, cache.str(), {"--offline", "stream", "instance-types", "--regions", "eu-west-1"});
  EXPECT_EQ(none.exit_code, 4) << none.err;
  EXPECT_NE(none.err.find("not in the cache (--offline)"), std::string::npos) << none.err;
  EXPECT_NE(none.err.find("DescribeInstanceTypes"), std::string::npos) << none.err;
  EXPECT_NE(none.err.find("eu-west-1"), std::string::npos) << none.err;
  EXPECT_EQ(total(requests_by_action(fake)), 0);

  const std::vector<std::string> run = {"stream", "instance-types", "--regions", "eu-west-1", "--cache-ttl-instance-types", "1s"};
  const auto online = pricepipe(fake, cache.str(), run);
  ASSERT_EQ(online.exit_code, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));  // expired: --offline still serves it
  fake.clear_requests();
  std::vector<std::string> offline = {"--offline"};
  offline.insert(offline.end(), run.begin(), run.end());
  // Offline sends nothing, so it needs no credentials either.
  const auto served = pricepipe(fake, cache.str(), offline, {{"AWS_ACCESS_KEY_ID", ""}, {"AWS_SECRET_ACCESS_KEY", ""}});
  ASSERT_EQ(served.exit_code, 0) << served.err;
  EXPECT_EQ(served.out, online.out);
  EXPECT_EQ(total(requests_by_action(fake)), 0);
}

TEST(Cache, RefreshFetchesAgainAndNoCacheLeavesItAlone) {
  FakeAws fake = small_world();
  TempDir cache;
  const std::vector<std::string> run = {"stream", "instance-types", "--regions", "eu-west-1"};
  const auto first = pricepipe(fake, cache.str(), run);
  fake.clear_requests();
  std::vector<std::string> refresh = {"--refresh"};
  refresh.insert(refresh.end(), run.begin(), run.end());
  const auto refreshed = pricepipe(fake, cache.str(), refresh);
  ASSERT_EQ(refreshed.exit_code, 0);
  EXPECT_EQ(refreshed.out, first.out);
  EXPECT_GT(total(requests_by_action(fake)), 0);

  TempDir untouched;
  std::vector<std::string> no_cache = {"--no-cache"};
  no_cache.insert(no_cache.end(), run.begin(), run.end());
  ASSERT_EQ(pricepipe(fake, untouched.str(), no_cache).exit_code, 0);
  EXPECT_TRUE(fs::is_empty(untouched.path()));
}

TEST(Cache, ClearNarrowsByRegionDatasetAndAgeAndTheCapEvicts) {
  FakeAws fake = small_world();
  TempDir cache;
  ASSERT_EQ(pricepipe(fake, cache.str(), kCatalog).exit_code, 0);
  auto count = [&](std::vector<std::string> filter) {
    std::vector<std::string> args = {"cache", "ls"};
    args.insert(args.end(), filter.begin(), filter.end());
    const auto r = pricepipe(fake, cache.str(), args);
    return std::count(r.out.begin(), r.out.end(), '\n');
  };
  const auto all = count({});
  const auto spot_eu = count({"--region", "eu-west-1", "--dataset", "spot"});
  ASSERT_GT(spot_eu, 0);
  ASSERT_EQ(pricepipe(fake, cache.str(), {"cache", "clear", "--older-than", "1h"}).exit_code, 0);
  EXPECT_EQ(count({}), all) << "nothing is an hour old";
  ASSERT_EQ(pricepipe(fake, cache.str(), {"cache", "clear", "--region", "eu-west-1", "--dataset", "spot"}).exit_code, 0);
  EXPECT_EQ(count({}), all - spot_eu);
  EXPECT_EQ(count({"--dataset", "spot", "--region", "eu-west-1"}), 0);

  const auto gc = pricepipe(fake, cache.str(), {"--cache-max-size", "64K", "cache", "gc"});
  ASSERT_EQ(gc.exit_code, 0) << gc.err;
  EXPECT_LT(count({}), all - spot_eu);
  std::uint64_t bytes = 0;
  for (const auto& blob : blobs_under(cache.path())) bytes += fs::file_size(blob);
  EXPECT_LE(bytes, 64u * 1024) << "evicted down to the cap";
}

}  // namespace
}  // namespace pricepipe::testing
