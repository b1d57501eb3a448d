// Normalize stage for DescribeInstanceTypes: <instanceTypeSet> items →
// InstanceTypeRecord, flattened and typed. MiB become GiB, bandwidth is
// summed over network cards, and each accelerator kind (GPU, Neuron,
// inference, FPGA, media) is read from its own element so they are never
// mixed up.
#pragma once

#include <vector>

#include "core/records/instance_type.h"
#include "stages/transforms/ec2_xml_parser.h"

namespace pricepipe::stages {

class InstanceTypeNormalizer {
 public:
  static constexpr const char* kResultElement = "instanceTypeSet";
  Result<std::vector<InstanceTypeRecord>> process(const Ec2Document& doc, const net::Page& page) const;
};

}  // namespace pricepipe::stages
