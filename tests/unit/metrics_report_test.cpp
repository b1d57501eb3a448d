// The metrics file: JSON and Prometheus text from known counts.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <unistd.h>

#include <filesystem>
#include <set>
#include <fstream>
#include <sstream>

#include "core/atomic_file.h"
#include "core/metrics_report.h"

namespace pricepipe {
namespace {

void fill(Metrics& m) {
  ActionMetrics& types = m.action("ec2", "DescribeInstanceTypes");
  types.requests = 12;
  types.cache_hits = 4;
  types.bytes = 123456;
  types.retries = 2;
  types.throttles = 2;
  types.failures = 1;
  for (int ms : {10, 20, 30, 40, 100}) types.record_latency(std::chrono::milliseconds(ms));
  ActionMetrics& odd = m.action("price-list", "Get\"Offer\\File\n");  // a name that needs escaping
  odd.cache_hits = 3;
}

TEST(MetricsReport, JsonCarriesEveryCounterAndPercentile) {
  Metrics m;
  fill(m);
  const std::string json = metrics_json(m, RunSummary{"catalog", 41118, false, 7, {}, 0});
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(json);
  EXPECT_EQ(doc["dataset"].get_string().value(), "catalog");
  EXPECT_EQ(doc["records"].get_int64().value(), 41118);
  EXPECT_FALSE(doc["complete"].get_bool().value());
  EXPECT_EQ(doc["exit_code"].get_int64().value(), 7);
  EXPECT_TRUE(doc["started_at"].is_string());
  EXPECT_EQ(doc["totals"]["lookups"].get_int64().value(), 19);
  EXPECT_EQ(doc["totals"]["requests"].get_int64().value(), 12);
  EXPECT_EQ(doc["totals"]["cache_hits"].get_int64().value(), 7);
  EXPECT_NEAR(doc["totals"]["cached_pct"].get_double().value(), 100.0 * 7 / 19, 1e-9);
  simdjson::dom::array actions = doc["actions"].get_array();
  ASSERT_EQ(actions.size(), 2u);
  simdjson::dom::element types = actions.at(0);
  EXPECT_EQ(types["action"].get_string().value(), "DescribeInstanceTypes");
  EXPECT_EQ(types["requests"].get_int64().value(), 12);
  EXPECT_EQ(types["cache_hits"].get_int64().value(), 4);
  EXPECT_EQ(types["bytes"].get_int64().value(), 123456);
  EXPECT_EQ(types["retries"].get_int64().value(), 2);
  EXPECT_EQ(types["throttles"].get_int64().value(), 2);
  EXPECT_EQ(types["failures"].get_int64().value(), 1);
  EXPECT_DOUBLE_EQ(types["latency_ms"]["p50"].get_double().value(), 30);
  EXPECT_DOUBLE_EQ(types["latency_ms"]["p95"].get_double().value(), 100);
  EXPECT_DOUBLE_EQ(types["latency_ms"]["p99"].get_double().value(), 100);
  simdjson::dom::element odd = actions.at(1);
  EXPECT_EQ(odd["action"].get_string().value(), "Get\"Offer\\File\n");
  EXPECT_TRUE(odd["latency_ms"]["p50"].is_null()) << "no sample: null, not 0";
}

// A stale load must keep alerting: a failed run keeps the last success's time.
TEST(MetricsReport, LoadsCarryRowsPerTableAndTheLastSuccessSurvivesAFailure) {
  Metrics m;
  const RunSummary good{"load", 30, true, 0, {{"catalog", 18}, {"on_demand_prices", 12}}, 1790000000};
  const std::string ok = metrics_prometheus(m, good);
  EXPECT_NE(ok.find("pricepipe_load_rows{dataset=\"load\",table=\"catalog\"} 18\n"), std::string::npos) << ok;
  EXPECT_NE(ok.find("pricepipe_load_snapshot_timestamp_seconds{dataset=\"load\"} 1790000000\n"), std::string::npos);
  const auto at = ok.find("pricepipe_last_success_timestamp_seconds{dataset=\"load\"} ");
  ASSERT_NE(at, std::string::npos) << ok;
  const std::string line = ok.substr(at, ok.find('\n', at) - at);
  const std::string failed = metrics_prometheus(m, RunSummary{"load", 0, false, 4, {}, 0}, ok);
  EXPECT_NE(failed.find("\n" + line + "\n"), std::string::npos) << failed;
  EXPECT_NE(failed.find("pricepipe_run_exit_code{dataset=\"load\"} 4\n"), std::string::npos);
  EXPECT_EQ(metrics_prometheus(m, RunSummary{"load", 0, false, 4, {}, 0}).find("last_success"), std::string::npos)
      << "no success yet: no time";
  simdjson::dom::parser parser;
  simdjson::dom::element json = parser.parse(metrics_json(m, good));
  EXPECT_EQ(json["loaded"]["on_demand_prices"].get_int64().value(), 12);
  EXPECT_EQ(std::string(json["snapshot_started_at"].get_string().value()), "2026-09-21T14:13:20Z");
}

TEST(MetricsReport, PrometheusTextfileHasOneHelpAndTypePerFamily) {
  Metrics m;
  fill(m);
  const std::string text = metrics_prometheus(m, RunSummary{"catalog", 41118, true, 0, {}, 0});
  EXPECT_NE(text.find("# TYPE pricepipe_requests_total counter\n"
                      "pricepipe_requests_total{service=\"ec2\",action=\"DescribeInstanceTypes\"} 12\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("pricepipe_throttles_total{service=\"ec2\",action=\"DescribeInstanceTypes\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("pricepipe_cache_hits_total{service=\"price-list\",action=\"Get\\\"Offer\\\\File\\n\"} 3\n"),
            std::string::npos)
      << "label values escape quote, backslash and newline";
  EXPECT_NE(text.find("pricepipe_request_latency_seconds{service=\"ec2\",action=\"DescribeInstanceTypes\",quantile=\"0.5\"} 0.03\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("pricepipe_request_latency_seconds_sum{service=\"ec2\",action=\"DescribeInstanceTypes\"} 0.2\n"),
            std::string::npos);
  EXPECT_NE(text.find("pricepipe_request_latency_seconds_count{service=\"ec2\",action=\"DescribeInstanceTypes\"} 5\n"),
            std::string::npos);
  EXPECT_NE(text.find("pricepipe_run_records{dataset=\"catalog\"} 41118\n"), std::string::npos);
  EXPECT_NE(text.find("pricepipe_run_complete{dataset=\"catalog\"} 1\n"), std::string::npos);

  // Every sample belongs to the family whose HELP/TYPE came last, and no family repeats.
  std::istringstream in(text);
  std::set<std::string> families;
  std::string family;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# TYPE ", 0) == 0) {
      family = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(families.insert(family).second) << family << " twice";
    } else if (line.rfind("# HELP ", 0) != 0) {
      EXPECT_EQ(line.rfind(family, 0), 0u) << line << " outside " << family;
    }
  }
}

TEST(MetricsReport, WritesAtomicallyAndSaysWhyItCannot) {
  const auto dir = std::filesystem::temp_directory_path() / ("pricepipe-metrics-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "metrics.prom").string();
  ASSERT_TRUE(write_atomically(path, "first\n").ok());
  ASSERT_TRUE(write_atomically(path, "second\n").ok());
  std::ifstream in(path);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "second\n");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()), 1)
      << "no temporary file left";
  const auto failed = write_atomically((dir / "missing" / "m.json").string(), "x", "the metrics file");
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().describe().find("missing/m.json"), std::string::npos) << failed.error().describe();
  EXPECT_NE(failed.error().describe().find("cannot write the metrics file"), std::string::npos)
      << failed.error().describe();
  // A private file stays private: the mode is the one asked for, not the umask's 0644.
  const std::string token = (dir / "token.json").string();
  ASSERT_TRUE(write_atomically(token, "{}", "the token", 0600).ok());
  EXPECT_EQ(std::filesystem::status(token).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pricepipe
