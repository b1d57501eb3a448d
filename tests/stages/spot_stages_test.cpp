// Spot history and advisor stages through the calls the graph makes: the
// sources' requests and batching, the parsers, the normalizers and their
// errors.
#include <gtest/gtest.h>

#include "stages/dataset_stages.h"

namespace pricepipe::stages {
namespace {

net::Page page_of(const std::string& action, std::string body, std::string url = "") {
  net::Page p;
  p.request.service = url.empty() ? "ec2" : "spot-advisor";
  p.request.region = "eu-west-1";
  p.request.action = action;
  p.request.url = std::move(url);
  p.request_id = "req-7";
  p.body = std::move(body);
  p.http_status = 200;
  return p;
}

Result<RecordVector> run(Dataset dataset, const net::Page& page, const SourceOptions& options) {
  auto parsed = parse_page(dataset, page);
  if (!parsed.ok()) return parsed.error();
  return normalize_page(dataset, parsed.value(), page, options);
}

std::string history(const std::string& items, const std::string& tail = "<nextToken/>") {
  return "<DescribeSpotPriceHistoryResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>req-7</requestId>"
         "<spotPriceHistorySet>" + items + "</spotPriceHistorySet>" + tail + "</DescribeSpotPriceHistoryResponse>";
}

std::string item(const std::string& type, const std::string& zone, const std::string& price, const std::string& when) {
  return "<item><instanceType>" + type + "</instanceType><productDescription>Linux/UNIX (Amazon VPC)</productDescription>"
         "<spotPrice>" + price + "</spotPrice><timestamp>" + when + "</timestamp><availabilityZone>" + zone +
         "</availabilityZone></item>";
}

std::map<std::string, std::string> params_of(const net::ApiRequest& r) {
  std::map<std::string, std::string> out;
  std::size_t start = 0;
  while (start < r.body.size()) {
    auto amp = r.body.find('&', start);
    if (amp == std::string::npos) amp = r.body.size();
    const std::string pair = r.body.substr(start, amp - start);
    const auto eq = pair.find('=');
    out[pair.substr(0, eq)] = pair.substr(eq + 1);
    start = amp + 1;
  }
  return out;
}

TEST(SpotPriceNormalizer, ReadsObservationsWithZoneIds) {
  SourceOptions options;
  options.zone_ids = std::make_shared<const std::map<std::string, std::string>>(
      std::map<std::string, std::string>{{"eu-west-1a", "euw1-az3"}});
  const auto page = page_of("DescribeSpotPriceHistory",
                            history(item("m5.large", "eu-west-1a", "0.038100", "2026-11-24T12:00:00.000Z") +
                                    item("m5.large", "eu-west-1b", "0.0402", "2026-11-24T06:00:00.000Z")));
  auto records = run(Dataset::spot_prices, page, options);
  ASSERT_TRUE(records.ok()) << records.error().describe();
  const auto& rows = std::get<std::vector<SpotPriceRecord>>(records.value());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].region, "eu-west-1");
  EXPECT_EQ(rows[0].zone, "eu-west-1a");
  EXPECT_EQ(rows[0].zone_id, "euw1-az3");
  EXPECT_EQ(rows[0].instance_type, "m5.large");
  EXPECT_EQ(rows[0].product_description, "Linux/UNIX (Amazon VPC)");
  EXPECT_DOUBLE_EQ(rows[0].price, 0.0381);
  EXPECT_EQ(rows[0].timestamp, *parse_rfc3339("2026-11-24T12:00:00Z"));
  EXPECT_FALSE(rows[1].zone_id) << "a zone DescribeAvailabilityZones did not list has no id, not a guessed one";
}

TEST(SpotPriceNormalizer, AppliesInstanceTypePatternsTheRequestCouldNotCarry) {
  SourceOptions options;
  options.instance_types = {"m5.*"};
  const auto page = page_of("DescribeSpotPriceHistory",
                            history(item("m5.large", "eu-west-1a", "0.04", "2026-11-24T12:00:00Z") +
                                    item("c5.large", "eu-west-1a", "0.03", "2026-11-24T12:00:00Z")));
  auto records = run(Dataset::spot_prices, page, options);
  ASSERT_TRUE(records.ok());
  const auto& rows = std::get<std::vector<SpotPriceRecord>>(records.value());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].instance_type, "m5.large");
}

