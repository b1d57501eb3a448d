// DescribeAvailabilityZones with AllAvailabilityZones=true, so Local and
// Wavelength Zones the account has not opted in to are listed too, with
// their status. Not paginated.
#pragma once

#include "stages/sources/ec2_query_source.h"

namespace pricepipe::stages {

class DescribeAvailabilityZonesSource final : public Ec2QuerySource {
 public:
  explicit DescribeAvailabilityZonesSource(std::string region)
      : Ec2QuerySource("DescribeAvailabilityZones", std::move(region), {{"AllAvailabilityZones", "true"}}, {},
                       std::nullopt) {}
};

}  // namespace pricepipe::stages
