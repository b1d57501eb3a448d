// Records of the `spot-prices` and `spot-advisor` datasets.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/records/account.h"
#include "core/schema.h"

namespace pricepipe {

/// One spot price observation: the price of a type in a zone from `timestamp` on.
struct SpotPriceRecord {
  std::string region;
  std::string account_id;
  std::string zone;
  std::optional<std::string> zone_id;
  std::string instance_type;
  std::string product_description;
  double price = 0;
  Timestamp timestamp;

  template <class V>
  static void describe(V&& v) {
    using R = SpotPriceRecord;
    v("region", &R::region, "Region code.");
    v("account_id", &R::account_id, kAccountIdDescription);
    v("zone", &R::zone, "Availability zone name.");
    v("zone_id", &R::zone_id, "Availability zone id (`use1-az1`); null when the zone is not in DescribeAvailabilityZones.");
    v("instance_type", &R::instance_type, "Instance type.");
    v("product_description", &R::product_description,
      "EC2's product description, e.g. `Linux/UNIX (Amazon VPC)`, `Windows (Amazon VPC)`.");
    v("price", &R::price, "Spot price per instance-hour in USD.");
    v("timestamp", &R::timestamp, "When this price took effect.");
  }
};

/// The Spot Instance Advisor's view of a type in a region for an OS.
struct SpotAdvisorRecord {
  std::string region;
  std::string operating_system;
  std::string instance_type;
  std::string interruption_band;
  std::int64_t interruption_band_index = 0;
  std::int64_t interruption_min_pct = 0;
  std::int64_t interruption_max_pct = 0;
  std::int64_t savings_pct = 0;

  template <class V>
  static void describe(V&& v) {
    using R = SpotAdvisorRecord;
    v("region", &R::region, "Region code.");
    v("operating_system", &R::operating_system, "`linux` or `windows`.");
    v("instance_type", &R::instance_type, "Instance type.");
    v("interruption_band", &R::interruption_band, "The advisor's frequency-of-interruption label: `<5%`, `5-10%`, `10-15%`, `15-20%`, `>20%`.");
    v("interruption_band_index", &R::interruption_band_index, "The band as 0 (least interrupted) to 4.");
    v("interruption_min_pct", &R::interruption_min_pct, "Lower bound of the band, percent of instances interrupted in the last month.");
    v("interruption_max_pct", &R::interruption_max_pct, "Upper bound of the band, percent.");
    v("savings_pct", &R::savings_pct, "The advisor's average savings over on-demand, percent.");
  }
};

}  // namespace pricepipe
