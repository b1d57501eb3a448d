// Inputs the fuzz targets (tests/fuzz) found, each ending in a clean error
// now: the exact crashing input where it is short, else the mutation that
// mattered applied to a real answer or entry.
#include <gtest/gtest.h>


#include "stages/sources/ec2_describe_feed.h"
#include "tests/support/feeds.h"

namespace pricepipe {
namespace {

net::Page zones_page(std::string body) {
  net::Page p;
  p.request.service = "ec2";
  p.request.region = "eu-west-1";
  p.request.action = "DescribeAvailabilityZones";
  p.http_status = 200;
  p.body = std::move(body);
  return p;
}

// ec2_xml_fuzz: a fakeaws DescribeAvailabilityZones answer with one byte of
// <zoneState> flipped to 0xEC. pugixml does not check the encoding, so the
// record carried the byte into NDJSON that no JSON parser accepts.
TEST(FuzzRegressions, Ec2TextThatIsNotUtf8IsAMalformedResponse) {
  const std::string body =
      R"(<?xml version="1.0" encoding="UTF-8"?>)"
      "\n"
      R"(<DescribeAvailabilityZonesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>ecf4136f-e5d5-41bd-bacd-f552bc49721e</requestId><availabilityZoneInfo><item><zoneName>eu-west-1a</zoneName><zoneId>euw1-az1</zoneId><zoneState>avai)"
      "\xec"
      R"(able</zoneState><regionName>eu-west-1</regionName><groupName>eu-west-1</groupName><optInStatus>opt-in-not-required</optInStatus><networkBorderGroup>eu-west-1</networkBorderGroup><zoneType>availability-zone</zoneType></item></availabilityZoneInfo></DescribeAvailabilityZonesResponse>)";
  auto records = testing::decode_with(stages::DescribeAvailabilityZonesFeed(), zones_page(body));
  ASSERT_FALSE(records.ok());
  EXPECT_EQ(records.error().code(), ErrorCode::malformed_response);
  EXPECT_NE(records.error().message().find("zoneState>: expected UTF-8 text, got bytes that are not UTF-8"),
            std::string::npos)
      << records.error().message();
  EXPECT_EQ(records.error().context().request_id, "ecf4136f-e5d5-41bd-bacd-f552bc49721e");
}

// The same through a character reference: pugixml writes &#xD800; (a lone
// surrogate, which XML forbids) as the three bytes ED A0 80.
TEST(FuzzRegressions, Ec2CharacterReferenceToASurrogateIsAMalformedResponse) {
  const std::string body =
      "<DescribeAvailabilityZonesResponse><availabilityZoneInfo><item><zoneName>eu-west-1a</zoneName>"
      "<zoneId>euw1-az1</zoneId><zoneState>&#xD800;</zoneState></item></availabilityZoneInfo>"
      "</DescribeAvailabilityZonesResponse>";
  auto records = testing::decode_with(stages::DescribeAvailabilityZonesFeed(), zones_page(body));
  ASSERT_FALSE(records.ok());
  EXPECT_EQ(records.error().code(), ErrorCode::malformed_response);
  EXPECT_NE(records.error().message().find("not UTF-8"), std::string::npos) << records.error().message();

  // Non-ASCII text that is UTF-8 stays as it is.
  const std::string fine =
      "<DescribeAvailabilityZonesResponse><availabilityZoneInfo><item><zoneName>sa-east-1a</zoneName>"
      "<zoneId>sae1-az1</zoneId><zoneState>dispon\xc3\xadvel &#xE9;</zoneState></item></availabilityZoneInfo>"
      "</DescribeAvailabilityZonesResponse>";
  auto ok = testing::decode_with(stages::DescribeAvailabilityZonesFeed(), zones_page(fine));
  ASSERT_TRUE(ok.ok()) << ok.error().describe();
  EXPECT_EQ(std::get<std::vector<AvailabilityZoneRecord>>(ok.value()).at(0).state, "dispon\xc3\xadvel \xc3\xa9");
}

}  // namespace
}  // namespace pricepipe
