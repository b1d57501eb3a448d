#include "core/dataset.h"

#include <array>

namespace pricepipe {

namespace {

constexpr std::array<DatasetInfo, 7> kDatasets = {{
    {Dataset::regions, "regions", "Every region of the partition with its opt-in status and Price List name.", false, false},
    {Dataset::availability_zones, "availability-zones", "Availability, Local and Wavelength Zones of each region.", true, false},
    {Dataset::instance_types, "instance-types", "Every instance type offered in each region, with its specs flattened and typed.", true, false},
    {Dataset::instance_type_offerings, "instance-type-offerings", "Which instance types each availability zone offers.", true, false},
    {Dataset::on_demand_prices, "on-demand-prices",
     "On-demand hourly prices of EC2 instances: one record per (region, type, operating system, tenancy, license, "
     "pre-installed software, capacity status).", true, true},
    {Dataset::reserved_prices, "reserved-prices",
     "Reserved Instance prices: one record per product and (lease, offering class, purchase option), with upfront, "
     "hourly and effective hourly cost.", true, true},
    {Dataset::savings_plans_rates, "savings-plans-rates",
     "Savings Plans rates for EC2 instance usage: one record per (plan type, term, purchase option, region, type, "
     "operating system, tenancy).", true, true},
}};

}  // namespace

std::span<const DatasetInfo> all_datasets() { return kDatasets; }

const DatasetInfo& info(Dataset dataset) {
  for (const auto& d : kDatasets) {
    if (d.id == dataset) return d;
  }
  return kDatasets.front();
}

std::optional<Dataset> dataset_from_name(std::string_view name) {
  for (const auto& d : kDatasets) {
    if (d.name == name) return d.id;
  }
  return std::nullopt;
}

}  // namespace pricepipe
