// DescribeRegions with AllRegions=true: every region of the partition, with
// its opt-in status. Not paginated.
#pragma once

#include "stages/sources/ec2_query_source.h"

namespace pricepipe::stages {

class DescribeRegionsSource final : public Ec2QuerySource {
 public:
  /// `region` is the endpoint asked; the answer covers the whole partition.
  explicit DescribeRegionsSource(std::string region)
      : Ec2QuerySource("DescribeRegions", std::move(region), {{"AllRegions", "true"}}, {}, std::nullopt) {}
};

}  // namespace pricepipe::stages