TEST(SpotPriceNormalizer, BadValuesNameTheRegionActionAndRequest) {
  const SourceOptions options;
  for (const auto& [body, what] : std::vector<std::pair<std::string, std::string>>{
           {history(item("m5.large", "eu-west-1a", "cheap", "2026-11-24T12:00:00Z")), "<spotPrice> is not a price: 'cheap'"},
           {history(item("m5.large", "eu-west-1a", "0.04", "yesterday")), "<timestamp> is not a time: 'yesterday'"},
           {history("<item><instanceType>m5.large</instanceType></item>"), "lacks availabilityZone"},
           {history(item("m5.large", "eu-west-1a", "0.04", "2026-11-24T12:00:00Z")).substr(0, 200), ""},
       }) {
    SCOPED_TRACE(body);
    auto records = run(Dataset::spot_prices, page_of("DescribeSpotPriceHistory", body), options);
    ASSERT_FALSE(records.ok());
    const std::string line = records.error().describe();
    EXPECT_NE(line.find("eu-west-1"), std::string::npos) << line;
    EXPECT_NE(line.find("DescribeSpotPriceHistory"), std::string::npos) << line;
    EXPECT_NE(line.find("req-7"), std::string::npos) << line;
    EXPECT_NE(line.find(what), std::string::npos) << line;
  }
}

TEST(SpotSources, AskForTheWindowTheProductsAndAThousandAtATime) {
  SourceOptions options;
  options.instance_types = {"m5.large"};
  options.product_descriptions = {"Linux/UNIX (Amazon VPC)", "Windows (Amazon VPC)"};
  options.spot_start = *parse_rfc3339("2026-11-23T00:00:00Z");
  options.spot_end = *parse_rfc3339("2026-11-24T00:00:00Z");
  const auto sources = spot_sources("eu-west-1", options);
  ASSERT_EQ(sources.size(), 1u);
  const auto first = sources[0]->first();
  EXPECT_EQ(first.action, "DescribeSpotPriceHistory");
  const auto params = params_of(first);
  EXPECT_EQ(params.at("MaxResults"), "1000");
  EXPECT_EQ(params.at("InstanceType.1"), "m5.large");
  EXPECT_EQ(params.at("ProductDescription.1"), "Linux%2FUNIX%20%28Amazon%20VPC%29");
  EXPECT_EQ(params.at("ProductDescription.2"), "Windows%20%28Amazon%20VPC%29");
  EXPECT_EQ(params.at("StartTime"), "2026-11-23T00%3A00%3A00Z");
  EXPECT_EQ(params.at("EndTime"), "2026-11-24T00%3A00%3A00Z");

  // EC2 ends the chain with an empty <nextToken/>; a token continues it.
  EXPECT_FALSE(sources[0]->next(first, history("", "<nextToken/>")));
  const auto next = sources[0]->next(first, history("", "<nextToken>abc</nextToken>"));
  ASSERT_TRUE(next);
  EXPECT_EQ(params_of(*next).at("NextToken"), "abc");
}

TEST(SpotSources, BatchExactTypesOrTheOfferedTypesThatMatch) {
  SourceOptions options;
  options.spot_batch_size = 2;
  options.instance_types = {"a.1", "b.1", "c.1", "d.1", "e.1"};
  EXPECT_EQ(spot_sources("eu-west-1", options).size(), 3u);

  options.instance_types = {"m5.*"};
  options.offered_types = std::make_shared<const std::map<std::string, std::vector<std::string>>>(
      std::map<std::string, std::vector<std::string>>{{"eu-west-1", {"c5.large", "m5.large", "m5.xlarge", "m5.2xlarge"}}});
  const auto matched = spot_sources("eu-west-1", options);
  ASSERT_EQ(matched.size(), 2u);
  EXPECT_EQ(params_of(matched[0]->first()).at("InstanceType.1"), "m5.large");
  EXPECT_EQ(params_of(matched[1]->first()).at("InstanceType.1"), "m5.2xlarge");
  EXPECT_EQ(params_of(matched[1]->first()).count("InstanceType.2"), 0u);

  options.instance_types = {"x9.*"};
  EXPECT_TRUE(spot_sources("eu-west-1", options).empty()) << "nothing offered matches: nothing to ask";

  // A region whose types are unknown gets one request for every type.
  const auto unknown = spot_sources("us-west-2", options);
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(params_of(unknown[0]->first()).count("InstanceType.1"), 0u);
}

