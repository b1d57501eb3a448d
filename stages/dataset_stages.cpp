#include "stages/dataset_stages.h"

#include <algorithm>

#include "stages/sources/describe_availability_zones_source.h"
#include "stages/sources/describe_instance_type_offerings_source.h"
#include "stages/sources/describe_instance_types_source.h"
#include "stages/sources/describe_regions_source.h"
#include "stages/sources/describe_spot_price_history_source.h"
#include "stages/sources/spot_advisor_source.h"
#include "stages/sources/get_products_source.h"
#include "stages/transforms/availability_zone_normalizer.h"
#include "stages/transforms/instance_type_normalizer.h"
#include "stages/transforms/instance_type_offering_normalizer.h"
#include "stages/transforms/price_list_normalizer.h"
#include "stages/transforms/region_normalizer.h"
#include "stages/transforms/spot_price_normalizer.h"

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
  if (filter.instance_types.size() == 1 && exact_instance_types(filter.instance_types)) {
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
    case Dataset::spot_prices:
      return spot_sources(region, options).front();
    case Dataset::spot_advisor:
      return std::make_shared<SpotAdvisorSource>(
          options.spot_advisor_url.empty() ? kDefaultSpotAdvisorUrl : options.spot_advisor_url, region);
    case Dataset::savings_plans_rates:
      throw FatalError(ErrorCode::usage, "savings-plans-rates come only from the bulk Price List");
    case Dataset::catalog:
      break;
  }
  throw FatalError(ErrorCode::internal, std::string(info(dataset).name) + " has no single source");
}

std::vector<std::shared_ptr<const net::Paginator>> spot_sources(const std::string& region, const SourceOptions& options) {
  const auto& asked = options.instance_types;
  const bool exact = exact_instance_types(asked);
  std::vector<std::shared_ptr<const net::Paginator>> out;
  auto source = [&](std::vector<std::string> types) {
    out.push_back(std::make_shared<DescribeSpotPriceHistorySource>(region, types, options.product_descriptions,
                                                                   options.spot_start, options.spot_end,
                                                                   options.spot_start_label, options.spot_end_label));
  };
  const std::vector<std::string>* offered = nullptr;
  if (options.offered_types) {
    if (auto it = options.offered_types->find(region); it != options.offered_types->end()) offered = &it->second;
  }
  std::vector<std::string> types;
  if (exact) {
    types = asked;
  } else if (offered != nullptr) {
    PriceFilter filter;
    filter.instance_types = asked;
    std::copy_if(offered->begin(), offered->end(), std::back_inserter(types),
                 [&](const std::string& t) { return filter.keeps_product(region, t, "", ""); });
  } else {
    source({});
    return out;
  }
  const std::size_t batch = std::max<std::size_t>(1, options.spot_batch_size);
  for (std::size_t i = 0; i < types.size(); i += batch) {
    source(std::vector<std::string>(types.begin() + static_cast<std::ptrdiff_t>(i),
                                    types.begin() + static_cast<std::ptrdiff_t>(std::min(types.size(), i + batch))));
  }
  return out;
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
    case Dataset::spot_prices: return parse_with<SpotPriceNormalizer>(page);
    case Dataset::spot_advisor: {
      auto doc = SpotAdvisorNormalizer().parse(page);
      if (!doc.ok()) return std::move(doc.error());
      return ParsedPage{std::move(doc.value())};
    }
    case Dataset::savings_plans_rates:
    case Dataset::catalog: break;
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
    case Dataset::spot_prices: {
      auto records = SpotPriceNormalizer(options.zone_ids.get())
                         .process(std::get<Ec2Document>(parsed.document), page);
      if (!records.ok()) return std::move(records.error());
      std::vector<SpotPriceRecord>& rows = records.value();
      if (!options.instance_types.empty()) {
        // Patterns were not sent to EC2; apply them here.
        PriceFilter types;
        types.instance_types = options.instance_types;
        std::erase_if(rows, [&](const SpotPriceRecord& r) { return !types.keeps_product(r.region, r.instance_type, "", ""); });
      }
      return RecordVector(std::move(rows));
    }
    case Dataset::spot_advisor: {
      auto records = SpotAdvisorNormalizer().process(std::get<SpotAdvisorDocument>(parsed.document), page, options.prices);
      if (!records.ok()) return std::move(records.error());
      return RecordVector(std::move(records.value()));
    }
    case Dataset::savings_plans_rates:
    case Dataset::catalog: break;
  }
  return Error(ErrorCode::internal, "no normalizer for dataset");
}

}  // namespace pricepipe::stages
