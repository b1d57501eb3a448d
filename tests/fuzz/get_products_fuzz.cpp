// Pricing API answers (GetProducts pages of JSON 1.1) through the decoder
// the graph plans for on-demand and reserved prices, and the paginator's
// scan for the next token.
//
// Input: one selector byte, then the body. Bit 0 picks the dataset
// (on-demand-prices, reserved-prices); bit 1 adds a filter with a pattern
// and several operating systems, which the decoder applies itself.
#include <array>

#include "stages/sources/get_products_feed.h"
#include "tests/fuzz/fuzz_records.h"

namespace pricepipe::fuzz {
namespace {

constexpr const char* kRegion = "eu-west-1";

stages::StreamPlan plan(Dataset dataset, bool filtered) {
  stages::PriceFilter filter;
  if (filtered) {
    filter.instance_types = {"m7g.*", "c7i.large"};
    filter.operating_systems = {"linux", "windows"};
    filter.tenancies = {"shared"};
  }
  const stages::GetProductsFeed feed(dataset, filter, "us-east-1");
  auto streams = feed.plan(kRegion, {});
  if (!streams.ok() || streams.value().empty()) fail("planning GetProducts failed");
  return streams.value().front();
}

const std::array<stages::StreamPlan, 4>& streams() {
  static const std::array<stages::StreamPlan, 4> all = {
      plan(Dataset::on_demand_prices, false), plan(Dataset::reserved_prices, false),
      plan(Dataset::on_demand_prices, true), plan(Dataset::reserved_prices, true)};
  return all;
}

}  // namespace
}  // namespace pricepipe::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  pricepipe::fuzz::quiet();
  pricepipe::fuzz::streams();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pricepipe;
  if (size < 1) return 0;
  const auto& stream = fuzz::streams()[data[0] % 4u];
  const net::Page page = fuzz::page_of("pricing", fuzz::kRegion, "GetProducts", fuzz::bytes(data + 1, size - 1));

  const net::ApiRequest first = stream.pages->first();
  if (auto next = stream.pages->next(first, page.body)) {
    if (next->body.find("\"NextToken\"") == std::string::npos) fuzz::fail("a next page without its NextToken");
  }
  auto records = stream.decoder->decode(page);
  if (records.ok()) fuzz::check_records(records.value());
  return 0;
}
