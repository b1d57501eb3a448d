#include "stages/sources/spot_price_feed.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "stages/sources/describe_spot_price_history_source.h"
#include "stages/sources/ec2_describe_feed.h"
#include "stages/transforms/spot_price_normalizer.h"

namespace pricepipe::stages {

namespace {

class SpotPageDecoder final : public PageDecoder {
 public:
  SpotPageDecoder(std::map<std::string, std::string> zone_ids, std::vector<std::string> patterns)
      : zone_ids_(std::move(zone_ids)), normalizer_(&zone_ids_) {
    filter_.instance_types = std::move(patterns);
  }

  Result<RecordVector> decode(const net::Page& page) const override {
    auto doc = parser_.process(page);
    if (!doc.ok()) return std::move(doc.error());
    auto records = normalizer_.process(doc.value(), page);
    if (!records.ok()) return std::move(records.error());
    std::vector<SpotPriceRecord>& rows = records.value();
    // Patterns are not sent to EC2 in an unbatched request; apply them here.
    if (!filter_.instance_types.empty()) {
      std::erase_if(rows, [&](const SpotPriceRecord& r) { return !filter_.keeps_product(r.region, r.instance_type, "", ""); });
    }
    return RecordVector(std::move(rows));
  }

 private:
  Ec2XmlParser parser_{SpotPriceNormalizer::kResultElement};
  std::map<std::string, std::string> zone_ids_;
  SpotPriceNormalizer normalizer_;
  PriceFilter filter_;
};

std::string window_end(const std::string& label, Timestamp at) {
  if (!label.empty()) return label;
  std::string out;
  append_rfc3339(out, at);
  return out;
}

}  // namespace

SpotPriceFeed::SpotPriceFeed(std::vector<std::string> instance_types, SpotWindow window, std::size_t batch_size)
    : instance_types_(std::move(instance_types)),
      exact_(exact_instance_types(instance_types_)),
      window_(std::move(window)),
      batch_size_(std::max<std::size_t>(1, batch_size)) {}

std::string SpotPriceFeed::key() const {
  return fmt::format("ec2 DescribeSpotPriceHistory types={} products={} window={}..{} batch={}",
                     fmt::join(instance_types_, ","), fmt::join(window_.product_descriptions, ","),
                     window_end(window_.start_label, window_.start), window_end(window_.end_label, window_.end),
                     batch_size_);
}

std::vector<FeedNeed> SpotPriceFeed::needs() const {
  std::vector<FeedNeed> out;
  if (!exact_) out.push_back({std::make_shared<const DescribeInstanceTypeOfferingsFeed>(instance_types_), true});
  out.push_back({std::make_shared<const DescribeAvailabilityZonesFeed>(), false});
  return out;
}

Result<std::vector<StreamPlan>> SpotPriceFeed::plan(const std::string& region, const std::vector<NeedResult>& needs) const {
  std::vector<std::string> types;
  if (exact_) {
    types = instance_types_;
  } else {
    const NeedResult& offerings = needs.front();
    if (offerings.error != nullptr) return *offerings.error;
    PriceFilter filter;
    filter.instance_types = instance_types_;
    for (const auto& batch : *offerings.records) {
      for (const auto& o : std::get<std::vector<InstanceTypeOfferingRecord>>(batch)) {
        if (filter.keeps_product(region, o.instance_type, "", "")) types.push_back(o.instance_type);
      }
    }
    std::sort(types.begin(), types.end());
    types.erase(std::unique(types.begin(), types.end()), types.end());
  }
  std::map<std::string, std::string> zone_ids;
  const NeedResult& zones = needs.back();
  if (zones.error != nullptr) {
    spdlog::warn("{}: zone ids unavailable ({}); spot records will have null zone_id", region, zones.error->describe());
  } else {
    for (const auto& batch : *zones.records) {
      for (const auto& z : std::get<std::vector<AvailabilityZoneRecord>>(batch)) zone_ids.emplace(z.zone, z.zone_id);
    }
  }
  auto decoder = std::make_shared<const SpotPageDecoder>(std::move(zone_ids), exact_ ? std::vector<std::string>{}
                                                                                      : instance_types_);
  std::vector<StreamPlan> out;
  for (std::size_t i = 0; i < types.size(); i += batch_size_) {
    const std::vector<std::string> batch(types.begin() + static_cast<std::ptrdiff_t>(i),
                                         types.begin() + static_cast<std::ptrdiff_t>(std::min(types.size(), i + batch_size_)));
    StreamPlan stream;
    stream.pages = std::make_shared<const DescribeSpotPriceHistorySource>(
        region, batch, window_.product_descriptions, window_.start, window_.end, window_.start_label, window_.end_label);
    stream.decoder = decoder;
    out.push_back(std::move(stream));
  }
  return out;
}

}  // namespace pricepipe::stages
