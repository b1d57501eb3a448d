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
    // EC2 matched the patterns already; an endpoint that ignores the filter
    // must not widen the output.
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

SpotPriceFeed::SpotPriceFeed(std::vector<std::string> instance_types, SpotWindow window)
    : instance_types_(std::move(instance_types)),
      exact_(exact_instance_types(instance_types_)),
      window_(std::move(window)) {}

std::vector<std::pair<std::string, std::string>> SpotPriceFeed::version() const {
  std::string start, end;
  append_rfc3339(start, window_.start);
  append_rfc3339(end, window_.end);
  return {{"start", start}, {"end", end}, {"product_descriptions", fmt::format("{}", fmt::join(window_.product_descriptions, ","))}};
}

std::string SpotPriceFeed::key() const {
  return fmt::format("ec2 DescribeSpotPriceHistory types={} products={} window={}..{}", fmt::join(instance_types_, ","),
                     fmt::join(window_.product_descriptions, ","), window_end(window_.start_label, window_.start),
                     window_end(window_.end_label, window_.end));
}

std::vector<FeedNeed> SpotPriceFeed::needs() const {
  return {{std::make_shared<const DescribeAvailabilityZonesFeed>(), false}};
}

Result<std::vector<StreamPlan>> SpotPriceFeed::plan(const std::string& region, const std::vector<NeedResult>& needs) const {
  std::map<std::string, std::string> zone_ids;
  const NeedResult& zones = needs.front();
  if (zones.error != nullptr) {
    spdlog::warn("{}: zone ids unavailable ({}); spot records will have null zone_id", region, zones.error->describe());
  } else {
    for (const auto& batch : *zones.records) {
      for (const auto& z : std::get<std::vector<AvailabilityZoneRecord>>(batch)) zone_ids.emplace(z.zone, z.zone_id);
    }
  }
  const std::vector<std::string> none;
  StreamPlan stream;
  stream.pages = std::make_shared<const DescribeSpotPriceHistorySource>(
      region, exact_ ? instance_types_ : none, window_.product_descriptions, window_.start, window_.end,
      window_.start_label, window_.end_label, exact_ ? none : instance_types_);
  // EC2 applies the patterns; the decoder keeps to them as well.
  stream.decoder = std::make_shared<const SpotPageDecoder>(std::move(zone_ids), exact_ ? none : instance_types_);
  std::vector<StreamPlan> out;
  out.push_back(std::move(stream));
  return out;
}

}  // namespace pricepipe::stages
