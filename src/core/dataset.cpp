#include "core/dataset.h"

#include <array>

namespace pricepipe {

namespace {

constexpr std::array<DatasetInfo, 12> kDatasets = {{
    {Dataset::regions, "regions", "Every region of the partition with its opt-in status and Price List name.", false, false, true, true},
    {Dataset::availability_zones, "availability-zones", "Availability, Local and Wavelength Zones of each region.", true, false, true, true},
    {Dataset::instance_types, "instance-types", "Every instance type offered in each region, with its specs flattened and typed.", true, false},
    {Dataset::instance_type_offerings, "instance-type-offerings", "Which instance types each availability zone offers.", true, false, true, true},
    {Dataset::on_demand_prices, "on-demand-prices",
     "On-demand hourly prices of EC2 instances: one record per (region, type, operating system, tenancy, license, "
     "pre-installed software, capacity status).", true, true},
    {Dataset::reserved_prices, "reserved-prices",
     "Reserved Instance prices: one record per product and (lease, offering class, purchase option), with upfront, "
     "hourly and effective hourly cost.", true, true},
    {Dataset::savings_plans_rates, "savings-plans-rates",
     "Savings Plans rates for EC2 instance usage: one record per (plan type, term, purchase option, region, type, "
     "operating system, tenancy).", true, true},
    {Dataset::spot_prices, "spot-prices",
     "Spot price history (DescribeSpotPriceHistory): one record per (region, zone, type, product description, "
     "timestamp); by default the price in effect now.", true, false, true, true},
    {Dataset::spot_advisor, "spot-advisor",
     "The Spot Instance Advisor: interruption band and savings per (region, operating system, type).", true, false},
    {Dataset::catalog, "catalog",
     "One row per offered (region, instance type): specs, zones, on-demand, spot (current and over the window), "
     "interruption band, reserved and Savings Plans rates, and prices per vCPU and GiB, each with its source and "
     "age, or null and why.", true, false},
    {Dataset::price_changes, "price-changes",
     "What changed between two snapshots (`pricepipe diff A B`, or written into a snapshot by `snapshot --changes`, "
     "and loaded with it): every price added, removed or changed in the price datasets and the catalog, with old and "
     "new value, absolute and percent change.", true, false, false},
    {Dataset::choices, "choices",
     "What `pricepipe select` answers: the (region, instance type, market) rows of the catalog that meet its "
     "requirements, ranked, with the price ranked by, the spot score and its components, and spot's break-even "
     "against on-demand, Reserved Instances and Savings Plans.", true, false, false},
}};

}  // namespace

std::span<const DatasetInfo> all_datasets() { return kDatasets; }

void set_account_id(RecordVector& records, const std::string& account_id) {
  std::visit(
      [&](auto& rows) {
        if constexpr (requires { rows.front().account_id; }) {
          for (auto& r : rows) r.account_id = account_id;
        }
      },
      records);
}

const DatasetInfo& info(Dataset dataset) {
  for (const auto& d : kDatasets) {
    if (d.id == dataset) return d;
  }
  return kDatasets.front();
}

std::optional<Dataset> dataset_of(const RecordVector& records) {
  std::optional<Dataset> out;
  std::visit(
      [&](const auto& rows) {
        using Row = typename std::remove_cvref_t<decltype(rows)>::value_type;
        for (const auto& d : kDatasets) {
          visit_record_type(d.id, [&](const auto* tag) {
            if constexpr (std::is_same_v<std::remove_cvref_t<decltype(*tag)>, Row>) out = d.id;
          });
        }
      },
      records);
  return out;
}

std::optional<Dataset> dataset_from_name(std::string_view name) {
  for (const auto& d : kDatasets) {
    if (d.name == name) return d.id;
  }
  return std::nullopt;
}

}  // namespace pricepipe
