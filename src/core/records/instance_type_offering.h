// Record of the `instance-type-offerings` dataset.
#pragma once

#include <optional>
#include <string>

#include "core/schema.h"

namespace pricepipe {

/// One instance type offered in one availability zone.
struct InstanceTypeOfferingRecord {
  std::string region;
  std::string instance_type;
  std::string zone;

  template <class V>
  static void describe(V&& v) {
    v("region", &InstanceTypeOfferingRecord::region, "Region code.");
    v("instance_type", &InstanceTypeOfferingRecord::instance_type, "Instance type, e.g. `m7g.large`.");
    v("zone", &InstanceTypeOfferingRecord::zone, "Availability zone name that offers the type.");
  }
};

}  // namespace pricepipe
