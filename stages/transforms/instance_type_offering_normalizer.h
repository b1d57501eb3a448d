// Normalize stage for DescribeInstanceTypeOfferings (LocationType
// availability-zone): <instanceTypeOfferingSet> items → one record per
// (type, zone).
#pragma once

#include <vector>

#include "core/records/instance_type_offering.h"
#include "stages/transforms/ec2_xml_parser.h"

namespace pricepipe::stages {

class InstanceTypeOfferingNormalizer {
 public:
  static constexpr const char* kResultElement = "instanceTypeOfferingSet";
  Result<std::vector<InstanceTypeOfferingRecord>> process(const Ec2Document& doc, const net::Page& page) const;
};

}  // namespace pricepipe::stages
