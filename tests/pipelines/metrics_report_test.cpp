// --metrics-out against a run with known counts: fakeaws's request log says
// what was asked, injected throttling how often to retry.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/support/fakeaws.h"
#include "tests/support/process.h"

namespace pricepipe::testing {
namespace {

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct Logged {
  int requests = 0;
  int throttled = 0;
  std::uint64_t bytes = 0;
};

std::map<std::string, Logged> logged_by_action(FakeAws& fake) {
  simdjson::dom::parser parser;
  const std::string log = fake.requests();
  std::map<std::string, Logged> out;
  for (simdjson::dom::element r : parser.parse(log).get_array()) {
    Logged& l = out[std::string(r["action"].get_string().value())];
    ++l.requests;
    if (r["status"].get_int64().value() == 503) ++l.throttled;
    if (r["status"].get_int64().value() == 200) l.bytes += static_cast<std::uint64_t>(r["bytes"].get_int64().value());
  }
  return out;
}

ProcessResult pricepipe(FakeAws& fake, std::vector<std::string> args) {
  ProcessOptions p;
  p.argv = {pricepipe_binary()};
  p.argv.insert(p.argv.end(), args.begin(), args.end());
  p.env = fake.client_env();
  return run_process(p);
}

std::string temp_path(const char* name) {
  return (std::filesystem::temp_directory_path() / (std::string("pricepipe-") + std::to_string(::getpid()) + "-" + name))
      .string();
}

TEST(MetricsOut, CountsMatchWhatTheServerSaw) {
  FakeAws fake({"--synthetic", "--synthetic-regions", "3"});
  fake.set_faults(R"({"faults":[{"action":"DescribeInstanceTypes","region":"eu-west-1","kind":"throttle","count":2}]})");
  const std::string json_path = temp_path("metrics.json");
  const auto r = pricepipe(fake, {"--metrics-out", json_path, "stream", "instance-types", "--regions", "us-east-1,eu-west-1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto logged = logged_by_action(fake);
  const Logged& types = logged.at("DescribeInstanceTypes");
  ASSERT_EQ(types.throttled, 2);

  simdjson::dom::parser parser;
  const std::string json = read(json_path);
  simdjson::dom::element doc = parser.parse(json);
  EXPECT_EQ(doc["dataset"].get_string().value(), "instance-types");
  EXPECT_TRUE(doc["complete"].get_bool().value());
  EXPECT_EQ(doc["exit_code"].get_int64().value(), 0);
  std::size_t lines = static_cast<std::size_t>(std::count(r.out.begin(), r.out.end(), '\n'));
  EXPECT_EQ(static_cast<std::size_t>(doc["records"].get_int64().value()), lines);
  simdjson::dom::element action = doc["actions"].at(0);
  EXPECT_EQ(action["action"].get_string().value(), "DescribeInstanceTypes");
  EXPECT_EQ(action["requests"].get_int64().value(), types.requests);
  EXPECT_EQ(action["throttles"].get_int64().value(), 2);
  EXPECT_EQ(action["retries"].get_int64().value(), 2);
  EXPECT_EQ(action["failures"].get_int64().value(), 0);
  EXPECT_EQ(static_cast<std::uint64_t>(action["bytes"].get_int64().value()) >= types.bytes, true)
      << "every 200 body counted (throttle answers add their own bytes)";
  EXPECT_GT(action["latency_ms"]["p50"].get_double().value(), 0);

  // The same run as a Prometheus textfile.
  fake.clear_requests();
  fake.set_faults(R"({"faults":[{"action":"DescribeInstanceTypes","region":"eu-west-1","kind":"throttle","count":2}]})");
  const std::string prom_path = temp_path("metrics.prom");
  const auto p = pricepipe(fake, {"--metrics-out", prom_path, "--metrics-format", "prometheus", "stream", "instance-types",
                                  "--regions", "us-east-1,eu-west-1"});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  const std::string prom = read(prom_path);
  const std::string labels = "{service=\"ec2\",action=\"DescribeInstanceTypes\"}";
  EXPECT_NE(prom.find("pricepipe_requests_total" + labels + " " + std::to_string(types.requests) + "\n"), std::string::npos)
      << prom;
  EXPECT_NE(prom.find("pricepipe_throttles_total" + labels + " 2\n"), std::string::npos) << prom;
  EXPECT_NE(prom.find("pricepipe_retries_total" + labels + " 2\n"), std::string::npos) << prom;
  EXPECT_NE(prom.find("pricepipe_run_records{dataset=\"instance-types\"} " + std::to_string(lines) + "\n"), std::string::npos);
  std::filesystem::remove(json_path);
  std::filesystem::remove(prom_path);
}

TEST(MetricsOut, AFailedRunStillWritesItsMetrics) {
  FakeAws fake({"--synthetic", "--synthetic-regions", "3"});
  fake.set_faults(R"({"faults":[{"action":"DescribeInstanceTypes","region":"eu-west-1","kind":"malformed","count":10}]})");
  const std::string path = temp_path("failed.json");
  const auto r = pricepipe(fake, {"--metrics-out", path, "stream", "instance-types", "--regions", "eu-west-1"});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  simdjson::dom::parser parser;
  const std::string json = read(path);
  simdjson::dom::element doc = parser.parse(json);
  EXPECT_FALSE(doc["complete"].get_bool().value());
  EXPECT_EQ(doc["exit_code"].get_int64().value(), 6);
  std::filesystem::remove(path);
}

TEST(MetricsOut, ARunStoppedBeforeStreamingStillWritesItsMetrics) {
  FakeAws fake({"--synthetic", "--synthetic-regions", "3"});
  const std::string path = temp_path("stopped.json");
  // The Price List index is not there: the run stops while planning.
  const auto r = pricepipe(fake, {"--metrics-out", path, "stream", "on-demand-prices", "--regions", "eu-west-1",
                                  "--price-source", "bulk", "--price-list-url", fake.url() + "/offers/nowhere"});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  simdjson::dom::parser parser;
  const std::string json = read(path);
  simdjson::dom::element doc = parser.parse(json);
  EXPECT_FALSE(doc["complete"].get_bool().value());
  EXPECT_EQ(doc["exit_code"].get_int64().value(), 5);
  EXPECT_EQ(doc["records"].get_int64().value(), 0);
  simdjson::dom::element index = doc["actions"].at(0);
  EXPECT_EQ(index["action"].get_string().value(), "GetPriceListIndex");
  EXPECT_EQ(index["requests"].get_int64().value(), 1);
  std::filesystem::remove(path);
}

TEST(MetricsOut, AMetricsFileThatCannotBeWrittenIsRefusedBeforeTheRun) {
  FakeAws fake({"--synthetic", "--synthetic-regions", "3"});
  const auto r = pricepipe(fake, {"--metrics-out", "/nonexistent-dir/metrics.json", "stream", "regions"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--metrics-out"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/nonexistent-dir"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << "nothing is fetched when the metrics file cannot be written";
}

}  // namespace
}  // namespace pricepipe::testing
