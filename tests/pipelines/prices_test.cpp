// Price datasets end to end against fakeaws: the Pricing API and the bulk
// Price List agree record for record, downloads resume, and broken answers
// and files end the run with the page or file and the byte offset.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <fstream>
#include <map>
#include <set>

#include "tests/support/fakeaws.h"
#include "tests/support/process.h"

namespace pricepipe::testing {
namespace {

ProcessResult pricepipe(FakeAws& fake, std::vector<std::string> args) {
  ProcessOptions p;
  p.argv = {pricepipe_binary()};
  p.argv.insert(p.argv.end(), args.begin(), args.end());
  p.env = fake.client_env();
  p.env["PRICEPIPE_PRICE_LIST_URL"] = fake.url();
  p.timeout = std::chrono::seconds(300);
  return run_process(p);
}

// Records keyed by `key`, with the fields that differ by source blanked.
std::map<std::string, std::string> by_key(const std::string& ndjson, const char* key) {
  std::map<std::string, std::string> out;
  simdjson::dom::parser parser;
  std::size_t start = 0;
  while (start < ndjson.size()) {
    const auto end = ndjson.find('\n', start);
    std::string line = ndjson.substr(start, end - start);
    start = end + 1;
    simdjson::dom::element rec = parser.parse(line);
    std::string id(rec[key].get_string().value());
    for (const char* source : {"\"source\":\"api\"", "\"source\":\"bulk\""}) {
      if (auto at = line.find(source); at != std::string::npos) line.replace(at, std::strlen(source), "\"source\":\"*\"");
    }
    EXPECT_TRUE(out.emplace(id, line).second) << key << " " << id << " twice";
  }
  return out;
}

std::vector<std::string> enabled_regions(FakeAws& fake) { return fake.parsed_world().enabled_regions; }

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

TEST(Prices, ApiAndBulkAgreeInEveryRegion) {
  FakeAws fake;
  const std::string regions = join(enabled_regions(fake));
  for (const char* dataset : {"on-demand-prices", "reserved-prices"}) {
    SCOPED_TRACE(dataset);
    const auto api = pricepipe(fake, {"stream", dataset, "--regions", regions, "--instance-types", "m5.large",
                                      "--price-source", "api"});
    ASSERT_EQ(api.exit_code, 0) << api.err;
    const auto bulk = pricepipe(fake, {"stream", dataset, "--regions", regions, "--instance-types", "m5.large",
                                       "--price-source", "bulk"});
    ASSERT_EQ(bulk.exit_code, 0) << bulk.err;
    const auto a = by_key(api.out, dataset == std::string("reserved-prices") ? "offer_term_code" : "sku");
    const auto b = by_key(bulk.out, dataset == std::string("reserved-prices") ? "offer_term_code" : "sku");
    EXPECT_GT(a.size(), enabled_regions(fake).size());
    EXPECT_EQ(a, b);
  }
}

TEST(Prices, ApiAndBulkAgreeOnAWholeRegion) {
  FakeAws fake;
  const auto api = pricepipe(fake, {"stream", "on-demand-prices", "--regions", "us-east-1", "--os", "linux",
                                    "--tenancy", "shared", "--price-source", "api"});
  ASSERT_EQ(api.exit_code, 0) << api.err;
  const auto bulk = pricepipe(fake, {"stream", "on-demand-prices", "--regions", "us-east-1", "--os", "linux",
                                     "--tenancy", "shared", "--price-source", "bulk"});
  ASSERT_EQ(bulk.exit_code, 0) << bulk.err;
  const auto a = by_key(api.out, "sku");
  EXPECT_GT(a.size(), 300u);
  EXPECT_EQ(a, by_key(bulk.out, "sku"));
  EXPECT_NE(api.err.find("endpoint http://"), std::string::npos) << api.err;
  EXPECT_NE(bulk.err.find("price list http://"), std::string::npos) << bulk.err;
}

TEST(Prices, RecordsAreTyped) {
  FakeAws fake;
  const auto r = pricepipe(fake, {"stream", "reserved-prices", "--regions", "us-east-1", "--instance-types", "m5.large",
                                  "--os", "linux", "--tenancy", "shared"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::parser parser;
  std::size_t n = 0;
  std::set<std::string> options;
  for (std::size_t start = 0; start < r.out.size();) {
    const auto end = r.out.find('\n', start);
    simdjson::dom::element rec = parser.parse(r.out.substr(start, end - start));
    start = end + 1;
    ++n;
    EXPECT_TRUE(rec["upfront_fee"].is_number());
    EXPECT_TRUE(rec["hourly"].is_number());
    EXPECT_TRUE(rec["lease_years"].is_int64());
    const double effective = rec["effective_hourly"].get_double();
    const double expected = rec["hourly"].get_double() +
                            rec["upfront_fee"].get_double() / (8760.0 * static_cast<double>(rec["lease_years"].get_int64()));
    EXPECT_NEAR(effective, expected, 1e-9);
    options.insert(std::string(rec["purchase_option"].get_string().value()) + "/" +
                   std::to_string(rec["lease_years"].get_int64().value()));
  }
  EXPECT_EQ(n, 6u);
  EXPECT_EQ(options, (std::set<std::string>{"all-upfront/1", "all-upfront/3", "no-upfront/1", "no-upfront/3",
                                            "partial-upfront/1", "partial-upfront/3"}));
}

TEST(Prices, SavingsPlansRatesComeFromTheBulkFiles) {
  FakeAws fake;
  const auto r = pricepipe(fake, {"stream", "savings-plans-rates", "--regions", "eu-west-1", "--instance-types", "m5.large"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> plans;
  simdjson::dom::parser parser;
  for (std::size_t start = 0; start < r.out.size();) {
    const auto end = r.out.find('\n', start);
    simdjson::dom::element rec = parser.parse(r.out.substr(start, end - start));
    start = end + 1;
    EXPECT_EQ(std::string_view(rec["instance_type"].get_string().value()), "m5.large");
    plans.insert(std::string(rec["plan_type"].get_string().value()));
  }
  EXPECT_EQ(plans, (std::set<std::string>{"compute", "ec2-instance"}));
  const auto api = pricepipe(fake, {"stream", "savings-plans-rates", "--regions", "eu-west-1", "--price-source", "api"});
  EXPECT_EQ(api.exit_code, 2) << api.err;
  EXPECT_NE(api.err.find("only from the bulk Price List"), std::string::npos) << api.err;
}

TEST(Prices, AnInterruptedDownloadResumesWithoutDuplicates) {
  FakeAws fake;
  const auto clean = pricepipe(fake, {"stream", "on-demand-prices", "--regions", "eu-west-1", "--price-source", "bulk"});
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  fake.clear_requests();
  fake.set_faults(R"({"faults":[{"path":"/offers/v1.0/aws/AmazonEC2/2","kind":"truncated","count":2}]})");
  const auto resumed = pricepipe(fake, {"stream", "on-demand-prices", "--regions", "eu-west-1", "--price-source", "bulk"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(resumed.out, clean.out);
  simdjson::dom::parser parser;
  const std::string log = fake.requests();
  int resumed_from_middle = 0;
  for (simdjson::dom::element entry : parser.parse(log).get_array()) {
    std::string_view path;
    if (entry["path"].get_string().get(path) != simdjson::SUCCESS || !path.ends_with("/eu-west-1/index.json")) continue;
    const std::int64_t from = entry["range_start"].get_int64();
    if (from > 0) ++resumed_from_middle;
    EXPECT_FALSE(from == 0 && entry["fault"].is_null()) << "the file was downloaded again from byte 0";
  }
  EXPECT_EQ(resumed_from_middle, 2);
}

TEST(Prices, AMalformedOfferFileNamesTheUrlAndOffset) {
  FakeAws fake;
  fake.set_faults(R"({"faults":[{"path":"/offers/v1.0/aws/AmazonEC2/2","kind":"malformed","count":5}]})");
  const auto r = pricepipe(fake, {"stream", "on-demand-prices", "--regions", "eu-west-1", "--price-source", "bulk"});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find("/eu-west-1/index.json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("at byte "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("incomplete"), std::string::npos) << r.err;
}

TEST(Prices, EmptyAndTruncatedLocalOfferFiles) {
  FakeAws fake;
  const std::string dir = temp_dir("offers");
  std::ofstream(dir + "/empty.json");
  auto r = pricepipe(fake, {"stream", "on-demand-prices", "--offer-file", dir + "/empty.json"});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find(dir + "/empty.json at byte 0: malformed JSON: empty document"), std::string::npos) << r.err;

  ProcessOptions gen;
  gen.argv = {"python3", source_dir() + "/tests/fakeaws/offer_generator.py", "--size", "3M", "--out", dir + "/offer.json"};
  ASSERT_EQ(run_process(gen).exit_code, 0);
  std::ifstream in(dir + "/offer.json");
  std::string whole((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(dir + "/truncated.json") << whole.substr(0, whole.size() * 4 / 5);
  r = pricepipe(fake, {"stream", "on-demand-prices", "--offer-file", dir + "/truncated.json"});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find("truncated"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("at byte " + std::to_string(whole.size() * 4 / 5)), std::string::npos) << r.err;

  r = pricepipe(fake, {"stream", "on-demand-prices", "--offer-file", dir + "/offer.json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(by_key(r.out, "sku").size(), 1000u);
}

TEST(Prices, ABrokenGetProductsPageNamesTheRequest) {
  FakeAws fake;
  fake.set_faults(R"({"faults":[{"action":"GetProducts","kind":"malformed","count":5}]})");
  const auto r = pricepipe(fake, {"stream", "on-demand-prices", "--regions", "eu-west-1", "--instance-types", "m5.large",
                                  "--price-source", "api"});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find("eu-west-1 GetProducts (request "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("at byte "), std::string::npos) << r.err;
}

TEST(Prices, ThrottlingExceptionsAreRetried) {
  FakeAws fake;
  fake.set_faults(R"({"faults":[{"action":"GetProducts","kind":"throttle","count":3}]})");
  const auto r = pricepipe(fake, {"stream", "on-demand-prices", "--regions", "eu-west-1", "--instance-types", "m5.large",
                                  "--price-source", "api"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find(" 0 throttled"), std::string::npos) << r.err;
  EXPECT_FALSE(r.out.empty());
}

TEST(Prices, AutoUsesTheApiForAFewExactTypesAndBulkOtherwise) {
  FakeAws fake;
  auto r = pricepipe(fake, {"stream", "on-demand-prices", "--regions", "eu-west-1", "--instance-types", "m5.large,c5.xlarge"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("endpoint http://"), std::string::npos) << r.err;
  r = pricepipe(fake, {"stream", "on-demand-prices", "--regions", "eu-west-1", "--instance-types", "m5.*"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("price list http://"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace pricepipe::testing