constexpr const char* kAdvisor = R"({
  "ranges": [{"index": 0, "label": "<5%", "dots": 0, "max": 5}, {"index": 1, "label": "5-10%", "dots": 1, "max": 11},
             {"index": 4, "label": ">20%", "dots": 4, "max": 100}],
  "instance_types": {"m5.large": {"emr": true, "cores": 2, "ram_gb": 8.0}},
  "spot_advisor": {
    "eu-west-1": {"Linux": {"m5.large": {"s": 62, "r": 1}, "c5.large": {"s": 70, "r": 4}},
                  "Windows": {"m5.large": {"s": 45, "r": 0}}},
    "us-east-1": {"Linux": {"m5.large": {"s": 60, "r": 0}}}
  }
})";

TEST(SpotAdvisorNormalizer, ReadsBandsWithBoundsFromTheirLabels) {
  SourceOptions options;
  options.prices.regions = {"eu-west-1"};
  const auto page = page_of("GetSpotAdvisorData", kAdvisor, "http://127.0.0.1/spot-advisor-data.json");
  auto records = run(Dataset::spot_advisor, page, options);
  ASSERT_TRUE(records.ok()) << records.error().describe();
  auto rows = std::get<std::vector<SpotAdvisorRecord>>(records.value());
  ASSERT_EQ(rows.size(), 3u) << "us-east-1 was not asked for";
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return std::tie(a.operating_system, a.instance_type) < std::tie(b.operating_system, b.instance_type);
  });
  const SpotAdvisorRecord& c5 = rows[0];
  EXPECT_EQ(c5.operating_system, "linux");
  EXPECT_EQ(c5.instance_type, "c5.large");
  EXPECT_EQ(c5.interruption_band, ">20%");
  EXPECT_EQ(c5.interruption_band_index, 4);
  EXPECT_EQ(c5.interruption_min_pct, 20);
  EXPECT_EQ(c5.interruption_max_pct, 100);
  EXPECT_EQ(c5.savings_pct, 70);
  const SpotAdvisorRecord& m5 = rows[1];
  EXPECT_EQ(m5.interruption_band, "5-10%");
  EXPECT_EQ(m5.interruption_min_pct, 5);
  EXPECT_EQ(m5.interruption_max_pct, 10) << "the label's bound, not the feed's 'max' of 11";
  EXPECT_EQ(rows[2].operating_system, "windows");
  EXPECT_EQ(rows[2].interruption_band, "<5%");
  EXPECT_EQ(rows[2].interruption_min_pct, 0);
  EXPECT_EQ(rows[2].interruption_max_pct, 5);
}

TEST(SpotAdvisorNormalizer, FiltersTypesAndOperatingSystems) {
  SourceOptions options;
  options.prices.instance_types = {"m5.*"};
  options.prices.operating_systems = {"windows"};
  auto records = run(Dataset::spot_advisor, page_of("GetSpotAdvisorData", kAdvisor, "http://x/a.json"), options);
  ASSERT_TRUE(records.ok());
  const auto& rows = std::get<std::vector<SpotAdvisorRecord>>(records.value());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].operating_system, "windows");
  EXPECT_EQ(rows[0].instance_type, "m5.large");
}

TEST(SpotAdvisorNormalizer, ABrokenFeedNamesTheUrlAndWhatIsWrong) {
  const SourceOptions options;
  const std::string url = "http://127.0.0.1/spot-advisor-data.json";
  for (const auto& [body, what] : std::vector<std::pair<std::string, std::string>>{
           {R"({"ranges": [], "spot_advisor": {"eu-west-1": {"Linux": {"m5.large": {"s": 62, "r": 3}}}}})",
            "m5.large: band 3 is not in ranges"},
           {R"({"ranges": [{"index": 0, "label": "<5%"}], "spot_advisor": {"eu-west-1": {"Linux": {"m5.large": {"s": 62}}}}})",
            "m5.large lacks s or r"},
           {R"({"spot_advisor": {}})", "no ranges array"},
           {R"({"ranges": [], "spot_advisor": {"eu-west-1": )", "malformed spot advisor feed"},
       }) {
    SCOPED_TRACE(body);
    auto records = run(Dataset::spot_advisor, page_of("GetSpotAdvisorData", body, url), options);
    ASSERT_FALSE(records.ok());
    const std::string line = records.error().describe();
    EXPECT_NE(line.find(what), std::string::npos) << line;
    EXPECT_NE(line.find("GetSpotAdvisorData"), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace pricepipe::stages
