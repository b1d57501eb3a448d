// A feed read as another account: its key, its needs and every request of
// its streams name the account; planning and decoding are the inner feed's.
#include "stages/sources/account_feed.h"

#include <gtest/gtest.h>

#include "stages/sources/ec2_describe_feed.h"
#include "stages/sources/spot_price_feed.h"

namespace pricepipe::stages {
namespace {

TEST(AccountFeed, EveryRequestOfItsStreamsIsAskedAsTheAccount) {
  const auto zones = std::make_shared<const DescribeAvailabilityZonesFeed>();
  const AccountFeed as_b("b", zones);
  EXPECT_NE(as_b.key(), zones->key());
  EXPECT_NE(as_b.key(), AccountFeed("c", zones).key());
  EXPECT_EQ(as_b.key(), AccountFeed("b", std::make_shared<const DescribeAvailabilityZonesFeed>()).key());
  EXPECT_EQ(as_b.describe(), "ec2 DescribeAvailabilityZones as b");
  EXPECT_EQ(as_b.regional(), zones->regional());

  auto planned = as_b.plan("eu-west-1", {});
  ASSERT_TRUE(planned.ok());
  ASSERT_EQ(planned.value().size(), 1u);
  const net::ApiRequest first = planned.value()[0].pages->first();
  EXPECT_EQ(first.account, "b");
  EXPECT_EQ(first.region, "eu-west-1");
  EXPECT_EQ(first.action, "DescribeAvailabilityZones");
  EXPECT_EQ(planned.value()[0].decoder, zones->plan("eu-west-1", {}).value()[0].decoder) << "decoded as the inner feed";
}

TEST(AccountFeed, ItsNeedsAreReadAsTheSameAccount) {
  // Spot batches are planned from the zones of the same account.
  const auto spot = std::make_shared<const SpotPriceFeed>(std::vector<std::string>{}, SpotWindow{});
  const AccountFeed spot_as_b("b", spot);
  ASSERT_EQ(spot_as_b.needs().size(), spot->needs().size());
  ASSERT_FALSE(spot_as_b.needs().empty());
  for (std::size_t i = 0; i < spot->needs().size(); ++i) {
    EXPECT_EQ(spot_as_b.needs()[i].feed->describe(), spot->needs()[i].feed->describe() + " as b");
    EXPECT_EQ(spot_as_b.needs()[i].required, spot->needs()[i].required);
  }

  const auto regions = std::make_shared<const DescribeRegionsFeed>();
  const AccountFeed as_b("b", regions);
  EXPECT_FALSE(as_b.regional());
  EXPECT_TRUE(as_b.needs().empty());
  const auto paged = as_b.plan("us-east-1", {}).value()[0].pages;
  const auto next = paged->next(paged->first(), "<DescribeRegionsResponse/>");
  EXPECT_FALSE(next.has_value()) << "DescribeRegions is one page";
}

}  // namespace
}  // namespace pricepipe::stages
