#include "stages/sources/ec2_query_source.h"

#include <gtest/gtest.h>

#include "stages/sources/describe_instance_type_offerings_source.h"
#include "stages/sources/describe_instance_types_source.h"
#include "stages/sources/describe_regions_source.h"

namespace pricepipe::stages {
namespace {

TEST(Ec2QuerySource, FirstRequestIsAFormPostAtTheMaximumPageSize) {
  DescribeInstanceTypesSource source("eu-west-1", {});
  const net::ApiRequest r = source.first();
  EXPECT_EQ(r.service, "ec2");
  EXPECT_EQ(r.region, "eu-west-1");
  EXPECT_EQ(r.action, "DescribeInstanceTypes");
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/");
  EXPECT_EQ(r.body, "Action=DescribeInstanceTypes&Version=2016-11-15&MaxResults=100");
  EXPECT_EQ(net::find_header(r.headers, "content-type").value(), "application/x-www-form-urlencoded; charset=utf-8");
}

TEST(Ec2QuerySource, FiltersAreNumberedAndEncoded) {
  DescribeInstanceTypeOfferingsSource source("us-east-1", {"m7g.*", "c7i.large"});
  EXPECT_EQ(source.first().body,
            "Action=DescribeInstanceTypeOfferings&Version=2016-11-15&LocationType=availability-zone"
            "&Filter.1.Name=instance-type&Filter.1.Value.1=m7g.%2A&Filter.1.Value.2=c7i.large&MaxResults=1000");
}

TEST(Ec2QuerySource, NextPageCarriesTheTokenFoundInTheBody) {
  DescribeInstanceTypesSource source("eu-west-1", {});
  const auto first = source.first();
  const std::string body =
      "<DescribeInstanceTypesResponse><requestId>r</requestId><instanceTypeSet/>"
      "<nextToken>AAA+/=&amp;b</nextToken></DescribeInstanceTypesResponse>";
  auto next = source.next(first, body);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->body, first.body + "&NextToken=AAA%2B%2F%3D%26b");
}

TEST(Ec2QuerySource, StopsWithoutTokenOrWithAnEmptyOne) {
  DescribeInstanceTypesSource source("eu-west-1", {});
  EXPECT_FALSE(source.next(source.first(), "<R><instanceTypeSet/></R>").has_value());
  EXPECT_FALSE(source.next(source.first(), "<R><nextToken></nextToken></R>").has_value());
  EXPECT_FALSE(source.next(source.first(), "<R><nextToken>  </nextToken></R>").has_value());
  EXPECT_FALSE(source.next(source.first(), "<R><nextToken>abc").has_value()) << "a truncated token is not followed";
}

TEST(Ec2QuerySource, UnpaginatedActionsNeverAskForMore) {
  DescribeRegionsSource source("us-east-1");
  EXPECT_EQ(source.first().body, "Action=DescribeRegions&Version=2016-11-15&AllRegions=true");
  EXPECT_FALSE(source.next(source.first(), "<R><nextToken>x</nextToken></R>").has_value());
}

}  // namespace
}  // namespace pricepipe::stages
