// A GetProducts page of 100 products, parsed and normalized: the issue's
// target is under 200 µs.
#include <benchmark/benchmark.h>

#include <fmt/format.h>

#include "core/json_writer.h"
#include "stages/sources/get_products_feed.h"

namespace {

using namespace pricepipe;

// A realistic item: the attributes AWS sends (about 40) and one on-demand term.
std::string item(int i) {
  const std::string sku = fmt::format("SKU{:013d}", i);
  std::string product = fmt::format(
      R"JSON({{"product":{{"productFamily":"Compute Instance","attributes":{{"enhancedNetworkingSupported":"Yes","intelTurboAvailable":"Yes","memory":"8 GiB","dedicatedEbsThroughput":"Up to 4750 Mbps","vcpu":"2","classicnetworkingsupport":"false","capacitystatus":"Used","locationType":"AWS Region","storage":"EBS only","instanceFamily":"General purpose","operatingSystem":"Linux","intelAvx2Available":"Yes","regionCode":"eu-west-1","physicalProcessor":"Intel Xeon Platinum 8175","clockSpeed":"3.1 GHz","ecu":"10","networkPerformance":"Up to 10 Gigabit","servicename":"Amazon Elastic Compute Cloud","gpuMemory":"NA","vpcnetworkingsupport":"true","instanceType":"m5.large","tenancy":"Shared","usagetype":"EUW1-BoxUsage:m5.large","normalizationSizeFactor":"4","intelAvx512Available":"Yes","processorFeatures":"Intel AVX; Intel AVX2; Intel AVX512; Intel Turbo","servicecode":"AmazonEC2","licenseModel":"No License required","currentGeneration":"Yes","preInstalledSw":"NA","location":"EU (Ireland)","processorArchitecture":"64-bit","marketoption":"OnDemand","operation":"RunInstances","availabilityzone":"NA"}},"sku":"{0}"}},"serviceCode":"AmazonEC2","terms":{{"OnDemand":{{"{0}.JRTCKXETXF":{{"priceDimensions":{{"{0}.JRTCKXETXF.6YS6EN2CT7":{{"unit":"Hrs","endRange":"Inf","description":"$0.107 per On Demand Linux m5.large Instance Hour","appliesTo":[],"rateCode":"{0}.JRTCKXETXF.6YS6EN2CT7","beginRange":"0","pricePerUnit":{{"USD":"0.1070000000"}}}}}},"sku":"{0}","effectiveDate":"2026-10-01T00:00:00Z","offerTermCode":"JRTCKXETXF","termAttributes":{{}}}}}}}},"version":"20261101000000","publicationDate":"2026-11-01T00:00:00Z"}})JSON",
      sku);
  return product;
}

net::Page page() {
  std::string body;
  JsonWriter w(body);
  w.begin_object();
  w.key("FormatVersion");
  w.string("aws_v1");
  w.key("PriceList");
  w.begin_array();
  for (int i = 0; i < 100; ++i) w.string(item(i));
  w.end_array();
  w.key("NextToken");
  w.string("token");
  w.end_object();
  net::Page p;
  p.request.region = "eu-west-1";
  p.request.action = "GetProducts";
  p.body = std::move(body);
  return p;
}

void BM_GetProductsPage(benchmark::State& state) {
  const net::Page p = page();
  // The decoder the graph runs on GetProducts pages (parse and normalize).
  const stages::GetProductsFeed feed(Dataset::on_demand_prices, {}, "us-east-1");
  const auto decoder = feed.plan("eu-west-1", {}).value().front().decoder;
  std::size_t records = 0;
  for (auto _ : state) {
    auto out = decoder->decode(p);
    records = size_of(out.value());
    benchmark::DoNotOptimize(records);
  }
  if (records != 100) state.SkipWithError("expected 100 records");
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * p.body.size()));
  state.counters["page_bytes"] = static_cast<double>(p.body.size());
}
BENCHMARK(BM_GetProductsPage)->Unit(benchmark::kMicrosecond);

}  // namespace
