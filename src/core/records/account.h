// What the datasets that differ by AWS account say of the account.
#pragma once

namespace pricepipe {

/// The `account_id` field of regions, availability-zones,
/// instance-type-offerings and spot-prices (DatasetInfo::per_account).
inline constexpr const char* kAccountIdDescription =
    "The AWS account the row was read in (12 digits): opt-in regions, zone names and what each zone offers "
    "differ by account (`--profiles`, `--role-arns`).";

}  // namespace pricepipe
