// Record of the `instance-type-offerings` dataset.
#pragma once

#include <optional>
#include <string>

#include "core/records/account.h"
#include "core/schema.h"

namespace pricepipe {

/// One instance type offered in one availability zone.
struct InstanceTypeOfferingRecord {
  std::string region;
  std::string account_id;
  std::string instance_type;
  std::string zone;

  template <class V>
  static void describe(V&& v) {
    v("region", &InstanceTypeOfferingRecord::region, "Region code.");
    v("account_id", &InstanceTypeOfferingRecord::account_id, kAccountIdDescription);
    v("instance_type", &InstanceTypeOfferingRecord::instance_type, "Instance type, e.g. `m7g.large`.");
    v("zone", &InstanceTypeOfferingRecord::zone, "Availability zone name that offers the type.");
  }
};

}  // namespace pricepipe
