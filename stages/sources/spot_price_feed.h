// Spot price history of a region (DescribeSpotPriceHistory), in batches of
// instance types: the exact types asked for, else the types the region
// offers that match the patterns (so requests name types and EC2 pages
// through only what is wanted). Zone ids come from the region's zones.
//
// Needs: DescribeInstanceTypeOfferings narrowed to the same patterns (not
// for exact types), and DescribeAvailabilityZones (optional: without it the
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
  SpotPriceFeed(std::vector<std::string> instance_types, SpotWindow window, std::size_t batch_size);

  std::string key() const override;
  std::string describe() const override { return "ec2 DescribeSpotPriceHistory"; }
  bool regional() const override { return true; }
  bool signed_requests() const override { return true; }
  std::vector<FeedNeed> needs() const override;
  Result<std::vector<StreamPlan>> plan(const std::string& region, const std::vector<NeedResult>& needs) const override;

 private:
  std::vector<std::string> instance_types_;
  bool exact_;
  SpotWindow window_;
  std::size_t batch_size_;
};

}  // namespace pricepipe::stages
