// Normalize stage for DescribeSpotPriceHistory: <spotPriceHistorySet> items
// → SpotPriceRecord, with zone ids from the region's zones when known.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/records/spot.h"
#include "stages/transforms/ec2_xml_parser.h"

namespace pricepipe::stages {

class SpotPriceNormalizer {
 public:
  static constexpr const char* kResultElement = "spotPriceHistorySet";

  /// `zone_ids`: zone name → zone id, for every region; may be empty.
  explicit SpotPriceNormalizer(const std::map<std::string, std::string>* zone_ids = nullptr) : zone_ids_(zone_ids) {}
  Result<std::vector<SpotPriceRecord>> process(const Ec2Document& doc, const net::Page& page) const;

 private:
  const std::map<std::string, std::string>* zone_ids_;
};

}  // namespace pricepipe::stages
