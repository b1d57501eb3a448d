// What pricepipe knows about regions without asking AWS: partition, the
// Price List location name, geography, currency, and whether the region is
// one an account must opt in to. DescribeRegions stays the source of truth
// for which regions exist and are enabled; this table adds the names AWS's
// price data uses, which no EC2 API returns.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pricepipe {

struct RegionInfo {
  std::string_view code;
  std::string_view location;   ///< Price List `location`, e.g. "EU (Ireland)"
  std::string_view geography;  ///< "Europe", "Asia Pacific", ...
  bool opt_in_required;
};

/// The table entry for `code`, or nothing for a region not known yet.
std::optional<RegionInfo> find_region_info(std::string_view code);

/// `aws`, `aws-cn` or `aws-us-gov`, from the region code's prefix.
std::string partition_of(std::string_view region);

/// `CNY` in the China partition, else `USD`.
std::string currency_of(std::string_view region);

}  // namespace pricepipe
