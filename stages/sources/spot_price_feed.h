// Spot price history of a region (DescribeSpotPriceHistory) in one
// pagination chain: the exact types asked for, else EC2's `instance-type`
// filter with the patterns, so EC2 pages through only what is wanted and
// every page but the last is full — the fewest requests the records allow
// (chains per type batch or per zone each end in a part-filled page: 2.3x
// and 1.2x as many on fakeaws's world). Regions and the other datasets'
// chains run beside it.
//
// Needs: DescribeAvailabilityZones, for zone ids (optional: without it the
// records' zone_id is null, with a warning).
#pragma once

#include <string>
#include <vector>

#include "core/schema.h"
#include "stages/sources/feed.h"

namespace pricepipe::stages {

/// The window and products of a spot history request.
struct SpotWindow {
  std::vector<std::string> product_descriptions = {"Linux/UNIX (Amazon VPC)"};
  Timestamp start;
  Timestamp end;
  /// How the window's ends follow the clock (`now`, `now-86400s`), empty
  /// when fixed: cache keys and feed keys use these.
  std::string start_label;
  std::string end_label;
};

class SpotPriceFeed final : public Feed {
 public:
  SpotPriceFeed(std::vector<std::string> instance_types, SpotWindow window);

  std::string key() const override;
  std::string describe() const override { return "ec2 DescribeSpotPriceHistory"; }
  bool regional() const override { return true; }
  bool signed_requests() const override { return true; }
  std::vector<FeedNeed> needs() const override;
  /// The window asked for (`start`, `end`, RFC 3339) and the products.
  std::vector<std::pair<std::string, std::string>> version() const override;
  Result<std::vector<StreamPlan>> plan(const std::string& region, const std::vector<NeedResult>& needs) const override;

 private:
  std::vector<std::string> instance_types_;
  bool exact_;
  SpotWindow window_;
};

}  // namespace pricepipe::stages
