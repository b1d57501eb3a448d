// Normalize stage for DescribeAvailabilityZones: <availabilityZoneInfo>
// items → AvailabilityZoneRecord.
#pragma once

#include <vector>

#include "core/records/region.h"
#include "stages/transforms/ec2_xml_parser.h"

namespace pricepipe::stages {

class AvailabilityZoneNormalizer {
 public:
  static constexpr const char* kResultElement = "availabilityZoneInfo";
  Result<std::vector<AvailabilityZoneRecord>> process(const Ec2Document& doc, const net::Page& page) const;
};

}  // namespace pricepipe::stages
