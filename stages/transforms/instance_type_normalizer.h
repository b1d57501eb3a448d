// Normalize stage for DescribeInstanceTypes: <instanceTypeSet> items →
// InstanceTypeRecord, flattened and typed.
//
// Contract: `process` is const, CPU-only and keeps no state, so any number
// of graph workers may call it at once. Element names are the botocore ec2
// model's `locationName`s (shape InstanceTypeInfo). MiB become GiB (/1024);
// each accelerator kind (GPU, Neuron, inference, FPGA, media) is read from
// its own element so they are never mixed up; a device list with several
// entries sums the counts, joins distinct models with `+` and keeps a
// per-device value only when every entry reports the same one. A missing
// optional element is null, never 0. An element that is present but does not
// hold what its type promises, an item without <instanceType>, or a type
// without vCPUs or memory makes the whole page a malformed-response Error
// naming region, action, request id, the instance type and the element.
#pragma once

#include <vector>

#include "core/records/instance_type.h"
#include "stages/transforms/ec2_xml_parser.h"

namespace pricepipe::stages {

/// DescribeInstanceTypes page → one InstanceTypeRecord per instance type.
class InstanceTypeNormalizer {
 public:
  /// The child of <DescribeInstanceTypesResponse> that holds the items.
  static constexpr const char* kResultElement = "instanceTypeSet";

  /// The records of one parsed page, in page order; `page` supplies the
  /// region and the error context.
  Result<std::vector<InstanceTypeRecord>> process(const Ec2Document& doc, const net::Page& page) const;
};

}  // namespace pricepipe::stages
