// Offer files through the graph builder: products joined with terms that
// come after them, every price once, filters, Savings Plans files, and
// broken files that end the job with the file name and byte offset.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <map>
#include <set>

#include "graph/graph_builder.h"
#include "graph/plan.h"
#include "graph/session.h"
#include "stages/sinks/record_collector.h"
#include "tests/support/process.h"

namespace pricepipe::graph {
namespace {

struct Product {
  std::string sku, type, os, tenancy, capacity = "Used", software = "NA", family = "Compute Instance";
  double hourly = 0;
};

std::string sku_of(int i) { return fmt::format("SKU{:013d}", i); }

std::vector<Product> catalog(int n) {
  const char* types[] = {"m7g.large", "c7i.xlarge", "r6i.2xlarge", "t3.micro", "p4d.24xlarge"};
  const char* oses[] = {"Linux", "Windows", "RHEL", "SUSE"};
  const char* tenancies[] = {"Shared", "Dedicated", "Host"};
  std::vector<Product> out;
  for (int i = 0; i < n; ++i) {
    Product p;
    p.sku = sku_of(i);
    p.type = types[i % 5];
    p.os = oses[(i / 5) % 4];
    p.tenancy = tenancies[(i / 20) % 3];
    p.hourly = 0.01 * (i % 97 + 1);
    if (i % 11 == 0) p.capacity = "UnusedCapacityReservation";
    if (i % 13 == 0) p.software = "SQL Std";
    if (i % 17 == 0) p.family = "Storage";  // not an instance: must be skipped
    out.push_back(p);
  }
  return out;
}

std::string ec2_offer(const std::vector<Product>& products, bool with_terms = true) {
  std::string doc =
      "{\n  \"formatVersion\" : \"v1.0\",\n  \"offerCode\" : \"AmazonEC2\",\n  \"version\" : \"20261101000000\",\n"
      "  \"publicationDate\" : \"2026-11-01T12:00:00Z\",\n  \"products\" : {\n";
  for (std::size_t i = 0; i < products.size(); ++i) {
    const Product& p = products[i];
    doc += fmt::format(
        "    \"{0}\" : {{\n      \"sku\" : \"{0}\",\n      \"productFamily\" : \"{1}\",\n      \"attributes\" : {{\n"
        "        \"servicecode\" : \"AmazonEC2\",\n        \"location\" : \"EU (Ireland)\",\n        \"regionCode\" : \"eu-west-1\",\n"
        "        \"instanceType\" : \"{2}\",\n        \"operatingSystem\" : \"{3}\",\n        \"tenancy\" : \"{4}\",\n"
        "        \"licenseModel\" : \"No License required\",\n        \"preInstalledSw\" : \"{5}\",\n"
        "        \"capacitystatus\" : \"{6}\",\n        \"usagetype\" : \"EUW1-BoxUsage:{2}\",\n"
        "        \"operation\" : \"RunInstances\",\n        \"marketoption\" : \"OnDemand\"\n      }}\n    }}{7}\n",
        p.sku, p.family, p.type, p.os, p.tenancy, p.software, p.capacity, i + 1 < products.size() ? "," : "");
  }
  doc += "  }";
  if (!with_terms) return doc + "\n}\n";
  doc += ",\n  \"terms\" : {\n    \"OnDemand\" : {\n";
  for (std::size_t i = 0; i < products.size(); ++i) {
    const Product& p = products[i];
    doc += fmt::format(
        "      \"{0}\" : {{\n        \"{0}.JRTCKXETXF\" : {{\n          \"offerTermCode\" : \"JRTCKXETXF\",\n"
        "          \"sku\" : \"{0}\",\n          \"effectiveDate\" : \"2026-10-01T00:00:00Z\",\n"
        "          \"priceDimensions\" : {{\n            \"{0}.JRTCKXETXF.6YS6EN2CT7\" : {{\n"
        "              \"rateCode\" : \"{0}.JRTCKXETXF.6YS6EN2CT7\",\n              \"description\" : \"${1:.4f} per hour\",\n"
        "              \"beginRange\" : \"0\",\n              \"endRange\" : \"Inf\",\n              \"unit\" : \"Hrs\",\n"
        "              \"pricePerUnit\" : {{\n                \"USD\" : \"{1:.10f}\"\n              }},\n"
        "              \"appliesTo\" : [ ]\n            }}\n          }},\n          \"termAttributes\" : {{ }}\n        }}\n      }}{2}\n",
        p.sku, p.hourly, i + 1 < products.size() ? "," : "");
  }
  doc += "    },\n    \"Reserved\" : {\n";
  for (std::size_t i = 0; i < products.size(); ++i) {
    const Product& p = products[i];
    doc += fmt::format(
        "      \"{0}\" : {{ \"{0}.4NA7Y494T4\" : {{ \"offerTermCode\" : \"4NA7Y494T4\", \"sku\" : \"{0}\", "
        "\"effectiveDate\" : \"2026-10-01T00:00:00Z\", \"priceDimensions\" : {{ "
        "\"{0}.4NA7Y494T4.2TG2D8R56U\" : {{ \"unit\" : \"Quantity\", \"rateCode\" : \"a\", \"description\" : \"Upfront Fee\", \"pricePerUnit\" : {{ \"USD\" : \"{1:.4f}\" }} }}, "
        "\"{0}.4NA7Y494T4.6YS6EN2CT7\" : {{ \"unit\" : \"Hrs\", \"rateCode\" : \"b\", \"description\" : \"hourly\", \"pricePerUnit\" : {{ \"USD\" : \"{2:.4f}\" }} }} }}, "
        "\"termAttributes\" : {{ \"LeaseContractLength\" : \"1yr\", \"OfferingClass\" : \"standard\", \"PurchaseOption\" : \"Partial Upfront\" }} }} }}{3}\n",
        p.sku, p.hourly * 8760 * 0.3, p.hourly * 0.3, i + 1 < products.size() ? "," : "");
  }
  doc += "    }\n  }\n}\n";
  return doc;
}

// An offer file of a run: its name, and where its bytes come from.
struct OfferFileJob {
  Dataset dataset;
  std::string region;
  std::string name;
  ByteReader read;  // empty: the file at `name` on disk
  stages::PriceFilter filter;
};

// The file on disk, read as a run reads it.
ByteReader file_reader(const std::string&) { return {}; }

ByteReader memory_reader(std::string doc, std::size_t chunk = 70'000) {
  return [doc = std::move(doc), chunk](const std::function<Result<void>(std::string_view)>& consume) -> Result<void> {
    for (std::size_t at = 0; at < doc.size(); at += chunk) {
      auto r = consume(std::string_view(doc).substr(at, chunk));
      if (!r.ok()) return r;
    }
    return {};
  };
}

config::Value list_of(const std::vector<std::string>& items) { return config::Value::list(items, config::Location{}); }

// The files as one source of `dataset` (its `offer_file` option) into a collecting sink.
template <class Record>
std::pair<RunReport, std::vector<Record>> run_offer(Dataset dataset, std::vector<OfferFileJob> jobs) {
  config::PipelineSpec spec;
  spec.name = "offer files";
  config::NodeSpec source;
  source.id = "files";
  source.type = std::string(info(dataset).name);
  std::vector<std::string> names;
  for (const auto& j : jobs) names.push_back(j.name);
  source.options.emplace_back("offer_file", list_of(names));
  const stages::PriceFilter& filter = jobs.front().filter;
  if (!filter.instance_types.empty()) source.options.emplace_back("instance_types", list_of(filter.instance_types));
  if (!filter.operating_systems.empty()) source.options.emplace_back("os", list_of(filter.operating_systems));
  if (!filter.tenancies.empty()) source.options.emplace_back("tenancy", list_of(filter.tenancies));
  config::NodeSpec sink;
  sink.id = "out";
  sink.kind = config::NodeKind::sink;
  sink.type = "stdout";
  sink.inputs.emplace_back("files", config::Location{});
  spec.nodes = {source, sink};
  stages::LoweringContext context;
  context.env = [](const std::string&) { return std::nullopt; };
  context.default_region = "eu-west-1";
  const Plan plan = plan_pipeline(spec, context);

  SessionOptions session_options;
  session_options.cache.disabled = true;
  session_options.sign_requests = false;
  Session session(session_options);
  stages::RecordCollector<Record> collector;
  RunOptions options;
  options.sinks["out"] = &collector;
  options.open_file = [&jobs](const stages::OfferFilePlan& file) {
    for (const auto& j : jobs) {
      if (j.name == file.name) return j.read;
    }
    return ByteReader();
  };
  options.segment_bytes = 8192;  // many segments, to exercise ordering and the barrier
  options.segments_in_flight = 4;
  RunReport report = run_plan(plan, session, options);
  return {report, collector.records()};
}

TEST(OfferFiles, JoinsEveryOnDemandPriceWithItsProduct) {
  const auto products = catalog(600);
  auto [report, records] = run_offer<OnDemandPriceRecord>(
      Dataset::on_demand_prices, {OfferFileJob{Dataset::on_demand_prices, "eu-west-1", "mem://eu-west-1", memory_reader(ec2_offer(products)), {}}});
  ASSERT_TRUE(report.complete()) << (report.first_error() ? report.first_error()->describe() : "");
  std::map<std::string, const Product*> by_sku;
  for (const auto& p : products) {
    if (p.family == "Compute Instance") by_sku[p.sku] = &p;
  }
  ASSERT_EQ(records.size(), by_sku.size());
  std::set<std::string> seen;
  for (const auto& r : records) {
    ASSERT_TRUE(seen.insert(r.sku).second) << r.sku << " twice";
    const Product& p = *by_sku.at(r.sku);
    EXPECT_EQ(r.instance_type, p.type);
    EXPECT_DOUBLE_EQ(r.price_per_hour, std::stod(fmt::format("{:.10f}", p.hourly)));
    EXPECT_EQ(r.region, "eu-west-1");
    EXPECT_EQ(r.currency, "USD");
    EXPECT_EQ(r.source, "bulk");
    EXPECT_EQ(r.unit, "Hrs");
    ASSERT_TRUE(r.published_at.has_value());
    std::string published;
    append_rfc3339(published, *r.published_at);
    EXPECT_EQ(published, "2026-11-01T12:00:00Z");
  }
  const auto& windows = *std::find_if(records.begin(), records.end(), [](auto& r) { return r.sku == sku_of(5); });
  EXPECT_EQ(windows.operating_system, "windows");
  const auto& unused = *std::find_if(records.begin(), records.end(), [](auto& r) { return r.sku == sku_of(22); });
  EXPECT_EQ(unused.capacity_status, "unused-capacity-reservation");
  const auto& sql = *std::find_if(records.begin(), records.end(), [](auto& r) { return r.sku == sku_of(13); });
  EXPECT_EQ(sql.pre_installed_software.value(), "sql-std");
  EXPECT_FALSE(windows.pre_installed_software.has_value());
}

TEST(OfferFiles, ReservedPricesCarryUpfrontHourlyAndEffectiveHourly) {
  const auto products = catalog(50);
  auto [report, records] = run_offer<ReservedPriceRecord>(
      Dataset::reserved_prices, {OfferFileJob{Dataset::reserved_prices, "eu-west-1", "mem", memory_reader(ec2_offer(products)), {}}});
  ASSERT_TRUE(report.complete());
  ASSERT_FALSE(records.empty());
  for (const auto& r : records) {
    EXPECT_EQ(r.lease_years, 1);
    EXPECT_EQ(r.offering_class, "standard");
    EXPECT_EQ(r.purchase_option, "partial-upfront");
    EXPECT_NEAR(r.effective_hourly, r.hourly + r.upfront_fee / 8760, 1e-12);
    EXPECT_GT(r.upfront_fee, 0);
  }
}

TEST(OfferFiles, FiltersKeepOnlyWhatWasAskedFor) {
  const auto products = catalog(400);
  stages::PriceFilter filter;
  filter.instance_types = {"m7g.*", "t3.micro"};
  filter.operating_systems = {"linux"};
  filter.tenancies = {"shared"};
  auto [report, records] = run_offer<OnDemandPriceRecord>(
      Dataset::on_demand_prices, {OfferFileJob{Dataset::on_demand_prices, "eu-west-1", "mem", memory_reader(ec2_offer(products)), filter}});
  ASSERT_TRUE(report.complete());
  ASSERT_FALSE(records.empty());
  for (const auto& r : records) {
    EXPECT_TRUE(r.instance_type == "m7g.large" || r.instance_type == "t3.micro") << r.instance_type;
    EXPECT_EQ(r.operating_system, "linux");
    EXPECT_EQ(r.tenancy, "shared");
  }
}

TEST(OfferFiles, SeveralFilesAtOnceKeepTheirOwnProducts) {
  std::vector<OfferFileJob> jobs;
  for (int i = 0; i < 5; ++i) {
    jobs.push_back({Dataset::on_demand_prices, "eu-west-1", "mem" + std::to_string(i), memory_reader(ec2_offer(catalog(100 + i * 10)), 3000 + i), {}});
  }
  auto [report, records] = run_offer<OnDemandPriceRecord>(Dataset::on_demand_prices, jobs);
  ASSERT_TRUE(report.complete());
  std::size_t expected = 0;
  for (int i = 0; i < 5; ++i) {
    const auto products = catalog(100 + i * 10);
    const auto n = std::count_if(products.begin(), products.end(), [](auto& p) { return p.family == "Compute Instance"; });
    EXPECT_EQ(report.streams[static_cast<std::size_t>(i)].records, static_cast<std::uint64_t>(n));
    expected += static_cast<std::size_t>(n);
  }
  EXPECT_EQ(records.size(), expected);
}

TEST(OfferFiles, ATruncatedFileFailsWithItsNameAndOffset) {
  const std::string doc = ec2_offer(catalog(300));
  const std::string truncated = doc.substr(0, doc.size() * 3 / 4);
  auto [report, records] = run_offer<OnDemandPriceRecord>(
      Dataset::on_demand_prices, {OfferFileJob{Dataset::on_demand_prices, "eu-west-1", "https://pricing.example/eu-west-1/index.json", memory_reader(truncated), {}}});
  ASSERT_FALSE(report.complete());
  const Error* e = report.first_error();
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->code(), ErrorCode::malformed_response);
  EXPECT_EQ(e->context().file, "https://pricing.example/eu-west-1/index.json");
  EXPECT_EQ(e->context().offset, static_cast<std::int64_t>(truncated.size()));
  EXPECT_NE(e->describe().find("truncated"), std::string::npos) << e->describe();
}

TEST(OfferFiles, AMalformedEntryIsReportedAtItsByte) {
  std::string doc = ec2_offer(catalog(200));
  const auto at = doc.find("\"USD\" : \"", doc.find(sku_of(150) + ".JRTCKXETXF")) + 9;
  doc.replace(at, 4, "x.yz");
  auto [report, records] = run_offer<OnDemandPriceRecord>(
      Dataset::on_demand_prices, {OfferFileJob{Dataset::on_demand_prices, "eu-west-1", "bad.json", memory_reader(doc), {}}});
  ASSERT_FALSE(report.complete());
  const Error* e = report.first_error();
  ASSERT_NE(e, nullptr);
  EXPECT_NE(e->message().find("x.yz"), std::string::npos) << e->describe();
  EXPECT_EQ(e->context().file, "bad.json");
  EXPECT_GT(e->context().offset, 0);
  EXPECT_LE(e->context().offset, static_cast<std::int64_t>(at));
}

TEST(OfferFiles, BrokenJsonInsideAnEntryGetsAnExactOffset) {
  std::string doc = ec2_offer(catalog(100));
  const auto at = doc.find("\"operatingSystem\"", doc.find(sku_of(42)));
  doc.replace(at, 1, "#");
  auto [report, records] = run_offer<OnDemandPriceRecord>(
      Dataset::on_demand_prices, {OfferFileJob{Dataset::on_demand_prices, "eu-west-1", "bad.json", memory_reader(doc), {}}});
  ASSERT_FALSE(report.complete());
  const Error* e = report.first_error();
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->context().offset, static_cast<std::int64_t>(at)) << e->describe();
}

