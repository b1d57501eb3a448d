// The datasets pricepipe produces, and the typed batches that carry them.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/records/catalog.h"
#include "core/records/choice.h"
#include "core/records/instance_type.h"
#include "core/records/instance_type_offering.h"
#include "core/records/price.h"
#include "core/records/price_change.h"
#include "core/records/region.h"
#include "core/records/spot.h"

namespace pricepipe {

enum class Dataset {
  regions,
  availability_zones,
  instance_types,
  instance_type_offerings,
  on_demand_prices,
  reserved_prices,
  savings_plans_rates,
  spot_prices,
  spot_advisor,
  catalog,
  price_changes,
  choices,
};

struct DatasetInfo {
  Dataset id;
  std::string_view name;  ///< as typed on the command line: `instance-types`
  std::string_view summary;
  bool regional;  ///< fetched once per region (false: once per run)
  bool priced;    ///< comes from the Price List (Pricing API or bulk offer files)
  bool fetched = true;  ///< read from AWS (false: derived from snapshots, as price-changes by `diff`)
  /// What it says differs by AWS account (opt-in regions, zone names, zone
  /// offerings, spot history): read once per account of `--profiles` or
  /// `--role-arns`, its records carry `account_id`.
  bool per_account = false;
};

/// Every dataset, in documentation order.
std::span<const DatasetInfo> all_datasets();
const DatasetInfo& info(Dataset dataset);
std::optional<Dataset> dataset_from_name(std::string_view name);

/// Records of one dataset, all from one page.
using RecordVector =
    std::variant<std::vector<RegionRecord>, std::vector<AvailabilityZoneRecord>, std::vector<InstanceTypeRecord>,
                 std::vector<InstanceTypeOfferingRecord>, std::vector<OnDemandPriceRecord>,
                 std::vector<ReservedPriceRecord>, std::vector<SavingsPlansRateRecord>, std::vector<SpotPriceRecord>,
                 std::vector<SpotAdvisorRecord>, std::vector<CatalogRecord>, std::vector<PriceChangeRecord>,
                 std::vector<ChoiceRecord>, std::vector<PriceListFile>>;

/// Calls `fn(static_cast<const Record*>(nullptr))` with the record type of `dataset`,
/// so generic code (schema printing, encoders) can be written once.
template <class Fn>
decltype(auto) visit_record_type(Dataset dataset, Fn&& fn) {
  switch (dataset) {
    case Dataset::regions: return fn(static_cast<const RegionRecord*>(nullptr));
    case Dataset::availability_zones: return fn(static_cast<const AvailabilityZoneRecord*>(nullptr));
    case Dataset::instance_types: return fn(static_cast<const InstanceTypeRecord*>(nullptr));
    case Dataset::instance_type_offerings: return fn(static_cast<const InstanceTypeOfferingRecord*>(nullptr));
    case Dataset::on_demand_prices: return fn(static_cast<const OnDemandPriceRecord*>(nullptr));
    case Dataset::reserved_prices: return fn(static_cast<const ReservedPriceRecord*>(nullptr));
    case Dataset::savings_plans_rates: return fn(static_cast<const SavingsPlansRateRecord*>(nullptr));
    case Dataset::spot_prices: return fn(static_cast<const SpotPriceRecord*>(nullptr));
    case Dataset::spot_advisor: return fn(static_cast<const SpotAdvisorRecord*>(nullptr));
    case Dataset::catalog: return fn(static_cast<const CatalogRecord*>(nullptr));
    case Dataset::price_changes: return fn(static_cast<const PriceChangeRecord*>(nullptr));
    case Dataset::choices: return fn(static_cast<const ChoiceRecord*>(nullptr));
  }
  return fn(static_cast<const RegionRecord*>(nullptr));
}

/// The dataset whose records `records` holds; nullopt for records no dataset
/// yields (PriceListFile, read by planning).
std::optional<Dataset> dataset_of(const RecordVector& records);

/// Sets `account_id` on records of a per-account dataset; others have none.
void set_account_id(RecordVector& records, const std::string& account_id);

inline std::size_t size_of(const RecordVector& records) {
  return std::visit([](const auto& v) { return v.size(); }, records);
}

}  // namespace pricepipe
