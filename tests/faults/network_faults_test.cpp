// Faults of the network and of the services, each against the clean run's
// output: a throttle storm, broken Price List indexes, an outage, answers
// that stop coming (--read-timeout), answers that cannot be read.
#include <chrono>
#include <thread>

#include "tests/faults/faults.h"

namespace pricepipe::testing::faults {
namespace {

using Clock = std::chrono::steady_clock;

const std::vector<std::string> kSixRegions = {"--regions", "us-east-1,us-west-2,eu-west-1,eu-central-1,ap-northeast-1,sa-east-1"};

std::vector<std::string> catalog(const std::vector<std::string>& regions = kSixRegions) {
  std::vector<std::string> args = {"stream", "catalog"};
  args.insert(args.end(), regions.begin(), regions.end());
  return args;
}

// Issue 10, failure 1: a region's retries used to go out together, and the
// run gave up after 8 attempts with 78% of its requests throttled.
TEST(Throttling, AStormCompletesWithTheCalmOutputAndFewThrottles) {
  FakeAws calm;
  const auto clean = calm.pricepipe(catalog());
  ASSERT_EQ(clean.exit_code, 0) << clean.err;

  FakeAws storm({"--throttle-burst", "2", "--throttle-rate", "1"});
  const auto r = storm.pricepipe(catalog());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out == clean.out) << "the storm changed the output (" << count_lines(r.out) << " lines, "
                                  << count_lines(clean.out) << " calm)";
  std::size_t sent = 0, throttled = 0;
  for (const auto& q : request_log(storm)) {
    if (q.action == "GetOfferFile" || q.action == "GetSpotAdvisorData") continue;  // not EC2's bucket
    ++sent;
    throttled += q.status == 503 ? 1 : 0;
  }
  ASSERT_GT(throttled, 0u) << "the storm did not throttle: the test tests nothing";
  EXPECT_LT(static_cast<double>(throttled), 0.25 * static_cast<double>(sent)) << throttled << " of " << sent << " throttled";
}

// Issue 10, failure 2: the Price List indexes failed the run at once.
TEST(PriceListIndexes, ServerErrorsAndShortBodiesAreRetried) {
  FakeAws fake;
  const std::vector<std::string> args = {"stream", "on-demand-prices", "--price-source", "bulk", "--regions",
                                         "eu-west-1", "--instance-types", "m5.*"};
  const auto clean = fake.pricepipe(args);
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  ASSERT_GT(count_lines(clean.out), 0u);
  fake.set_faults(R"({"faults": [
      {"action": "GetOfferFile", "path": "/offers/v1.0/aws/index.json", "kind": "error", "status": 500},
      {"action": "GetOfferFile", "path": "/offers/v1.0/aws/index.json", "kind": "error", "status": 502},
      {"action": "GetOfferFile", "path": "/offers/v1.0/aws/AmazonEC2/current/region_index.json", "kind": "truncated"},
      {"action": "GetOfferFile", "path": "/offers/v1.0/aws/AmazonEC2/current/region_index.json", "kind": "error", "status": 503}]})");
  fake.clear_requests();
  const auto r = fake.pricepipe(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out == clean.out);
  std::map<std::string, int> attempts;
  for (const auto& q : request_log(fake)) ++attempts[q.path];
  EXPECT_EQ(attempts["/offers/v1.0/aws/index.json"], 3);
  EXPECT_EQ(attempts["/offers/v1.0/aws/AmazonEC2/current/region_index.json"], 3);
}

// Issue 10, failure 3: downloads spent a fixed 5 attempts inside the outage.
TEST(Outage, AThreeSecondOutageFiveSecondsInLeavesTheOutputAsIs) {
  FakeAws fake;
  const auto args = catalog({"--regions", "all"});
  const auto clean = fake.pricepipe(args);
  ASSERT_EQ(clean.exit_code, 0) << clean.err;

  ProcessOptions p = fake.command(args);
  const auto started = Clock::now();
  bool down = false, restarted = false;
  p.watch = [&](pid_t, const std::string&) {
    const auto t = Clock::now() - started;
    if (!down && t > std::chrono::seconds(5)) {
      fake.kill();
      down = true;
    } else if (down && !restarted && t > std::chrono::seconds(8)) {
      fake.restart();
      restarted = true;
    }
  };
  const auto r = run_process(p);
  ASSERT_TRUE(restarted) << "the run ended before the outage was over: the test tests nothing";
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out == clean.out) << count_lines(r.out) << " lines, " << count_lines(clean.out) << " in the clean run";
  EXPECT_NE(r.err.find("--retry-deadline"), std::string::npos) << "the outage is reported: " << r.err;
}

