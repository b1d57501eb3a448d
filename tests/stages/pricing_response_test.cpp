// GetProducts pages through the parse and normalize stages.
#include <gtest/gtest.h>

#include <simdjson.h>

#include "core/json_writer.h"
#include "stages/sources/get_products_feed.h"
#include "stages/transforms/pricing_response_parser.h"
#include "tests/support/feeds.h"

namespace pricepipe::stages {
namespace {

net::Page page_of(std::string body) {
  net::Page p;
  p.request.service = "pricing";
  p.request.region = "eu-west-1";
  p.request.action = "GetProducts";
  p.request_id = "req-p";
  p.http_status = 200;
  p.body = std::move(body);
  return p;
}

std::string item(const std::string& sku, const std::string& os, const std::string& price) {
  return R"({\"product\":{\"productFamily\":\"Compute Instance\",\"attributes\":{\"regionCode\":\"eu-west-1\",\"instanceType\":\"m7g.large\",\"operatingSystem\":\")" +
         os + R"(\",\"tenancy\":\"Shared\",\"licenseModel\":\"No License required\",\"preInstalledSw\":\"NA\",\"capacitystatus\":\"Used\",\"usagetype\":\"EUW1-BoxUsage:m7g.large\",\"operation\":\"RunInstances\",\"marketoption\":\"OnDemand\"},\"sku\":\")" +
         sku + R"(\"},\"serviceCode\":\"AmazonEC2\",\"terms\":{\"OnDemand\":{\")" + sku +
         R"(.JRTCKXETXF\":{\"priceDimensions\":{\")" + sku + R"(.JRTCKXETXF.6YS6EN2CT7\":{\"unit\":\"Hrs\",\"rateCode\":\")" + sku +
         R"(.JRTCKXETXF.6YS6EN2CT7\",\"pricePerUnit\":{\"USD\":\")" + price +
         R"(\"}}},\"sku\":\")" + sku + R"(\",\"effectiveDate\":\"2026-10-01T00:00:00Z\",\"offerTermCode\":\"JRTCKXETXF\",\"termAttributes\":{}}}},\"version\":\"v\",\"publicationDate\":\"2026-11-01T00:00:00Z\"})";
}

Result<std::vector<OnDemandPriceRecord>> run(const std::string& body, const PriceFilter& filter = {}) {
  const net::Page page = page_of(body);
  auto records = testing::decode_with(GetProductsFeed(Dataset::on_demand_prices, filter, "us-east-1"), page);
  if (!records.ok()) return records.error();
  return std::get<std::vector<OnDemandPriceRecord>>(records.value());
}

TEST(PricingResponse, EveryItemBecomesATypedRecord) {
  auto r = run(R"({"FormatVersion":"aws_v1","PriceList":[")" + item("SKUA", "Linux", "0.0816000000") + R"(",")" +
               item("SKUB", "Windows", "0.1736000000") + R"("],"NextToken":"t"})");
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(r.value().size(), 2u);
  EXPECT_EQ(r.value()[0].sku, "SKUA");
  EXPECT_DOUBLE_EQ(r.value()[0].price_per_hour, 0.0816);
  EXPECT_EQ(r.value()[0].operating_system, "linux");
  EXPECT_EQ(r.value()[0].source, "api");
  EXPECT_EQ(r.value()[1].operating_system, "windows");
}

TEST(PricingResponse, TheFilterAppliesToItems) {
  PriceFilter filter;
  filter.operating_systems = {"windows"};
  auto r = run(R"({"FormatVersion":"aws_v1","PriceList":[")" + item("SKUA", "Linux", "0.08") + R"(",")" +
                   item("SKUB", "Windows", "0.17") + R"("]})",
               filter);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.value().size(), 1u);
  EXPECT_EQ(r.value()[0].sku, "SKUB");
}

// The envelope reader drops the backslashes of items whose only escapes are
// quotes and fully unescapes the others; both must give the item's exact text.
TEST(PricingResponse, ItemsComeBackExactlyWhateverTheirEscapes) {
  const std::vector<std::string> items = {
      R"({"a":"plain","b":[1,2,{"c":"d"}]})",
      R"({"description":"quote \"inside\", backslash \\ and \u00e9 \ud83d\ude00 \n\t\/"})",
      std::string(61, ' ') + R"({"edge":"x"})",  // escapes straddling 64-byte blocks
      std::string(62, ' ') + R"({"edge":"y"})",
      std::string(63, ' ') + R"({"edge":"z"})",
  };
  std::string body = R"({ "NextToken" : "t\"k", "Unknown": {"x":[1, "]"]}, "FormatVersion":"aws_v1", "PriceList" : [ )";
  std::vector<std::string> expected;
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::string escaped;
    JsonWriter w(escaped);
    w.string(items[i]);
    body += (i ? " , " : "") + escaped;
    // What a JSON parser reads back from the escaped form.
    simdjson::dom::parser parser;
    std::string_view decoded = parser.parse("[" + escaped + "]").get_array().at(0).get_string();
    expected.emplace_back(decoded);
  }
  body += " ] }";
  auto doc = PricingResponseParser().process(page_of(body));
  ASSERT_TRUE(doc.ok()) << doc.error().describe();
  ASSERT_EQ(doc.value().items.size(), items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(doc.value().items[i], expected[i]) << i;
    EXPECT_GE(doc.value().items[i].capacity(), doc.value().items[i].size() + simdjson::SIMDJSON_PADDING);
  }
}

TEST(PricingResponse, BrokenPagesNameTheRequestAndWhere) {
  auto not_json = run(R"({"FormatVersion":"aws_v1","PriceList":[)");
  ASSERT_FALSE(not_json.ok());
  EXPECT_EQ(not_json.error().context().request_id, "req-p");
  EXPECT_EQ(not_json.error().context().offset, 39) << "the end of what arrived";

  auto version = run(R"({"FormatVersion":"aws_v2","PriceList":[]})");
  ASSERT_FALSE(version.ok());
  EXPECT_NE(version.error().message().find("aws_v1"), std::string::npos);

  auto not_string = run(R"({"FormatVersion":"aws_v1","PriceList":[{"a":1}]})");
  ASSERT_FALSE(not_string.ok());
  EXPECT_NE(not_string.error().message().find("not a string"), std::string::npos);

  auto bad_item = run(R"({"FormatVersion":"aws_v1","PriceList":["{\"product\":"]})");
  ASSERT_FALSE(bad_item.ok());
  EXPECT_NE(bad_item.error().message().find("PriceList[0]"), std::string::npos) << bad_item.error().message();

  auto bad_price = run(R"({"FormatVersion":"aws_v1","PriceList":[")" + item("SKUA", "Linux", "free") + R"("]})");
  ASSERT_FALSE(bad_price.ok());
  EXPECT_NE(bad_price.error().message().find("'free'"), std::string::npos) << bad_price.error().message();

  auto empty = run("");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message().find("empty body"), std::string::npos);
}

}  // namespace
}  // namespace pricepipe::stages
