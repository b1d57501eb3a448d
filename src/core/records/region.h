// Records of the `regions` and `availability-zones` datasets.
#pragma once

#include <optional>
#include <string>

#include "core/records/account.h"
#include "core/schema.h"

namespace pricepipe {

/// One region, as DescribeRegions (AllRegions=true) reports it.
struct RegionRecord {
  std::string region;
  std::string account_id;
  std::string partition;
  std::string opt_in_status;
  bool enabled = false;
  std::string endpoint;
  std::optional<std::string> location;
  std::optional<std::string> geography;
  std::string currency;

  template <class V>
  static void describe(V&& v) {
    v("region", &RegionRecord::region, "Region code, e.g. `us-east-1`.");
    v("account_id", &RegionRecord::account_id, kAccountIdDescription);
    v("partition", &RegionRecord::partition, "AWS partition: `aws`, `aws-cn` or `aws-us-gov`.");
    v("opt_in_status", &RegionRecord::opt_in_status,
      "`opt-in-not-required`, `opted-in` or `not-opted-in`, as EC2 reports it.");
    v("enabled", &RegionRecord::enabled,
      "True when the account can use the region (opt-in not required, or opted in).");
    v("endpoint", &RegionRecord::endpoint, "EC2 endpoint host EC2 reports for the region.");
    v("location", &RegionRecord::location,
      "The region's name in the AWS Price List (`location` attribute), e.g. `EU (Ireland)`; null for a region pricepipe does not know yet.");
    v("geography", &RegionRecord::geography,
      "Continent-level grouping: `North America`, `South America`, `Europe`, `Asia Pacific`, `Middle East`, `Africa`, `China`; null when unknown.");
    v("currency", &RegionRecord::currency, "Currency prices are quoted in: `USD`, or `CNY` in the China regions.");
  }
};

/// One availability zone, Local Zone or Wavelength Zone.
struct AvailabilityZoneRecord {
  std::string region;
  std::string account_id;
  std::string zone;
  std::string zone_id;
  std::string zone_type;
  std::string state;
  std::string opt_in_status;
  std::optional<std::string> group_name;
  std::optional<std::string> network_border_group;
  std::optional<std::string> parent_zone;

  template <class V>
  static void describe(V&& v) {
    v("region", &AvailabilityZoneRecord::region, "Region code.");
    v("account_id", &AvailabilityZoneRecord::account_id, kAccountIdDescription);
    v("zone", &AvailabilityZoneRecord::zone, "Zone name, e.g. `us-east-1a` (the mapping to physical zones differs per account).");
    v("zone_id", &AvailabilityZoneRecord::zone_id, "Zone id, e.g. `use1-az1`, the same physical zone in every account.");
    v("zone_type", &AvailabilityZoneRecord::zone_type, "`availability-zone`, `local-zone` or `wavelength-zone`.");
    v("state", &AvailabilityZoneRecord::state, "`available`, `information`, `impaired` or `unavailable`.");
    v("opt_in_status", &AvailabilityZoneRecord::opt_in_status, "`opt-in-not-required`, `opted-in` or `not-opted-in`.");
    v("group_name", &AvailabilityZoneRecord::group_name, "Zone group, e.g. `us-east-1` or `us-east-1-bos-1`.");
    v("network_border_group", &AvailabilityZoneRecord::network_border_group, "Network border group the zone advertises IP addresses from.");
    v("parent_zone", &AvailabilityZoneRecord::parent_zone, "For Local and Wavelength Zones, the parent zone name; null for availability zones.");
  }
};

}  // namespace pricepipe
