// `pricepipe stream` end to end: the real binary against tests/fakeaws, with
// AWS's pagination, throttling, SigV4 checks and injected faults. The
// expected records come from fakeaws's world (GET /_fakeaws/world).
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/support/fakeaws.h"
#include "tests/support/process.h"

namespace pricepipe::testing {
namespace {

World load_world(FakeAws& fake) { return fake.parsed_world(); }

ProcessResult pricepipe(FakeAws& fake, std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  ProcessOptions p;
  p.argv = {pricepipe_binary()};
  p.argv.insert(p.argv.end(), args.begin(), args.end());
  p.env = fake.client_env();
  for (auto& [k, v] : env) p.env[k] = v;
  return run_process(p);
}

// Every output line as (region, instance_type[, zone]) keys, counting repeats.
std::map<std::string, std::map<std::string, int>> keys_by_region(const std::string& ndjson, const char* second,
                                                                 const char* third = nullptr) {
  std::map<std::string, std::map<std::string, int>> out;
  simdjson::dom::parser parser;
  std::size_t start = 0;
  while (start < ndjson.size()) {
    const auto end = ndjson.find('\n', start);
    const std::string line = ndjson.substr(start, end - start);
    start = end == std::string::npos ? ndjson.size() : end + 1;
    simdjson::dom::element rec = parser.parse(line);
    std::string key(rec[second].get_string().value());
    if (third != nullptr) key += "@" + std::string(rec[third].get_string().value());
    ++out[std::string(rec["region"].get_string().value())][key];
  }
  return out;
}

void expect_every_type_exactly_once(const World& world, const ProcessResult& r) {
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto seen = keys_by_region(r.out, "instance_type");
  std::set<std::string> regions_seen;
  for (const auto& [region, counts] : seen) regions_seen.insert(region);
  EXPECT_EQ(regions_seen, std::set<std::string>(world.enabled_regions.begin(), world.enabled_regions.end()));
  for (const auto& region : world.enabled_regions) {
    const auto& counts = seen.count(region) ? seen.at(region) : std::map<std::string, int>{};
    std::set<std::string> types;
    for (const auto& [type, n] : counts) {
      EXPECT_EQ(n, 1) << region << " " << type << " appears " << n << " times";
      types.insert(type);
    }
    EXPECT_EQ(types, world.types.at(region)) << region;
  }
}

TEST(StreamInstanceTypes, AllRegionsEveryTypeExactlyOnce) {
  FakeAws fake;
  const World world = load_world(fake);
  ASSERT_GE(world.enabled_regions.size(), 3u);
  const auto r = pricepipe(fake, {"stream", "instance-types", "--regions", "all"});
  expect_every_type_exactly_once(world, r);
  EXPECT_NE(r.err.find("0 failed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(std::to_string(world.enabled_regions.size()) + " regions"), std::string::npos) << r.err;
}

TEST(StreamInstanceTypes, TightThrottlingIsRetriedToTheSameResult) {
  // A bucket far smaller than AWS's: the client's own pacing (AWS's limits)
  // is not enough, so fakeaws answers RequestLimitExceeded and we retry. With
  // a burst of one, the first page of the region DescribeRegions was asked in
  // follows it at once and is throttled however slow the client is.
  FakeAws fake({"--throttle-burst", "1", "--throttle-rate", "4"});
  const World world = load_world(fake);
  const auto r = pricepipe(fake, {"stream", "instance-types", "--regions", "all", "--max-attempts", "30"});
  expect_every_type_exactly_once(world, r);
  const std::string log = fake.requests();
  EXPECT_NE(log.find("RequestLimitExceeded"), std::string::npos) << "the test did not provoke throttling";
  EXPECT_EQ(r.err.find(" 0 throttled"), std::string::npos) << r.err;
}

TEST(StreamInstanceTypes, RetriedPagesNeverYieldDuplicates) {
  FakeAws fake;
  const World world = load_world(fake);
  const std::string a = world.enabled_regions[0];
  const std::string b = world.enabled_regions[1];
  fake.set_faults(R"({"faults":[
    {"action":"DescribeInstanceTypes","region":")" + a + R"(","page":2,"kind":"error","status":500,"code":"InternalError","count":2},
    {"action":"DescribeInstanceTypes","region":")" + b + R"(","page":3,"kind":"throttle","count":2},
    {"action":"DescribeInstanceTypes","region":")" + b + R"(","page":2,"kind":"truncated","count":1},
    {"action":"DescribeInstanceTypes","region":")" + a + R"(","page":4,"kind":"reset","count":1}]})");
  const auto r = pricepipe(fake, {"stream", "instance-types", "--regions", "all"});
  expect_every_type_exactly_once(world, r);
  EXPECT_EQ(r.err.find(" 0 retried"), std::string::npos) << r.err;
}

TEST(StreamOfferings, EveryTypeZonePairExactlyOnce) {
  FakeAws fake;
  const World world = load_world(fake);
  const std::string regions = world.enabled_regions[0] + "," + world.enabled_regions[1];
  const auto r = pricepipe(fake, {"stream", "instance-type-offerings", "--regions", regions});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto seen = keys_by_region(r.out, "instance_type", "zone");
  ASSERT_EQ(seen.size(), 2u);
  for (const auto& [region, counts] : seen) {
    std::set<std::pair<std::string, std::string>> pairs;
    for (const auto& [key, n] : counts) {
      EXPECT_EQ(n, 1) << key;
      pairs.insert({key.substr(0, key.find('@')), key.substr(key.find('@') + 1)});
    }
    EXPECT_EQ(pairs, world.offerings.at(region)) << region;
  }
}

TEST(StreamRegions, ListsEveryRegionWithItsOptInStatus) {
  FakeAws fake;
  const World world = load_world(fake);
  const auto r = pricepipe(fake, {"stream", "regions"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::parser parser;
  std::set<std::string> enabled, disabled;
  std::size_t start = 0;
  while (start < r.out.size()) {
    const auto end = r.out.find('\n', start);
    simdjson::dom::element rec = parser.parse(r.out.substr(start, end - start));
    start = end + 1;
    (rec["enabled"].get_bool().value() ? enabled : disabled).insert(std::string(rec["region"].get_string().value()));
  }
  EXPECT_EQ(enabled, std::set<std::string>(world.enabled_regions.begin(), world.enabled_regions.end()));
  EXPECT_EQ(disabled, std::set<std::string>(world.disabled_regions.begin(), world.disabled_regions.end()));
}

TEST(StreamErrors, RegionNotEnabledNamesRegionActionAndRequestId) {
  FakeAws fake;
  const World world = load_world(fake);
  ASSERT_FALSE(world.disabled_regions.empty());
  const std::string region = world.disabled_regions[0];
  const auto r = pricepipe(fake, {"stream", "instance-types", "--regions", region});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find(region + " DescribeInstanceTypes (request "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not enabled for this account"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST(StreamErrors, RejectedCredentialsExitThreeWithoutLeakingTheSecret) {
  FakeAws fake;
  const auto r = pricepipe(fake, {"stream", "instance-types", "--regions", "us-east-1"},
                           {{"AWS_SECRET_ACCESS_KEY", "wrong-secret-value-123"}});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("SignatureDoesNotMatch"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("us-east-1 DescribeInstanceTypes (request "), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("wrong-secret-value-123"), std::string::npos);
}

TEST(StreamErrors, MissingCredentialsListWhatWasTried) {
  FakeAws fake;
  const auto r = pricepipe(fake, {"stream", "instance-types", "--regions", "us-east-1"},
                           {{"AWS_ACCESS_KEY_ID", ""}, {"AWS_SECRET_ACCESS_KEY", ""}});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("environment"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("credentials file"), std::string::npos) << r.err;
}

TEST(StreamErrors, UnreachableEndpointExitsFourNamingIt) {
  FakeAws fake;
  std::string closed;
  {
    FakeAws probe;
    closed = probe.url();
  }
  // Nothing answers there: tried until the deadline, whatever --max-attempts says, with a warning.
  const auto r = pricepipe(fake, {"stream", "instance-types", "--regions", "us-east-1", "--max-attempts", "2",
                                  "--retry-deadline", "2"},
                           {{"AWS_ENDPOINT_URL", closed}});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("retrying for up to 2 s"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(closed.substr(7)), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("us-east-1 DescribeInstanceTypes"), std::string::npos) << r.err;
}

TEST(StreamErrors, MalformedBodyExitsSixNamingTheRequestAndOffset) {
  FakeAws fake;
  const World world = load_world(fake);
  const std::string region = world.enabled_regions[0];
  fake.set_faults(R"({"faults":[{"action":"DescribeInstanceTypes","region":")" + region +
                  R"(","page":2,"kind":"malformed","count":1}]})");
  const auto r = pricepipe(fake, {"stream", "instance-types", "--regions", region});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find(region + " DescribeInstanceTypes (request "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("at byte"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("incomplete"), std::string::npos) << r.err;
}

TEST(StreamErrors, KeepGoingStreamsTheRestAndReportsFailedRegions) {
  FakeAws fake;
  World world = load_world(fake);
  const std::string broken = world.enabled_regions[1];
  fake.set_faults(R"({"faults":[{"action":"DescribeInstanceTypes","region":")" + broken +
                  R"(","page":1,"kind":"error","status":400,"code":"InvalidParameterValue","count":100}]})");
  const auto r = pricepipe(fake, {"stream", "instance-types", "--regions", "all", "--keep-going"});
  EXPECT_EQ(r.exit_code, 7) << r.err;
  EXPECT_NE(r.err.find("failed: " + broken + " DescribeInstanceTypes"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 of " + std::to_string(world.enabled_regions.size()) + " regions failed"), std::string::npos)
      << r.err;
  const auto seen = keys_by_region(r.out, "instance_type");
  EXPECT_EQ(seen.count(broken), 0u);
  EXPECT_EQ(seen.size(), world.enabled_regions.size() - 1);
  for (const auto& [region, counts] : seen) EXPECT_EQ(counts.size(), world.types.at(region).size()) << region;
}

// With a slow reader every credit is in use all the time, so the peak is
// the credit pool's worth of pages, and it must not grow with the output:
// the whole world (tens of MB of NDJSON, several times that in XML) must
// peak no higher than a third of it, both read slowly with the same pool
// (8 pages, which 8 regions already keep full).
TEST(StreamBackpressure, SlowReaderKeepsMemoryFlat) {
  PRICEPIPE_SKIP_MEMORY_TEST_UNDER_ASAN();
  // A synthetic world of 30 regions, the same whether or not the shared data is present.
  FakeAws fake({"--synthetic", "--synthetic-regions", "30"});
  const World world = load_world(fake);
  ASSERT_GE(world.enabled_regions.size(), 24u);
  std::string few;
  for (std::size_t i = 0; i < 8; ++i) few += (few.empty() ? "" : ",") + world.enabled_regions[i];

  auto slow_run = [&](const std::string& regions) {
    ProcessOptions p;
    p.argv = {pricepipe_binary(), "stream", "instance-types", "--regions", regions, "--max-pages-in-flight", "8"};
    p.env = fake.client_env();
    p.read_chunk = 4096;
    p.read_pause = std::chrono::microseconds(1000);  // about 4 MB/s
    p.timeout = std::chrono::seconds(300);
    return run_process(p);
  };
  const ProcessResult small = slow_run(few);
  ASSERT_EQ(small.exit_code, 0) << small.err;
  const ProcessResult large = slow_run("all");
  ASSERT_EQ(large.exit_code, 0) << large.err;
  ASSERT_GT(large.out.size(), 5 * small.out.size() / 2) << "the large run must produce far more output";
  ASSERT_GT(large.out.size(), 8u * 1024 * 1024) << "the world is too small for this test to mean anything";
  EXPECT_LT(large.peak_rss_kib, small.peak_rss_kib + 6 * 1024)
      << "peak RSS " << large.peak_rss_kib << " KiB for " << large.out.size() << " bytes of output vs "
      << small.peak_rss_kib << " KiB for " << small.out.size() << "\n" << large.err;
  EXPECT_LT(large.peak_rss_kib, 48 * 1024) << "peak RSS " << large.peak_rss_kib << " KiB";
}

}  // namespace
}  // namespace pricepipe::testing
