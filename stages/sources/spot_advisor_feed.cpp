#include "stages/sources/spot_advisor_feed.h"

#include "stages/sources/spot_advisor_source.h"
#include "stages/transforms/spot_advisor_normalizer.h"

namespace pricepipe::stages {

namespace {

class AdvisorDecoder final : public PageDecoder {
 public:
  Result<RecordVector> decode(const net::Page& page) const override {
    auto doc = normalizer_.parse(page);
    if (!doc.ok()) return std::move(doc.error());
    auto records = normalizer_.process(doc.value(), page, PriceFilter{});
    if (!records.ok()) return std::move(records.error());
    return RecordVector(std::move(records.value()));
  }

 private:
  SpotAdvisorNormalizer normalizer_;
};

}  // namespace

SpotAdvisorFeed::SpotAdvisorFeed(std::string url)
    : url_(url.empty() ? std::string(kDefaultSpotAdvisorUrl) : std::move(url)),
      decoder_(std::make_shared<const AdvisorDecoder>()) {}

Result<std::vector<StreamPlan>> SpotAdvisorFeed::plan(const std::string& region, const std::vector<NeedResult>&) const {
  StreamPlan stream;
  stream.pages = std::make_shared<const SpotAdvisorSource>(url_, region);
  stream.decoder = decoder_;
  return std::vector<StreamPlan>{std::move(stream)};
}

}  // namespace pricepipe::stages
