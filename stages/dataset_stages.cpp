#include "stages/dataset_stages.h"

#include "stages/sources/describe_availability_zones_source.h"
#include "stages/sources/describe_instance_type_offerings_source.h"
#include "stages/sources/describe_instance_types_source.h"
#include "stages/sources/describe_regions_source.h"
#include "stages/sources/get_products_source.h"
#include "stages/transforms/availability_zone_normalizer.h"
#include "stages/transforms/instance_type_normalizer.h"
#include "stages/transforms/instance_type_offering_normalizer.h"
#include "stages/transforms/price_list_normalizer.h"
#include "stages/transforms/region_normalizer.h"

namespace pricepipe::stages {

namespace {

template <class Normalizer>
Result<ParsedPage> parse_with(const net::Page& page) {
  static const Ec2XmlParser parser(Normalizer::kResultElement);
  auto doc = parser.process(page);
  if (!doc.ok()) return std::move(doc.error());
  return ParsedPage{std::move(doc.value())};
}

template <class Normalizer>
Result<RecordVector> normalize_with(const ParsedPage& parsed, const net::Page& page) {
  static const Normalizer normalizer;
  auto records = normalizer.process(std::get<Ec2Document>(parsed.document), page);
  if (!records.ok()) return std::move(records.error());
  return RecordVector(std::move(records.value()));
}

// Price List labels for the slugs users filter on.
std::optional<std::string> os_label(const std::string& slug) {
  static const std::pair<const char*, const char*> kLabels[] = {
      {"linux", "Linux"}, {"windows", "Windows"}, {"rhel", "RHEL"}, {"suse", "SUSE"},
      {"rhel-ha", "Red Hat Enterprise Linux with HA"}, {"ubuntu-pro", "Ubuntu Pro"}};
  for (const auto& [s, label] : kLabels) {
    if (slug == s) return std::string(label);
  }
  return std::nullopt;
}

std::optional<std::string> tenancy_label(const std::string& slug) {
  if (slug == "shared") return "Shared";
  if (slug == "dedicated") return "Dedicated";
  if (slug == "host") return "Host";
  return std::nullopt;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> pricing_filters(const std::string& region, const PriceFilter& filter) {
  std::vector<std::pair<std::string, std::string>> out = {{"regionCode", region}, {"marketoption", "OnDemand"}};
  // A single exact value narrows the query on the server; several (or a
  // pattern) are filtered here, as TERM_MATCH takes one value.
  if (filter.instance_types.size() == 1 && filter.instance_types[0].find_first_of("*?") == std::string::npos) {
    out.emplace_back("instanceType", filter.instance_types[0]);
  }
  if (filter.operating_systems.size() == 1) {
    if (auto label = os_label(filter.operating_systems[0])) out.emplace_back("operatingSystem", *label);
  }
  if (filter.tenancies.size() == 1) {
    if (auto label = tenancy_label(filter.tenancies[0])) out.emplace_back("tenancy", *label);
  }
  return out;
}

std::shared_ptr<const net::Paginator> make_source(Dataset dataset, const std::string& region,
                                                  const SourceOptions& options) {
  switch (dataset) {
    case Dataset::regions: return std::make_shared<DescribeRegionsSource>(region);
    case Dataset::availability_zones: return std::make_shared<DescribeAvailabilityZonesSource>(region);
    case Dataset::instance_types:
      return std::make_shared<DescribeInstanceTypesSource>(region, options.instance_types);
    case Dataset::instance_type_offerings:
      return std::make_shared<DescribeInstanceTypeOfferingsSource>(region, options.instance_types);
    case Dataset::on_demand_prices:
    case Dataset::reserved_prices:
      return std::make_shared<GetProductsSource>(region, options.pricing_region, pricing_filters(region, options.prices));
    case Dataset::savings_plans_rates:
      break;
  }
  throw FatalError(ErrorCode::usage, std::string(info(dataset).name) + " is only available from the bulk price list");
}

Result<ParsedPage> parse_page(Dataset dataset, const net::Page& page) {
  switch (dataset) {
    case Dataset::regions: return parse_with<RegionNormalizer>(page);
    case Dataset::availability_zones: return parse_with<AvailabilityZoneNormalizer>(page);
    case Dataset::instance_types: return parse_with<InstanceTypeNormalizer>(page);
    case Dataset::instance_type_offerings: return parse_with<InstanceTypeOfferingNormalizer>(page);
    case Dataset::on_demand_prices:
    case Dataset::reserved_prices: {
      static const PricingResponseParser parser;
      auto doc = parser.process(page);
      if (!doc.ok()) return std::move(doc.error());
      return ParsedPage{std::move(doc.value())};
    }
    case Dataset::savings_plans_rates: break;
  }
  return Error(ErrorCode::internal, "no parser for dataset");
}

Result<RecordVector> normalize_page(Dataset dataset, const ParsedPage& parsed, const net::Page& page,
                                    const SourceOptions& options) {
  switch (dataset) {
    case Dataset::regions: return normalize_with<RegionNormalizer>(parsed, page);
    case Dataset::availability_zones: return normalize_with<AvailabilityZoneNormalizer>(parsed, page);
    case Dataset::instance_types: return normalize_with<InstanceTypeNormalizer>(parsed, page);
    case Dataset::instance_type_offerings: return normalize_with<InstanceTypeOfferingNormalizer>(parsed, page);
    case Dataset::on_demand_prices:
    case Dataset::reserved_prices:
      return PriceListNormalizer(options.prices).process(dataset, std::get<PricingDocument>(parsed.document), page);
    case Dataset::savings_plans_rates: break;
  }
  return Error(ErrorCode::internal, "no normalizer for dataset");
}

}  // namespace pricepipe::stages