TEST(OfferFiles, AFileWithoutTermsIsAnError) {
  auto [report, records] = run_offer<OnDemandPriceRecord>(
      Dataset::on_demand_prices, {OfferFileJob{Dataset::on_demand_prices, "eu-west-1", "noterms.json", memory_reader(ec2_offer(catalog(20), false)), {}}});
  ASSERT_FALSE(report.complete());
  EXPECT_NE(report.first_error()->message().find("terms.OnDemand"), std::string::npos) << report.first_error()->describe();
  EXPECT_TRUE(records.empty());
}

TEST(OfferFiles, EmptyAndMissingFilesAreErrors) {
  auto [empty_report, a] = run_offer<OnDemandPriceRecord>(
      Dataset::on_demand_prices, {OfferFileJob{Dataset::on_demand_prices, "", "empty.json", memory_reader(""), {}}});
  ASSERT_FALSE(empty_report.complete());
  EXPECT_NE(empty_report.first_error()->message().find("empty document"), std::string::npos);
  EXPECT_EQ(empty_report.first_error()->context().file, "empty.json");

  auto [missing_report, b] = run_offer<OnDemandPriceRecord>(
      Dataset::on_demand_prices, {OfferFileJob{Dataset::on_demand_prices, "", "/nonexistent/offer.json", file_reader("/nonexistent/offer.json"), {}}});
  ASSERT_FALSE(missing_report.complete());
  EXPECT_EQ(missing_report.first_error()->code(), ErrorCode::io);
  EXPECT_NE(missing_report.first_error()->describe().find("/nonexistent/offer.json"), std::string::npos);
}

