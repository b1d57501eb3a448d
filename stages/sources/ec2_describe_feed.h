// The EC2 Describe* feeds: a paginated query-API stream per region (or one,
// from the run's region, for DescribeRegions), each page parsed as XML and
// normalized into the action's records.
#pragma once

#include <string>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "stages/sources/describe_availability_zones_source.h"
#include "stages/sources/describe_instance_type_offerings_source.h"
#include "stages/sources/describe_instance_types_source.h"
#include "stages/sources/describe_regions_source.h"
#include "stages/sources/feed.h"
#include "stages/transforms/availability_zone_normalizer.h"
#include "stages/transforms/ec2_xml_parser.h"
#include "stages/transforms/instance_type_normalizer.h"
#include "stages/transforms/instance_type_offering_normalizer.h"
#include "stages/transforms/region_normalizer.h"

namespace pricepipe::stages {

/// An EC2 answer → the records `Normalizer` makes of it.
template <class Normalizer>
class Ec2PageDecoder final : public PageDecoder {
 public:
  Result<RecordVector> decode(const net::Page& page) const override {
    auto doc = parser_.process(page);
    if (!doc.ok()) return std::move(doc.error());
    auto records = normalizer_.process(doc.value(), page);
    if (!records.ok()) return std::move(records.error());
    return RecordVector(std::move(records.value()));
  }

 private:
  Ec2XmlParser parser_{Normalizer::kResultElement};
  Normalizer normalizer_;
};

/// `Source` is the action's paginator; it takes the instance types it is
/// narrowed to when its constructor does.
template <class Source, class Normalizer, bool kRegional = true>
class Ec2DescribeFeed final : public Feed {
 public:
  static constexpr bool kTakesTypes = std::is_constructible_v<Source, std::string, const std::vector<std::string>&>;

  explicit Ec2DescribeFeed(std::vector<std::string> instance_types = {}) : instance_types_(std::move(instance_types)) {}

  std::string key() const override { return fmt::format("ec2 {} types={}", action(), fmt::join(instance_types_, ",")); }
  std::string describe() const override { return "ec2 " + action(); }
  bool regional() const override { return kRegional; }
  bool signed_requests() const override { return true; }

  Result<std::vector<StreamPlan>> plan(const std::string& region, const std::vector<NeedResult>&) const override {
    StreamPlan stream;
    stream.pages = make(region);
    stream.decoder = decoder_;
    return std::vector<StreamPlan>{std::move(stream)};
  }

 private:
  std::shared_ptr<const Source> make(const std::string& region) const {
    if constexpr (kTakesTypes) {
      return std::make_shared<const Source>(region, instance_types_);
    } else {
      return std::make_shared<const Source>(region);
    }
  }
  std::string action() const { return make("")->action(); }

  std::vector<std::string> instance_types_;
  std::shared_ptr<const PageDecoder> decoder_ = std::make_shared<const Ec2PageDecoder<Normalizer>>();
};

using DescribeRegionsFeed = Ec2DescribeFeed<DescribeRegionsSource, RegionNormalizer, false>;
using DescribeAvailabilityZonesFeed = Ec2DescribeFeed<DescribeAvailabilityZonesSource, AvailabilityZoneNormalizer>;
using DescribeInstanceTypesFeed = Ec2DescribeFeed<DescribeInstanceTypesSource, InstanceTypeNormalizer>;
using DescribeInstanceTypeOfferingsFeed =
    Ec2DescribeFeed<DescribeInstanceTypeOfferingsSource, InstanceTypeOfferingNormalizer>;

}  // namespace pricepipe::stages