// Issue 10, failure 4: signed API calls waited ~6 s past --read-timeout.
// The bound (10% + 100 ms past the timeout, over what the request costs
// without the fault) is the product's promise; each kind is measured twice
// and the better kept, so a busy machine's pause is not taken for a late timer.
// The run without the fault (a generous --read-timeout) is the baseline.
struct Kind {
  const char* name;
  std::vector<std::string> args;
  const char* fault;
};

class ReadTimeout : public ::testing::TestWithParam<Kind> {};

double seconds_of(FakeAws& fake, const std::vector<std::string>& args, ProcessResult* last) {
  const auto t0 = Clock::now();
  *last = fake.pricepipe(args);
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

TEST_P(ReadTimeout, FiresOnTimeForEveryRequestKind) {
  const Kind& kind = GetParam();
  FakeAws fake;
  auto with_timeout = [&](const char* seconds) {
    std::vector<std::string> args = {"--read-timeout", seconds, "--max-attempts", "1"};
    args.insert(args.end(), kind.args.begin(), kind.args.end());
    return args;
  };
  constexpr double kTimeout = 2.0;  // the fault holds the answer back 6 s
  ProcessResult r;
  double baseline = 1e9, faulted = 1e9;
  for (int i = 0; i < 2; ++i) {
    baseline = std::min(baseline, seconds_of(fake, with_timeout("60"), &r));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    fake.set_faults(kind.fault);
    faulted = std::min(faulted, seconds_of(fake, with_timeout("2"), &r));
    fake.clear_faults();
    ASSERT_EQ(r.exit_code, 4) << r.err;
    EXPECT_NE(r.err.find("no data for 2000 ms (--read-timeout)"), std::string::npos) << r.err;
  }
  EXPECT_GE(faulted, kTimeout) << kind.name;
  EXPECT_LE(faulted, baseline + 1.1 * kTimeout + 0.1) << kind.name << ": baseline " << baseline << " s";
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, ReadTimeout,
    ::testing::Values(
        Kind{"ec2", {"stream", "regions"}, R"({"faults": [{"action": "DescribeRegions", "kind": "latency", "latency_ms": 6000}]})"},
        Kind{"pricing", {"stream", "on-demand-prices", "--price-source", "api", "--regions", "eu-west-1", "--instance-types", "m5.large"},
             R"({"faults": [{"action": "GetProducts", "kind": "latency", "latency_ms": 6000}]})"},
        Kind{"index", {"stream", "on-demand-prices", "--price-source", "bulk", "--regions", "eu-west-1", "--instance-types", "m5.large"},
             R"({"faults": [{"action": "GetOfferFile", "path": "/offers/v1.0/aws/index.json", "kind": "latency", "latency_ms": 6000}]})"},
        Kind{"offer_file", {"stream", "on-demand-prices", "--price-source", "bulk", "--regions", "eu-west-1", "--instance-types", "m5.large"},
             R"({"faults": [{"action": "GetOfferFile", "path": "/offers/v1.0/aws/AmazonEC2/2", "kind": "stall", "latency_ms": 6000}]})"},
        Kind{"advisor", {"stream", "spot-advisor"},
             R"({"faults": [{"action": "GetSpotAdvisorData", "kind": "latency", "latency_ms": 6000}]})"}),
    [](const ::testing::TestParamInfo<Kind>& param) { return std::string(param.param.name); });

// What passed before issue 10, kept: each protocol's transient faults are
// retried to the clean output; each one's unreadable answer stops the run
// with the request and the byte, leaving whole lines of the clean output.
struct Protocol {
  const char* name;
  std::vector<std::string> args;
  const char* match;  ///< the fault's "action" (and "path") fields
};

const Protocol kProtocols[] = {
    {"ec2", {"stream", "instance-types", "--regions", "eu-west-1,us-east-1"}, R"("action": "DescribeInstanceTypes", "page": 2)"},
    {"pricing", {"stream", "on-demand-prices", "--price-source", "api", "--regions", "eu-west-1", "--instance-types", "m5.large,c5.xlarge"},
     R"("action": "GetProducts", "page": 1)"},
    {"bulk", {"stream", "on-demand-prices", "--price-source", "bulk", "--regions", "eu-west-1", "--instance-types", "m5.*"},
     R"("action": "GetOfferFile", "path": "/offers/v1.0/aws/AmazonEC2/2")"},
    {"advisor", {"stream", "spot-advisor", "--regions", "eu-west-1"}, R"("action": "GetSpotAdvisorData")"},
};

class Transient : public ::testing::TestWithParam<Protocol> {};

TEST_P(Transient, ResetsTruncationsAndServerErrorsAreRetriedToTheCleanOutput) {
  const Protocol& p = GetParam();
  FakeAws fake;
  const auto clean = fake.pricepipe(p.args);
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  ASSERT_GT(count_lines(clean.out), 0u);
  for (const char* kind : {R"("kind": "reset")", R"("kind": "truncated")", R"("kind": "error", "status": 500)",
                           R"("kind": "error", "status": 503, "code": "ServiceUnavailable")"}) {
    fake.set_faults(std::string(R"({"faults": [{)") + p.match + ", " + kind + R"(, "count": 2}]})");
    fake.clear_requests();
    const auto r = fake.pricepipe(p.args);
    fake.clear_faults();
    EXPECT_EQ(r.exit_code, 0) << kind << ": " << r.err;
    EXPECT_TRUE(r.out == clean.out) << kind;
    std::size_t fired = 0;
    for (const auto& q : request_log(fake)) fired += q.fault.empty() ? 0 : 1;
    EXPECT_EQ(fired, 2u) << kind << ": the fault fired twice and was retried";
  }
}

class Unreadable : public ::testing::TestWithParam<Protocol> {};

TEST_P(Unreadable, AMalformedAnswerStopsTheRunNamingTheRequestAndTheByte) {
  const Protocol& p = GetParam();
  FakeAws fake;
  const auto clean = fake.pricepipe(p.args);
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  fake.set_faults(std::string(R"({"faults": [{)") + p.match + R"(, "kind": "malformed"}]})");
  const auto r = fake.pricepipe(p.args);
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find("byte"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("incomplete"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 failed"), std::string::npos) << r.err;
  expect_whole_line_prefix(r.out, clean.out);
}

INSTANTIATE_TEST_SUITE_P(Protocols, Transient, ::testing::ValuesIn(kProtocols),
                         [](const ::testing::TestParamInfo<Protocol>& param) { return std::string(param.param.name); });
INSTANTIATE_TEST_SUITE_P(Protocols, Unreadable, ::testing::ValuesIn(kProtocols),
                         [](const ::testing::TestParamInfo<Protocol>& param) { return std::string(param.param.name); });

// A page that cannot be parsed: the summary counts the records written (not
// those parsed and waiting behind it) and the page as a failed request.
TEST(Malformed, TheSummaryCountsWhatWasWrittenAndTheFailedPage) {
  FakeAws fake;
  fake.set_faults(R"({"faults": [{"action": "DescribeSpotPriceHistory", "region": "us-east-1", "page": 2, "kind": "malformed"}]})");
  const auto r = fake.pricepipe({"stream", "spot-prices", "--regions", "us-east-1,eu-west-1", "--since", "2d"});
  ASSERT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find("at byte"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("incomplete"), std::string::npos) << r.err;
  ASSERT_GT(count_lines(r.out), 0u);
  EXPECT_NE(r.err.find(": " + with_commas(count_lines(r.out)) + " records"), std::string::npos)
      << count_lines(r.out) << " lines written; " << r.err;
  EXPECT_NE(r.err.find("1 failed"), std::string::npos) << r.err;
}

TEST(Malformed, AnOfferFileThatCannotBeReadIsAFailedRequest) {
  FakeAws fake;
  fake.set_faults(R"({"faults": [{"action": "GetOfferFile", "path": "/offers/v1.0/aws/AmazonEC2/2", "kind": "malformed"}]})");
  const auto r = fake.pricepipe({"stream", "on-demand-prices", "--price-source", "bulk", "--regions", "eu-west-1"});
  ASSERT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find("1 failed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("eu-west-1"), std::string::npos) << r.err;
}

// --keep-going counts regions, not the streams they read.
TEST(KeepGoing, TheMessageCountsRegions) {
  FakeAws fake;
  const auto enabled = fake.parsed_world().enabled_regions;  // the shared data's world or the synthetic one
  ASSERT_GE(enabled.size(), 3u);
  fake.set_faults(R"({"faults": [{"action": "DescribeSpotPriceHistory", "region": ")" + enabled[1] +
                  R"(", "kind": "error", "status": 400, "code": "UnauthorizedOperation", "count": 50}]})");
  const auto r = fake.pricepipe(
      {"stream", "catalog", "--regions", enabled[0] + "," + enabled[1] + "," + enabled[2], "--keep-going"});
  ASSERT_EQ(r.exit_code, 7) << r.err;
  EXPECT_NE(r.err.find("incomplete: 1 of 3 regions failed"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace pricepipe::testing::faults
