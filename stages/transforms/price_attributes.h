// Normalization of Price List attribute values, shared by the Pricing API
// and bulk offer-file stages: AWS's labels become the lower-case slugs the
// price records carry, so the two sources (and the instance-type records)
// join on equal values.
//
// Contract: pure functions, thread-safe. Unknown labels are slugged
// generically (lower case, words joined by '-') rather than rejected: AWS
// adds operating systems and capacity states over time.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/schema.h"

namespace pricepipe::stages::price {

/// "Linux" → linux, "Red Hat Enterprise Linux with HA" → rhel-ha, "SUSE" → suse, "Ubuntu Pro" → ubuntu-pro.
std::string operating_system(std::string_view label);
/// "Shared" → shared, "Dedicated" → dedicated, "Host" → host.
std::string tenancy(std::string_view label);
/// "No License required" → no-license-required, "Bring your own license" → bring-your-own-license.
std::string license_model(std::string_view label);
/// "SQL Std" → sql-std; "NA" (nothing installed) → nullopt.
std::optional<std::string> pre_installed_software(std::string_view label);
/// "UnusedCapacityReservation" → unused-capacity-reservation.
std::string capacity_status(std::string_view label);
/// "All Upfront" → all-upfront.
std::string purchase_option(std::string_view label);
/// "standard", "convertible".
std::string offering_class(std::string_view label);
/// "1yr", "3 yr", "1" → 1 / 3; nullopt when not a term length.
std::optional<int> lease_years(std::string_view label);
/// "0.0960000000" → 0.096; nullopt when not a finite non-negative decimal.
std::optional<double> parse_price(std::string_view text);

/// What an EC2 operation code says about the software, from AWS's billing
/// codes (RunInstances:0002 → Windows). Used where only the operation is
/// known, as in Savings Plans rates.
struct OperationInfo {
  std::string operating_system;
  std::optional<std::string> pre_installed_software;
  std::string license_model;
};
std::optional<OperationInfo> from_operation(std::string_view operation);

/// Tenancy from a usage type: `USE1-BoxUsage:m5.large` → shared,
/// `DedicatedUsage` → dedicated, `HostUsage` → host; nullopt otherwise.
std::optional<std::string> tenancy_from_usage_type(std::string_view usage_type);
/// The instance type after the ':' of a usage type, or empty.
std::string_view instance_type_from_usage_type(std::string_view usage_type);

/// Lower case, runs of spaces, underscores and punctuation → '-', camelCase split.
std::string slug(std::string_view label);

}  // namespace pricepipe::stages::price
