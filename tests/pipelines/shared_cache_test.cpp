// Many processes sharing one Redis (--cache-url), end to end: the real
// binary, eight processes at once against fakeaws, whose request log shows
// what went to the network, and Debian's redis-server, killed mid-run in
// the second case.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "tests/support/fakeaws.h"
#include "tests/support/process.h"
#include "tests/support/redis.h"

namespace pricepipe::testing {
namespace {

constexpr int kProcesses = 8;
// Every dataset of the catalog, in every region: API pages, offer files and the advisor feed.
const std::vector<std::string> kCatalog = {"stream", "catalog", "--regions", "all"};

// The same run in `n` processes at once, each with a cache directory of its own.
std::vector<ProcessResult> run_together(const FakeAws& fake, int n, const std::vector<std::string>& cache_args,
                                        const std::function<void()>& meanwhile = {}) {
  std::vector<ProcessResult> results(static_cast<std::size_t>(n));
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      std::vector<std::string> args = {"--cache-dir", temp_dir("shared-cache")};
      args.insert(args.end(), cache_args.begin(), cache_args.end());
      args.insert(args.end(), kCatalog.begin(), kCatalog.end());
      results[static_cast<std::size_t>(i)] = fake.pricepipe(args, {{"PRICEPIPE_NO_CACHE", ""}});
    });
  }
  if (meanwhile) meanwhile();
  for (auto& t : threads) t.join();
  return results;
}

std::map<std::string, int> counted(const std::vector<std::string>& lines) {
  std::map<std::string, int> out;
  for (const auto& l : lines) ++out[l];
  return out;
}

class SharedCache : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed (Debian package redis-server)";
  }
};

TEST_F(SharedCache, EightProcessesFetchEachPageOnceAndWriteTheSameBytes) {
  FakeAws fake({"--synthetic", "--synthetic-regions", "4", "--synthetic-variants", "12"});
  // What one process alone asks for.
  const auto alone = fake.pricepipe({"--no-cache", "stream", "catalog", "--regions", "all"});
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  const auto needed = counted(fake.request_lines());
  fake.clear_requests();

  RedisServer redis;
  const auto results = run_together(fake, kProcesses, {"--cache-url", redis.url()});
  for (const auto& r : results) {
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(r.out == alone.out) << "a process sharing the cache wrote other bytes";
    EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
  }
  const auto fetched = counted(fake.request_lines());
  for (const auto& [line, n] : fetched) EXPECT_EQ(n, 1) << "fetched " << n << " times: " << line;
  std::map<std::string, int> once;
  for (const auto& [line, n] : needed) once[line] = 1;
  EXPECT_EQ(fetched.size(), once.size()) << "the eight processes together asked for what one asks for";
  bool offer_file = false, advisor = false;
  for (const auto& [line, n] : fetched) {
    offer_file = offer_file || line.find("GetOfferFile") != std::string::npos;
    advisor = advisor || line.find("GetSpotAdvisorData") != std::string::npos;
  }
  EXPECT_TRUE(offer_file && advisor) << "streamed files are shared too";

  // A ninth process, later, asks nothing at all.
  fake.clear_requests();
  const auto later = run_together(fake, 1, {"--cache-url", redis.url()});
  ASSERT_EQ(later[0].exit_code, 0) << later[0].err;
  EXPECT_TRUE(later[0].out == alone.out);
  EXPECT_TRUE(fake.request_lines().empty());
  EXPECT_NE(later[0].err.find("(100% cached"), std::string::npos) << later[0].err;
}

TEST_F(SharedCache, KillingRedisMidRunOnlyWarnsAndTheOutputIsTheSame) {
  FakeAws fake({"--synthetic", "--synthetic-regions", "4", "--synthetic-variants", "12"});
  const auto alone = fake.pricepipe({"--no-cache", "stream", "catalog", "--regions", "all"});
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  // Slow answers keep the eight runs going while Redis dies under them.
  fake.set_faults(R"({"faults":[{"kind":"latency","latency_ms":150,"count":1000}]})");
  RedisServer redis;
  const auto results = run_together(fake, kProcesses, {"--cache-url", redis.url()}, [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    redis.kill();
  });
  int warned = 0;
  for (const auto& r : results) {
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(r.out == alone.out) << "a process that lost Redis wrote other bytes";
    EXPECT_EQ(r.err.find("incomplete"), std::string::npos) << r.err;
    if (r.err.find("going on with the local cache") != std::string::npos) ++warned;
  }
  EXPECT_EQ(warned, kProcesses) << "every process says it lost the shared cache";
}

TEST_F(SharedCache, ThePasswordNeverReachesALogTheCacheOrTheMetrics) {
  FakeAws fake({"--synthetic", "--synthetic-regions", "2"});
  const std::string password = "redis-pw-DO-NOT-LEAK";
  RedisServer redis({"--requirepass", password});
  const std::string dir = temp_dir("shared-cache-canary");
  const std::string with_password = "redis://:" + password + "@127.0.0.1:" + std::to_string(redis.port()) + "/0";
  std::string seen;
  for (const auto& [url, env] : std::vector<std::pair<std::string, std::map<std::string, std::string>>>{
           {with_password, {}},
           {"redis://127.0.0.1:" + std::to_string(redis.port()) + "/0", {{"REDISCLI_AUTH", password}}},
           {"redis://:wrong-" + password + "@127.0.0.1:" + std::to_string(redis.port()) + "/0", {}},
           {"redis://:" + password + "@127.0.0.1:0/0", {}}}) {
    auto run_env = env;
    run_env["PRICEPIPE_NO_CACHE"] = "";
    const auto r = fake.pricepipe({"--log-level", "trace", "--cache-dir", dir + "/cache", "--cache-url", url,
                                   "--metrics-out", dir + "/metrics.json", "stream", "regions"},
                                  run_env);
    seen += r.out + r.err;
  }
  EXPECT_NE(seen.find("AUTH failed"), std::string::npos) << "the wrong password is refused, and said so";
  EXPECT_NE(seen.find("--cache-url: port '0' is not a port"), std::string::npos);
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    seen += std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  EXPECT_EQ(seen.find(password), std::string::npos) << "the Redis password leaked";
  EXPECT_NE(redis.cli({"DBSIZE"}), "0") << "the runs with the password used Redis";
}

}  // namespace
}  // namespace pricepipe::testing
