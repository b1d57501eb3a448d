// DescribeInstanceTypes for one region, 100 per page (AWS's maximum),
// optionally narrowed with the `instance-type` filter (wildcards allowed).
#pragma once

#include "stages/sources/ec2_query_source.h"

namespace pricepipe::stages {

class DescribeInstanceTypesSource final : public Ec2QuerySource {
 public:
  static constexpr int kMaxResults = 100;

  DescribeInstanceTypesSource(std::string region, const std::vector<std::string>& instance_types)
      : Ec2QuerySource("DescribeInstanceTypes", std::move(region), {}, instance_type_filters(instance_types), kMaxResults) {}
};

}  // namespace pricepipe::stages
