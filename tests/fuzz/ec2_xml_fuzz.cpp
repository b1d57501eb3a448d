// EC2 query answers (XML) through the decoders the graph plans for each
// Describe* action, and the paginator's scan for the next token.
//
// Input: one selector byte, then the body. The selector's low bits pick the
// action (DescribeRegions, DescribeAvailabilityZones, DescribeInstanceTypes,
// DescribeInstanceTypeOfferings, DescribeSpotPriceHistory); bit 3 gives the
// spot feed an instance-type pattern, as `--instance-types 'm7g.*'` does.
#include <array>
#include <memory>

#include "stages/sources/ec2_describe_feed.h"
#include "stages/sources/spot_price_feed.h"
#include "tests/fuzz/fuzz_records.h"

namespace pricepipe::fuzz {
namespace {

constexpr const char* kRegion = "eu-west-1";

struct Decoder {
  std::string action;
  stages::StreamPlan stream;
};

stages::StreamPlan plan_one(const stages::Feed& feed, const std::vector<stages::NeedResult>& needs) {
  auto streams = feed.plan(kRegion, needs);
  if (!streams.ok() || streams.value().size() != 1) fail("planning a feed failed: " + feed.describe());
  return streams.value().front();
}

Decoder plain(const stages::Feed& feed, std::string action) { return Decoder{std::move(action), plan_one(feed, {})}; }

// The spot feed with the region's zones, so zone ids are looked up.
Decoder spot(std::vector<std::string> types) {
  static const std::vector<RecordVector> zones = {RecordVector(std::vector<AvailabilityZoneRecord>{
      {kRegion, "eu-west-1a", "euw1-az1", "availability-zone", "available", "opt-in-not-required", {}, {}, {}},
      {kRegion, "eu-west-1b", "euw1-az2", "availability-zone", "available", "opt-in-not-required", {}, {}, {}}})};
  const stages::SpotPriceFeed feed(std::move(types), stages::SpotWindow{});
  return Decoder{"DescribeSpotPriceHistory", plan_one(feed, {stages::NeedResult{&zones, nullptr}})};
}

const std::array<Decoder, 6>& decoders() {
  static const std::array<Decoder, 6> all = {
      plain(stages::DescribeRegionsFeed(), "DescribeRegions"),
      plain(stages::DescribeAvailabilityZonesFeed(), "DescribeAvailabilityZones"),
      plain(stages::DescribeInstanceTypesFeed(), "DescribeInstanceTypes"),
      plain(stages::DescribeInstanceTypeOfferingsFeed(), "DescribeInstanceTypeOfferings"),
      spot({}),
      spot({"m7g.*", "c7i.large"}),
  };
  return all;
}

}  // namespace
}  // namespace pricepipe::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  pricepipe::fuzz::quiet();
  pricepipe::fuzz::decoders();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pricepipe;
  if (size < 1) return 0;
  const std::uint8_t selector = data[0];
  std::size_t pick = selector % 5u;
  if (pick == 4 && (selector & 8u) != 0) pick = 5;
  const auto& decoder = fuzz::decoders()[pick];
  const net::Page page = fuzz::page_of("ec2", fuzz::kRegion, decoder.action, fuzz::bytes(data + 1, size - 1));

  const net::ApiRequest first = decoder.stream.pages->first();
  if (auto next = decoder.stream.pages->next(first, page.body)) {
    if (next->action != first.action || next->region != first.region) fuzz::fail("the next page changed action or region");
  }
  auto records = decoder.stream.decoder->decode(page);
  if (records.ok()) fuzz::check_records(records.value());
  return 0;
}
