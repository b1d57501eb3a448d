// DescribeInstanceTypeOfferings by availability zone for one region, 1000 per
// page (AWS's maximum), optionally narrowed with the `instance-type` filter.
#pragma once

#include "stages/sources/ec2_query_source.h"

namespace pricepipe::stages {

class DescribeInstanceTypeOfferingsSource final : public Ec2QuerySource {
 public:
  static constexpr int kMaxResults = 1000;

  DescribeInstanceTypeOfferingsSource(std::string region, const std::vector<std::string>& instance_types)
      : Ec2QuerySource("DescribeInstanceTypeOfferings", std::move(region), {{"LocationType", "availability-zone"}},
                       instance_type_filters(instance_types), kMaxResults) {}
};

}  // namespace pricepipe::stages
