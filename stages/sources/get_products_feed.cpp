#include "stages/sources/get_products_feed.h"

#include <fmt/format.h>

#include "stages/sources/get_products_source.h"
#include "stages/transforms/price_list_normalizer.h"
#include "stages/transforms/pricing_response_parser.h"

namespace pricepipe::stages {

namespace {

class PricingPageDecoder final : public PageDecoder {
 public:
  PricingPageDecoder(Dataset dataset, PriceFilter filter) : dataset_(dataset), normalizer_(std::move(filter)) {}

  Result<RecordVector> decode(const net::Page& page) const override {
    auto doc = parser_.process(page);
    if (!doc.ok()) return std::move(doc.error());
    return normalizer_.process(dataset_, doc.value(), page);
  }

 private:
  Dataset dataset_;
  PricingResponseParser parser_;
  PriceListNormalizer normalizer_;
};

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

GetProductsFeed::GetProductsFeed(Dataset dataset, PriceFilter filter, std::string pricing_region)
    : dataset_(dataset),
      filter_(std::move(filter)),
      pricing_region_(std::move(pricing_region)),
      decoder_(std::make_shared<const PricingPageDecoder>(dataset_, filter_)) {}

std::string GetProductsFeed::key() const {
  return fmt::format("pricing GetProducts {} types={} os={} tenancy={} endpoint={}", info(dataset_).name,
                     fmt::join(filter_.instance_types, ","), fmt::join(filter_.operating_systems, ","),
                     fmt::join(filter_.tenancies, ","), pricing_region_);
}

Result<std::vector<StreamPlan>> GetProductsFeed::plan(const std::string& region, const std::vector<NeedResult>&) const {
  std::vector<StreamPlan> out;
  auto stream = [&](const PriceFilter& filter) {
    StreamPlan s;
    s.pages = std::make_shared<const GetProductsSource>(region, pricing_region_, pricing_filters(region, filter));
    s.decoder = decoder_;
    out.push_back(std::move(s));
  };
  // The Pricing API matches one value per field: exact instance types get a
  // stream each, so the server filters instead of us paging through a region.
  const auto& types = filter_.instance_types;
  if (types.size() > 1 && exact_instance_types(types)) {
    for (const auto& type : types) {
      PriceFilter one = filter_;
      one.instance_types = {type};
      stream(one);
    }
  } else {
    stream(filter_);
  }
  return out;
}

}  // namespace pricepipe::stages
