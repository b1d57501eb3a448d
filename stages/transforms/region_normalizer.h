// Normalize stage for DescribeRegions: <regionInfo> items → RegionRecord,
// completed with the Price List location name and currency pricepipe knows.
#pragma once

#include <vector>

#include "core/records/region.h"
#include "stages/transforms/ec2_xml_parser.h"

namespace pricepipe::stages {

class RegionNormalizer {
 public:
  static constexpr const char* kResultElement = "regionInfo";
  Result<std::vector<RegionRecord>> process(const Ec2Document& doc, const net::Page& page) const;
};

}  // namespace pricepipe::stages