TEST(OfferFiles, ReadsLocalFiles) {
  const std::string dir = testing::temp_dir("offer");
  const std::string path = dir + "/index.json";
  std::ofstream(path) << ec2_offer(catalog(120));
  auto [report, records] = run_offer<OnDemandPriceRecord>(
      Dataset::on_demand_prices, {OfferFileJob{Dataset::on_demand_prices, "", path, file_reader(path), {}}});
  ASSERT_TRUE(report.complete()) << report.first_error()->describe();
  EXPECT_EQ(records.size(), 120u - 8u);  // every 17th product is not an instance
  EXPECT_EQ(records.front().region, "eu-west-1") << "the region comes from the products";
}

TEST(OfferFiles, SavingsPlansFilesYieldEc2InstanceRates) {
  const std::string doc = R"JSON({
  "version" : "20261101000000",
  "publicationDate" : "2026-11-01T00:00:00Z",
  "regionCode" : "eu-west-1",
  "products" : [ {
    "sku" : "PLANEC2M7G1YNU", "productFamily" : "EC2InstanceSavingsPlans", "serviceCode" : "ComputeSavingsPlans",
    "usageType" : "EC2SP:m7g.1yrNoUpfront", "operation" : "",
    "attributes" : { "purchaseOption" : "No Upfront", "granularity" : "hourly", "instanceType" : "m7g", "purchaseTerm" : "1yr", "locationType" : "AWS Region", "location" : "EU (Ireland)" }
  }, {
    "sku" : "PLANCOMPUTE3YAU", "productFamily" : "ComputeSavingsPlans", "serviceCode" : "ComputeSavingsPlans",
    "usageType" : "ComputeSP:3yrAllUpfront", "operation" : "",
    "attributes" : { "purchaseOption" : "All Upfront", "granularity" : "hourly", "purchaseTerm" : "3yr", "locationType" : "AWS Region", "location" : "Any" }
  } ],
  "terms" : {
    "savingsPlan" : [ {
      "sku" : "PLANEC2M7G1YNU", "description" : "1 year No Upfront m7g", "effectiveDate" : "2026-10-01T00:00:00Z",
      "leaseContractLength" : { "duration" : 1, "unit" : "year" },
      "rates" : [ {
        "discountedSku" : "X1", "discountedUsageType" : "EUW1-BoxUsage:m7g.large", "discountedOperation" : "RunInstances",
        "discountedServiceCode" : "AmazonEC2", "rateCode" : "PLANEC2M7G1YNU.X1", "unit" : "Hrs",
        "discountedRate" : { "price" : "0.0550", "currency" : "USD" }
      }, {
        "discountedSku" : "X2", "discountedUsageType" : "EUW1-DedicatedUsage:m7g.large", "discountedOperation" : "RunInstances:0002",
        "discountedServiceCode" : "AmazonEC2", "rateCode" : "PLANEC2M7G1YNU.X2", "unit" : "Hrs",
        "discountedRate" : { "price" : "0.1000", "currency" : "USD" }
      } ]
    }, {
      "sku" : "PLANCOMPUTE3YAU", "description" : "3 year All Upfront Compute", "effectiveDate" : "2026-10-01T00:00:00Z",
      "leaseContractLength" : { "duration" : 3, "unit" : "year" },
      "rates" : [ {
        "discountedSku" : "X3", "discountedUsageType" : "EUW1-Fargate-vCPU-Hours:perCPU", "discountedOperation" : "",
        "discountedServiceCode" : "AmazonECS", "rateCode" : "r3", "unit" : "Hrs",
        "discountedRate" : { "price" : "0.02", "currency" : "USD" }
      }, {
        "discountedSku" : "X4", "discountedUsageType" : "EUW1-BoxUsage:c7i.large", "discountedOperation" : "RunInstances:0010",
        "discountedServiceCode" : "AmazonEC2", "rateCode" : "r4", "unit" : "Hrs",
        "discountedRate" : { "price" : "0.0400", "currency" : "USD" }
      } ]
    } ]
  }
})JSON";
  auto [report, records] = run_offer<SavingsPlansRateRecord>(
      Dataset::savings_plans_rates, {OfferFileJob{Dataset::savings_plans_rates, "", "sp.json", memory_reader(doc, 100), {}}});
  ASSERT_TRUE(report.complete()) << report.first_error()->describe();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].plan_type, "ec2-instance");
  EXPECT_EQ(records[0].instance_family.value(), "m7g");
  EXPECT_EQ(records[0].instance_type, "m7g.large");
  EXPECT_EQ(records[0].operating_system, "linux");
  EXPECT_EQ(records[0].tenancy, "shared");
  EXPECT_EQ(records[0].term_years, 1);
  EXPECT_EQ(records[0].purchase_option, "no-upfront");
  EXPECT_DOUBLE_EQ(records[0].rate, 0.055);
  EXPECT_EQ(records[0].region, "eu-west-1");
  EXPECT_EQ(records[1].operating_system, "windows");
  EXPECT_EQ(records[1].tenancy, "dedicated");
  EXPECT_EQ(records[2].plan_type, "compute");
  EXPECT_FALSE(records[2].instance_family.has_value());
  EXPECT_EQ(records[2].operating_system, "rhel");
  EXPECT_EQ(records[2].term_years, 3);
}

}  // namespace
}  // namespace pricepipe::graph
