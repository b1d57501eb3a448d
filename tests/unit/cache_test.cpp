// The cache store and request keys: content addressing, verification on
// read, the memory tier, eviction, and what a key is made of.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "cache/store.h"
#include "net/request_cache.h"

namespace pricepipe {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "pricepipe-cache-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string random_text(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, ' ');
  for (auto& c : s) c = static_cast<char>('a' + rng() % 26);
  return s;
}

std::unique_ptr<cache::Store> open_store(const fs::path& dir, std::uint64_t max_bytes = 1ull << 30,
                                         std::uint64_t memory = 64 << 20) {
  cache::StoreOptions o;
  o.dir = dir;
  o.max_bytes = max_bytes;
  o.memory_bytes = memory;
  return cache::Store::open(o);
}

cache::EntryMeta meta(const std::string& region = "eu-west-1", const std::string& cls = "instance-types") {
  cache::EntryMeta m;
  m.service = "ec2";
  m.region = region;
  m.action = "DescribeInstanceTypes";
  m.dataset = cls;
  return m;
}

std::vector<fs::path> files_under(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out.push_back(e.path());
  }
  return out;
}

TEST(CacheStore, StoresOnceByContentAndReadsBackVerified) {
  TempDir dir;
  const std::string body = random_text(3 << 20, 1);  // several frames
  {
    auto store = open_store(dir.path());
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->put("k1", meta(), std::chrono::hours(1), body));
    ASSERT_TRUE(store->put("k2", meta("us-east-1"), std::chrono::hours(1), body));
  }
  auto store = open_store(dir.path(), 1ull << 30, 0);  // no memory tier: from disk
  const auto hit = store->get("k1", false);
  ASSERT_TRUE(hit);
  EXPECT_EQ(*hit->body, body);
  EXPECT_EQ(hit->entry.blob, cache::sha256_hex(body));
  EXPECT_EQ(hit->entry.meta.region, "eu-west-1");
  const cache::Stats stats = store->stats();
  EXPECT_EQ(stats.entries, 2u);
  EXPECT_EQ(stats.blobs, 1u) << "identical bodies are stored once";
  EXPECT_FALSE(store->get("k3", false));

  // Private: directories 0700, files 0600.
  struct stat st {};
  ASSERT_EQ(::stat(dir.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  for (const auto& f : files_under(dir.path())) {
    ASSERT_EQ(::stat(f.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0077, 0u) << f;
  }
}

TEST(CacheStore, ExpiredEntriesAreMissesExceptOffline) {
  TempDir dir;
  auto store = open_store(dir.path(), 1ull << 30, 0);
  ASSERT_TRUE(store->put("k", meta(), std::chrono::seconds(1), "body"));
  EXPECT_TRUE(store->get("k", false));
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_FALSE(store->get("k", false));
  EXPECT_TRUE(store->get("k", true)) << "--offline serves expired entries";
  EXPECT_EQ(store->stats().expired, 1u);
}

TEST(CacheStore, ACorruptBlobIsDroppedNeverServed) {
  TempDir dir;
  const std::string body = random_text(200000, 2);
  {
    auto store = open_store(dir.path());
    ASSERT_TRUE(store->put("k", meta(), std::chrono::hours(1), body));
  }
  const fs::path blob = dir.path() / "v1" / "blobs" / cache::sha256_hex(body).substr(0, 2) / cache::sha256_hex(body);
  ASSERT_TRUE(fs::exists(blob));
  {
    std::fstream f(blob, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(blob) / 2));
    f.put('\x5a').put('\x5a').put('\x5a');
  }
  auto store = open_store(dir.path(), 1ull << 30, 0);
  EXPECT_FALSE(store->get("k", false));
  EXPECT_FALSE(fs::exists(blob)) << "the damaged blob is gone";
  EXPECT_EQ(store->stats().entries, 0u);
}

TEST(CacheStore, AStreamedBlobCutShortDeliversOnlyVerifiedBytes) {
  TempDir dir;
  const std::string body = random_text(5 << 20, 3);
  auto store = open_store(dir.path());
  auto writer = store->begin_blob();
  ASSERT_TRUE(writer);
  for (std::size_t at = 0; at < body.size(); at += 300000) writer->append(std::string_view(body).substr(at, 300000));
  ASSERT_TRUE(writer->commit("file", meta("", "price-list-file"), std::chrono::seconds(0)));

  std::string got;
  auto whole = store->stream("file", false, [&](std::string_view b) -> Result<void> {
    got.append(b);
    return {};
  });
  ASSERT_TRUE(whole);
  EXPECT_FALSE(whole->corrupt);
  EXPECT_EQ(got, body);

  // Cut the blob in the middle of its third frame.
  const fs::path blob = dir.path() / "v1" / "blobs" / cache::sha256_hex(body).substr(0, 2) / cache::sha256_hex(body);
  fs::resize_file(blob, fs::file_size(blob) * 5 / 10);
  got.clear();
  auto cut = store->stream("file", false, [&](std::string_view b) -> Result<void> {
    got.append(b);
    return {};
  });
  ASSERT_TRUE(cut);
  EXPECT_TRUE(cut->corrupt);
  EXPECT_EQ(cut->delivered, got.size());
  EXPECT_EQ(got.size() % (1 << 20), 0u) << "only whole verified frames are handed on";
  EXPECT_EQ(got, body.substr(0, got.size()));
  EXPECT_FALSE(store->find("file", true)) << "the entry is dropped";
}

TEST(CacheStore, MemoryTierServesWithoutTheDisk) {
  TempDir dir;
  auto store = open_store(dir.path());
  ASSERT_TRUE(store->put("k", meta(), std::chrono::hours(1), "in memory"));
  fs::remove_all(dir.path() / "v1" / "blobs");
  const auto hit = store->get("k", false);
  ASSERT_TRUE(hit);
  EXPECT_EQ(*hit->body, "in memory");
}

TEST(CacheStore, TrimEvictsLeastRecentlyUsedFirst) {
  TempDir dir;
  auto store = open_store(dir.path(), 150000, 0);
  // Random letters compress to ~60%: three bodies of 100 KB do not fit 150 KB, two do.
  for (const char* key : {"old", "used", "new"}) {
    ASSERT_TRUE(store->put(key, meta(), std::chrono::hours(1), random_text(100000, key[0])));
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // distinct last-use seconds
  }
  ASSERT_TRUE(store->get("old", false));  // now the most recently used
  EXPECT_EQ(store->trim(), 1u);
  EXPECT_TRUE(store->find("old", false));
  EXPECT_FALSE(store->find("used", false)) << "the least recently used entry goes";
  EXPECT_TRUE(store->find("new", false));
  EXPECT_LE(store->stats().blob_bytes, 150000u);
}

TEST(CacheStore, RemoveIfDropsEntriesAndTheirUnsharedBlobs) {
  TempDir dir;
  auto store = open_store(dir.path());
  ASSERT_TRUE(store->put("a", meta("eu-west-1", "spot"), std::chrono::hours(1), "shared"));
  ASSERT_TRUE(store->put("b", meta("us-east-1", "spot"), std::chrono::hours(1), "shared"));
  ASSERT_TRUE(store->put("c", meta("eu-west-1", "regions"), std::chrono::hours(1), "alone"));
  EXPECT_EQ(store->remove_if([](const cache::Entry& e) { return e.meta.region == "eu-west-1"; }), 2u);
  const auto stats = store->stats();
  EXPECT_EQ(stats.entries, 1u);
  EXPECT_EQ(stats.blobs, 1u) << "the blob b still uses stays; c's goes";
  EXPECT_TRUE(store->get("b", false));
}

// A writer renames its blob into place before it writes the entry; between
// the two, maintenance in another process sees a blob nobody refers to.
TEST(CacheStore, MaintenanceNeverSweepsAWritersNewBlob) {
  TempDir dir;
  auto store = open_store(dir.path(), 1ull << 30, 0);
  ASSERT_TRUE(store->put("old", meta(), std::chrono::hours(1), "a body a writer is storing again"));
  ASSERT_TRUE(store->put("other", meta(), std::chrono::hours(1), "another body"));
  const auto blob_of = [&](const std::string& body) {
    const std::string hash = cache::sha256_hex(body);
    return dir.path() / "v1" / "blobs" / hash.substr(0, 2) / hash;
  };
  // A writer's blob with its entry not yet written: young, so it stays.
  const fs::path fresh = blob_of("a writer's new body");
  fs::create_directories(fresh.parent_path());
  std::ofstream(fresh) << "frames";
  // A crashed writer's blob from long ago: it goes.
  const fs::path stale = blob_of("an orphan");
  fs::create_directories(stale.parent_path());
  std::ofstream(stale) << "frames";
  fs::last_write_time(stale, fs::file_time_type::clock::now() - std::chrono::minutes(11));
  // The removed entry's blob, renewed by a writer storing the same body since: it stays.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  fs::last_write_time(blob_of("a body a writer is storing again"), fs::file_time_type::clock::now());

  EXPECT_EQ(store->remove_if([](const cache::Entry& e) { return e.key == "old" || e.key == "other"; }), 2u);
  EXPECT_TRUE(fs::exists(fresh)) << "a blob whose entry is on its way";
  EXPECT_FALSE(fs::exists(stale)) << "an orphan past the grace";
  EXPECT_TRUE(fs::exists(blob_of("a body a writer is storing again"))) << "renewed after its entry's last use";
  EXPECT_FALSE(fs::exists(blob_of("another body"))) << "a removed entry's own blob goes at once";
}

TEST(CacheStore, VerifyFindsAndDropsDamagedBlobs) {
  TempDir dir;
  auto store = open_store(dir.path(), 1ull << 30, 0);
  ASSERT_TRUE(store->put("good", meta(), std::chrono::hours(1), random_text(50000, 5)));
  const std::string bad_body = random_text(50000, 6);
  ASSERT_TRUE(store->put("bad", meta(), std::chrono::hours(1), bad_body));
  const fs::path blob = dir.path() / "v1" / "blobs" / cache::sha256_hex(bad_body).substr(0, 2) / cache::sha256_hex(bad_body);
  fs::resize_file(blob, 100);
  EXPECT_EQ(store->verify(), std::vector<std::string>{"bad"});
  EXPECT_TRUE(store->get("good", false));
}

TEST(CacheStore, AnUnusableDirectoryMeansNoCacheNotAFailure) {
  TempDir dir;
  std::ofstream(dir.path() / "file") << "x";
  EXPECT_FALSE(open_store(dir.path() / "file" / "cache"));
}

TEST(CacheStore, WritesThatFailLeaveAWorkingReadOnlyStore) {
  TempDir dir;
  {
    auto store = open_store(dir.path());
    ASSERT_TRUE(store->put("k", meta(), std::chrono::hours(1), "kept"));
  }
  // tmp/ replaced by a file: nothing can be written any more.
  fs::remove_all(dir.path() / "v1" / "tmp");
  std::ofstream(dir.path() / "v1" / "tmp") << "x";
  auto store = open_store(dir.path(), 1ull << 30, 0);
  ASSERT_TRUE(store);
  EXPECT_FALSE(store->put("other", meta(), std::chrono::hours(1), "lost"));
  EXPECT_FALSE(store->writable());
  EXPECT_TRUE(store->get("k", false)) << "reading still works";
}

net::ApiRequest ec2_request(const std::string& body) {
  net::ApiRequest r;
  r.service = "ec2";
  r.region = "eu-west-1";
  r.action = "DescribeSpotPriceHistory";
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  r.body = body;
  return r;
}

TEST(CacheKey, CanonicalRequestSortsParametersAndIgnoresHeaders) {
  auto a = ec2_request("Action=DescribeSpotPriceHistory&Version=2016-11-15&InstanceType.1=m5.large");
  auto b = ec2_request("InstanceType.1=m5.large&Action=DescribeSpotPriceHistory&Version=2016-11-15");
  b.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/eu-west-1/ec2/aws4_request");
  b.headers.emplace_back("X-Amz-Date", "20261124T000000Z");
  b.headers.emplace_back("X-Amz-Security-Token", "secret-token");
  EXPECT_EQ(net::cache_key(a), net::cache_key(b));
  EXPECT_EQ(net::canonical_request(b).find("AKIDEXAMPLE"), std::string::npos);
  EXPECT_EQ(net::canonical_request(b).find("secret-token"), std::string::npos);

  auto other_region = a;
  other_region.region = "us-east-1";
  EXPECT_NE(net::cache_key(a), net::cache_key(other_region));
  EXPECT_NE(net::cache_key(a, "http://127.0.0.1:4566"), net::cache_key(a, "https://ec2.eu-west-1.amazonaws.com"))
      << "a local endpoint's answers never stand in for AWS's";
  auto next_page = ec2_request(a.body + "&NextToken=abc");
  EXPECT_NE(net::cache_key(a), net::cache_key(next_page)) << "a chain replays page by page";
}

TEST(CacheKey, AnAccountsAnswersAreKeptApartFromTheRunsOwn) {
  const auto own = ec2_request("Action=DescribeAvailabilityZones&Version=2016-11-15");
  auto as_b = own;
  as_b.account = "b";
  auto as_c = own;
  as_c.account = "arn:aws:iam::111111111111:role/reader";
  EXPECT_NE(net::cache_key(own), net::cache_key(as_b));
  EXPECT_NE(net::cache_key(as_b), net::cache_key(as_c));
  EXPECT_EQ(net::canonical_request(own).find("account"), std::string::npos) << "the run's own keys are as before";
  EXPECT_NE(net::describe_request(as_b).find(" as b "), std::string::npos) << net::describe_request(as_b);
}

TEST(CacheKey, ClockFollowingParametersUseTheirRelativeName) {
  auto at_ten = ec2_request("Action=DescribeSpotPriceHistory&EndTime=2026-11-24T10%3A00%3A00Z&StartTime=2026-11-24T10%3A00%3A00Z");
  auto at_eleven = ec2_request("Action=DescribeSpotPriceHistory&EndTime=2026-11-24T11%3A00%3A00Z&StartTime=2026-11-24T11%3A00%3A00Z");
  EXPECT_NE(net::cache_key(at_ten), net::cache_key(at_eleven));
  for (auto* r : {&at_ten, &at_eleven}) r->key_overrides = {{"StartTime", "now"}, {"EndTime", "now"}};
  EXPECT_EQ(net::cache_key(at_ten), net::cache_key(at_eleven));
}

TEST(CacheKey, AStoredAnswerKeepsTheClockFollowingParametersItWasAskedWith) {
  auto then = ec2_request("Action=DescribeSpotPriceHistory&EndTime=2026-11-24T10%3A00%3A00Z&StartTime=2026-11-24T09%3A00%3A00Z");
  auto now = ec2_request("Action=DescribeSpotPriceHistory&EndTime=2026-11-24T11%3A00%3A00Z&StartTime=2026-11-24T10%3A00%3A00Z");
  for (auto* r : {&then, &now}) r->key_overrides = {{"StartTime", "now-3600s"}, {"EndTime", "now"}};
  const std::string pinned = net::pinned_params(then);
  EXPECT_EQ(pinned, "EndTime=2026-11-24T10%3A00%3A00Z&StartTime=2026-11-24T09%3A00%3A00Z");
  net::pin_params(now, pinned);
  EXPECT_EQ(now.body, then.body) << "a chain continued from the stored page asks with its window";
  EXPECT_EQ(net::pinned_params(ec2_request("Action=DescribeRegions")), "") << "nothing follows the clock";
}

TEST(CachePolicy, ClassesTtlsAndNegativeAnswers) {
  config::CacheSettings settings;
  settings.ttl_spot = "2h";
  const auto policy = net::CachePolicy::from(settings);
  EXPECT_EQ(policy.ttl_of("spot"), std::chrono::hours(2));
  EXPECT_EQ(policy.ttl_of("regions"), std::chrono::hours(24 * 7));
  EXPECT_EQ(policy.ttl_of("price-list-file"), std::chrono::seconds(0)) << "versioned files never expire";
  EXPECT_EQ(net::cache_class(ec2_request("")), "spot");

  const auto r = ec2_request("");
  EXPECT_TRUE(net::negative_answer(r, 200, "<DescribeSpotPriceHistoryResponse><spotPriceHistorySet/></DescribeSpotPriceHistoryResponse>"));
  EXPECT_FALSE(net::negative_answer(r, 200, "<spotPriceHistorySet><item>..</item></spotPriceHistorySet>"));
  EXPECT_TRUE(net::cacheable_status(r, 400, "<Response><Errors><Error><Code>InvalidInstanceType</Code></Error></Errors></Response>"));
  EXPECT_FALSE(net::cacheable_status(r, 503, "<Code>RequestLimitExceeded</Code>"));
  EXPECT_FALSE(net::cacheable_status(r, 401, "<Code>AuthFailure</Code>"));
}

}  // namespace
}  // namespace pricepipe
