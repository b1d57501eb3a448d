// Spot history and advisor stages through the calls the graph makes: the
// sources' requests, the parsers, the normalizers and their
// errors.
#include <gtest/gtest.h>

#include "stages/sources/spot_advisor_feed.h"
#include "stages/sources/spot_price_feed.h"
#include "tests/support/feeds.h"

namespace pricepipe::stages {
namespace {

using testing::plan_feed;

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

// A spot history page of eu-west-1 through the decoder the graph plans for
// `types`, with the region's zones.
Result<RecordVector> run_spot(const net::Page& page, const std::vector<std::string>& types,
                              const std::map<std::string, std::string>& zone_ids = {}) {
  const SpotPriceFeed feed(types, SpotWindow{});
  std::vector<AvailabilityZoneRecord> zones;
  for (const auto& [zone, id] : zone_ids) zones.push_back({"eu-west-1", "", zone, id, "availability-zone", "available", "", {}, {}, {}});
  std::vector<std::vector<RecordVector>> needs;
  needs.push_back({RecordVector(std::move(zones))});
  auto streams = plan_feed(feed, "eu-west-1", std::move(needs));
  if (!streams.ok()) return streams.error();
  return streams.value().front().decoder->decode(page);
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
  const auto page = page_of("DescribeSpotPriceHistory",
                            history(item("m5.large", "eu-west-1a", "0.038100", "2026-11-24T12:00:00.000Z") +
                                    item("m5.large", "eu-west-1b", "0.0402", "2026-11-24T06:00:00.000Z")));
  auto records = run_spot(page, {"m5.large"}, {{"eu-west-1a", "euw1-az3"}});
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

TEST(SpotPriceNormalizer, KeepsToThePatternsWhateverTheEndpointSent) {
  const auto page = page_of("DescribeSpotPriceHistory",
                            history(item("m5.large", "eu-west-1a", "0.04", "2026-11-24T12:00:00Z") +
                                    item("c5.large", "eu-west-1a", "0.03", "2026-11-24T12:00:00Z")));
  auto records = run_spot(page, {"m5.*"});
  ASSERT_TRUE(records.ok());
  const auto& rows = std::get<std::vector<SpotPriceRecord>>(records.value());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].instance_type, "m5.large");
}

TEST(SpotPriceNormalizer, BadValuesNameTheRegionActionAndRequest) {
  for (const auto& [body, what] : std::vector<std::pair<std::string, std::string>>{
           {history(item("m5.large", "eu-west-1a", "cheap", "2026-11-24T12:00:00Z")), "<spotPrice> is not a price: 'cheap'"},
           {history(item("m5.large", "eu-west-1a", "0.04", "yesterday")), "<timestamp> is not a time: 'yesterday'"},
           {history("<item><instanceType>m5.large</instanceType></item>"), "lacks availabilityZone"},
           {history(item("m5.large", "eu-west-1a", "0.04", "2026-11-24T12:00:00Z")).substr(0, 200), ""},
       }) {
    SCOPED_TRACE(body);
    auto records = run_spot(page_of("DescribeSpotPriceHistory", body), {"m5.large"});
    ASSERT_FALSE(records.ok());
    const std::string line = records.error().describe();
    EXPECT_NE(line.find("eu-west-1"), std::string::npos) << line;
    EXPECT_NE(line.find("DescribeSpotPriceHistory"), std::string::npos) << line;
    EXPECT_NE(line.find("req-7"), std::string::npos) << line;
    EXPECT_NE(line.find(what), std::string::npos) << line;
  }
}

TEST(SpotSources, AskForTheWindowTheProductsAndAThousandAtATime) {
  SpotWindow window;
  window.product_descriptions = {"Linux/UNIX (Amazon VPC)", "Windows (Amazon VPC)"};
  window.start = *parse_rfc3339("2026-11-23T00:00:00Z");
  window.end = *parse_rfc3339("2026-11-24T00:00:00Z");
  auto planned = plan_feed(SpotPriceFeed({"m5.large"}, window), "eu-west-1");
  ASSERT_TRUE(planned.ok());
  std::vector<std::shared_ptr<const net::Paginator>> sources;
  for (const auto& s : planned.value()) sources.push_back(s.pages);
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

TEST(SpotSources, OneChainPerRegionNamingExactTypesOrFilteringOnPatterns) {
  // The first request of each stream planned for `types` in eu-west-1.
  auto plan = [](const std::vector<std::string>& types) {
    auto planned = plan_feed(SpotPriceFeed(types, SpotWindow{}), "eu-west-1");
    EXPECT_TRUE(planned.ok());
    std::vector<std::map<std::string, std::string>> out;
    if (planned.ok()) {
      for (const auto& s : planned.value()) out.push_back(params_of(s.pages->first()));
    }
    return out;
  };
  // Exact types are named, all in one chain: its pages are full but the last.
  const auto exact = plan({"a.1", "b.1", "c.1", "d.1", "e.1"});
  ASSERT_EQ(exact.size(), 1u);
  EXPECT_EQ(exact[0].at("InstanceType.1"), "a.1");
  EXPECT_EQ(exact[0].at("InstanceType.5"), "e.1");
  EXPECT_EQ(exact[0].count("Filter.1.Name"), 0u);

  // Patterns go to EC2's instance-type filter, which takes the same wildcards.
  const auto patterns = plan({"m5.*", "c?g.large"});
  ASSERT_EQ(patterns.size(), 1u);
  EXPECT_EQ(patterns[0].count("InstanceType.1"), 0u);
  EXPECT_EQ(patterns[0].at("Filter.1.Name"), "instance-type");
  EXPECT_EQ(patterns[0].at("Filter.1.Value.1"), "m5.%2A");
  EXPECT_EQ(patterns[0].at("Filter.1.Value.2"), "c%3Fg.large");

  // Every type: neither.
  const auto all = plan({});
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].count("InstanceType.1") + all[0].count("Filter.1.Name"), 0u);
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
  const auto page = page_of("GetSpotAdvisorData", kAdvisor, "http://127.0.0.1/spot-advisor-data.json");
  auto records = testing::read_as(testing::lower_source("spot-advisor", {{"regions", "eu-west-1"}}), page);
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
  auto records = testing::read_as(
      testing::lower_source("spot-advisor", {{"regions", "all"}, {"instance_types", "m5.*"}, {"os", "windows"}}),
      page_of("GetSpotAdvisorData", kAdvisor, "http://x/a.json"));
  ASSERT_TRUE(records.ok());
  const auto& rows = std::get<std::vector<SpotAdvisorRecord>>(records.value());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].operating_system, "windows");
  EXPECT_EQ(rows[0].instance_type, "m5.large");
}

TEST(SpotAdvisorNormalizer, ABrokenFeedNamesTheUrlAndWhatIsWrong) {
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
    auto records = testing::decode_with(SpotAdvisorFeed(url), page_of("GetSpotAdvisorData", body, url));
    ASSERT_FALSE(records.ok());
    const std::string line = records.error().describe();
    EXPECT_NE(line.find(what), std::string::npos) << line;
    EXPECT_NE(line.find("GetSpotAdvisorData"), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace pricepipe::stages
