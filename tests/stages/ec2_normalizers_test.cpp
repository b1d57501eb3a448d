// The parse and normalize stages for the small EC2 datasets, and the parse
// stage's error paths, through the same calls the graph makes.
#include <gtest/gtest.h>

#include "stages/sources/ec2_describe_feed.h"
#include "tests/support/feeds.h"

namespace pricepipe::stages {
namespace {

using testing::decode_with;

net::Page page_of(const std::string& action, const std::string& region, std::string body) {
  net::Page p;
  p.request.service = "ec2";
  p.request.region = region;
  p.request.action = action;
  p.body = std::move(body);
  p.http_status = 200;
  return p;
}

template <class Record>
std::vector<Record> run(const Feed& feed, const net::Page& page) {
  auto records = decode_with(feed, page);
  EXPECT_TRUE(records.ok()) << records.error().describe();
  if (!records.ok()) return {};
  return std::get<std::vector<Record>>(records.value());
}

constexpr const char* kNs = " xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"";

TEST(RegionNormalizer, ReadsRegionsAndAddsPriceListNames) {
  const auto page = page_of("DescribeRegions", "us-east-1",
                            std::string("<DescribeRegionsResponse") + kNs +
                                "><requestId>r-1</requestId><regionInfo>"
                                "<item><regionName>eu-west-1</regionName><regionEndpoint>ec2.eu-west-1.amazonaws.com</regionEndpoint><optInStatus>opt-in-not-required</optInStatus></item>"
                                "<item><regionName>af-south-1</regionName><regionEndpoint>ec2.af-south-1.amazonaws.com</regionEndpoint><optInStatus>not-opted-in</optInStatus></item>"
                                "<item><regionName>xx-new-1</regionName><regionEndpoint>ec2.xx-new-1.amazonaws.com</regionEndpoint><optInStatus>opted-in</optInStatus></item>"
                                "</regionInfo></DescribeRegionsResponse>");
  const auto regions = run<RegionRecord>(DescribeRegionsFeed(), page);
  ASSERT_EQ(regions.size(), 3u);
  EXPECT_EQ(regions[0].region, "eu-west-1");
  EXPECT_TRUE(regions[0].enabled);
  EXPECT_EQ(regions[0].location.value(), "EU (Ireland)");
  EXPECT_EQ(regions[0].geography.value(), "Europe");
  EXPECT_EQ(regions[0].currency, "USD");
  EXPECT_EQ(regions[0].partition, "aws");
  EXPECT_FALSE(regions[1].enabled);
  EXPECT_TRUE(regions[2].enabled);
  EXPECT_FALSE(regions[2].location.has_value()) << "an unknown region has no location, not a guessed one";
}

TEST(AvailabilityZoneNormalizer, ReadsZonesIncludingLocalZones) {
  const auto page = page_of(
      "DescribeAvailabilityZones", "us-east-1",
      std::string("<DescribeAvailabilityZonesResponse") + kNs +
          "><requestId>r-2</requestId><availabilityZoneInfo>"
          "<item><zoneName>us-east-1a</zoneName><zoneId>use1-az1</zoneId><zoneState>available</zoneState><regionName>us-east-1</regionName>"
          "<groupName>us-east-1</groupName><optInStatus>opt-in-not-required</optInStatus><networkBorderGroup>us-east-1</networkBorderGroup><zoneType>availability-zone</zoneType><messageSet/></item>"
          "<item><zoneName>us-east-1-bos-1a</zoneName><zoneId>use1-bos1-az1</zoneId><zoneState>available</zoneState><regionName>us-east-1</regionName>"
          "<groupName>us-east-1-bos-1</groupName><optInStatus>not-opted-in</optInStatus><zoneType>local-zone</zoneType><parentZoneName>us-east-1a</parentZoneName></item>"
          "</availabilityZoneInfo></DescribeAvailabilityZonesResponse>");
  const auto zones = run<AvailabilityZoneRecord>(DescribeAvailabilityZonesFeed(), page);
  ASSERT_EQ(zones.size(), 2u);
  EXPECT_EQ(zones[0].zone_id, "use1-az1");
  EXPECT_EQ(zones[0].zone_type, "availability-zone");
  EXPECT_FALSE(zones[0].parent_zone.has_value());
  EXPECT_EQ(zones[1].zone_type, "local-zone");
  EXPECT_EQ(zones[1].parent_zone.value(), "us-east-1a");
  EXPECT_FALSE(zones[1].network_border_group.has_value());
}

TEST(InstanceTypeOfferingNormalizer, OneRecordPerTypeAndZone) {
  const auto page = page_of("DescribeInstanceTypeOfferings", "eu-west-1",
                            std::string("<DescribeInstanceTypeOfferingsResponse") + kNs +
                                "><requestId>r-3</requestId><instanceTypeOfferingSet>"
                                "<item><instanceType>m7g.large</instanceType><locationType>availability-zone</locationType><location>eu-west-1a</location></item>"
                                "<item><instanceType>m7g.large</instanceType><locationType>availability-zone</locationType><location>eu-west-1b</location></item>"
                                "</instanceTypeOfferingSet><nextToken>t</nextToken></DescribeInstanceTypeOfferingsResponse>");
  const auto offerings = run<InstanceTypeOfferingRecord>(DescribeInstanceTypeOfferingsFeed(), page);
  ASSERT_EQ(offerings.size(), 2u);
  EXPECT_EQ(offerings[1].region, "eu-west-1");
  EXPECT_EQ(offerings[1].instance_type, "m7g.large");
  EXPECT_EQ(offerings[1].zone, "eu-west-1b");
}

TEST(Ec2XmlParser, TruncatedBodyNamesRegionActionRequestIdAndOffset) {
  auto page = page_of("DescribeInstanceTypeOfferings", "eu-west-1",
                      std::string("<DescribeInstanceTypeOfferingsResponse") + kNs +
                          "><requestId>req-77</requestId><instanceTypeOfferingSet><item><instanceType>m7g.lar");
  page.request_id = "req-77";
  auto parsed = decode_with(DescribeInstanceTypeOfferingsFeed(), page);
  ASSERT_FALSE(parsed.ok());
  const Error& e = parsed.error();
  EXPECT_EQ(e.code(), ErrorCode::malformed_response);
  EXPECT_EQ(e.context().region, "eu-west-1");
  EXPECT_EQ(e.context().action, "DescribeInstanceTypeOfferings");
  EXPECT_EQ(e.context().request_id, "req-77");
  EXPECT_GT(e.context().offset, 0);
  EXPECT_NE(e.describe().find("at byte"), std::string::npos) << e.describe();
}

TEST(Ec2XmlParser, RejectsEmptyBodiesWrongRootsAndMissingResultSets) {
  auto empty = decode_with(DescribeRegionsFeed(), page_of("DescribeRegions", "us-east-1", ""));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message().find("empty body"), std::string::npos);

  auto wrong = decode_with(DescribeRegionsFeed(), page_of("DescribeRegions", "us-east-1", "<html><body>hi</body></html>"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message().find("expected <DescribeRegionsResponse>"), std::string::npos);

  auto missing = decode_with(DescribeRegionsFeed(), page_of("DescribeRegions", "us-east-1",
                                                      "<DescribeRegionsResponse><requestId>q-9</requestId></DescribeRegionsResponse>"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().context().request_id, "q-9");
  EXPECT_NE(missing.error().message().find("<regionInfo>"), std::string::npos);
}

TEST(Ec2XmlParser, AnErrorEnvelopeIsAnAwsError) {
  auto parsed = decode_with(DescribeRegionsFeed(), page_of("DescribeRegions", "us-east-1",
                                                     "<Response><Errors><Error><Code>InternalError</Code><Message>boom</Message>"
                                                     "</Error></Errors><RequestID>e-1</RequestID></Response>"));
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().context().aws_code, "InternalError");
  EXPECT_EQ(parsed.error().context().request_id, "e-1");
}

}  // namespace
}  // namespace pricepipe::stages
