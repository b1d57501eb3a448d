#include "stages/sources/get_products_source.h"

#include <gtest/gtest.h>

namespace pricepipe::stages {
namespace {

TEST(GetProductsSource, FirstRequestIsJson11WithTermMatchFilters) {
  GetProductsSource source("eu-west-1", "us-east-1", {{"regionCode", "eu-west-1"}, {"instanceType", "m7g.large"}});
  const net::ApiRequest r = source.first();
  EXPECT_EQ(r.service, "pricing");
  EXPECT_EQ(r.region, "eu-west-1");
  EXPECT_EQ(r.signing_region(), "us-east-1");
  EXPECT_EQ(r.action, "GetProducts");
  EXPECT_EQ(net::find_header(r.headers, "X-Amz-Target").value(), "AWSPriceListService.GetProducts");
  EXPECT_EQ(net::find_header(r.headers, "Content-Type").value(), "application/x-amz-json-1.1");
  EXPECT_EQ(r.body,
            R"({"ServiceCode":"AmazonEC2","FormatVersion":"aws_v1","MaxResults":100,"Filters":[)"
            R"({"Type":"TERM_MATCH","Field":"regionCode","Value":"eu-west-1"},)"
            R"({"Type":"TERM_MATCH","Field":"instanceType","Value":"m7g.large"}]})");
}

TEST(GetProductsSource, FollowsTheTopLevelNextTokenOnly) {
  GetProductsSource source("eu-west-1", "us-east-1", {{"regionCode", "eu-west-1"}});
  // A PriceList string that mentions NextToken (escaped) must not be taken for it.
  const std::string body =
      R"({"FormatVersion":"aws_v1","PriceList":["{\"NextToken\":\"fake\"}"],"NextToken":"abc\/def\"ghi=="})";
  auto next = source.next(source.first(), body);
  ASSERT_TRUE(next.has_value());
  EXPECT_NE(next->body.find(R"("NextToken":"abc/def\"ghi==")"), std::string::npos) << next->body;
  EXPECT_FALSE(source.next(source.first(), R"({"FormatVersion":"aws_v1","PriceList":["{\"NextToken\":\"fake\"}"]})"));
  EXPECT_FALSE(source.next(source.first(), R"({"PriceList":[],"NextToken":null})"));
  EXPECT_FALSE(source.next(source.first(), R"({"PriceList":[],"NextToken":""})"));
}

}  // namespace
}  // namespace pricepipe::stages
