#include "stages/sources/offer_file_feed.h"

#include <algorithm>

#include <fmt/format.h>

#include "stages/sources/price_list_index_feed.h"
#include "stages/sources/price_list_index_source.h"

namespace pricepipe::stages {

namespace {

std::vector<OfferSection> union_of(std::vector<OfferSection> a, const std::vector<OfferSection>& b) {
  a.insert(a.end(), b.begin(), b.end());
  // Products first: the enum's order is the file's.
  std::sort(a.begin(), a.end());
  a.erase(std::unique(a.begin(), a.end()), a.end());
  return a;
}

}  // namespace

OfferFileFeed::OfferFileFeed(std::string base_url, std::vector<OfferSection> sections, PriceFilter filter)
    : base_url_(std::move(base_url)), kind_(offer_kind(sections)), sections_(std::move(sections)), filter_(std::move(filter)) {}

std::string OfferFileFeed::key() const { return fmt::format("price-list offer-file {} {}", offer_name(kind_), base_url_); }

std::string OfferFileFeed::describe() const {
  return kind_ == OfferKind::savings_plans ? "price-list Savings Plans offer file" : "price-list EC2 offer file";
}

std::vector<FeedNeed> OfferFileFeed::needs() const {
  return {{std::make_shared<const PriceListIndexFeed>(base_url_, kind_), true}};
}

Result<std::vector<StreamPlan>> OfferFileFeed::plan(const std::string& region, const std::vector<NeedResult>& needs) const {
  const NeedResult& index = needs.front();
  if (index.error != nullptr) return *index.error;
  for (const auto& batch : *index.records) {
    for (const auto& file : std::get<std::vector<PriceListFile>>(batch)) {
      if (file.region != region) continue;
      auto plan = std::make_shared<OfferFilePlan>();
      plan->name = file.url;
      plan->request = offer_file_request(file.url);
      plan->region = region;
      plan->sections = sections_;
      plan->filter = filter_;
      StreamPlan stream;
      stream.file = std::move(plan);
      return std::vector<StreamPlan>{std::move(stream)};
    }
  }
  ErrorContext c;
  c.region = region;
  c.file = offers_index_url(base_url_);
  return Error(ErrorCode::aws_api, fmt::format("price list index: the price list has no file for region {}", region), c);
}

std::shared_ptr<const Feed> OfferFileFeed::merged(const std::shared_ptr<const Feed>&, const Feed& other) const {
  const auto& o = dynamic_cast<const OfferFileFeed&>(other);
  return std::make_shared<const OfferFileFeed>(base_url_, union_of(sections_, o.sections_),
                                               PriceFilter::either(filter_, o.filter_));
}

LocalOfferFilesFeed::LocalOfferFilesFeed(std::vector<std::string> paths, std::vector<OfferSection> sections,
                                         PriceFilter filter)
    : paths_(std::move(paths)), sections_(std::move(sections)), filter_(std::move(filter)) {}

std::string LocalOfferFilesFeed::key() const {
  return fmt::format("offer-files {} {}", offer_name(offer_kind(sections_)), fmt::join(paths_, ","));
}

Result<std::vector<StreamPlan>> LocalOfferFilesFeed::plan(const std::string&, const std::vector<NeedResult>&) const {
  std::vector<StreamPlan> out;
  for (const auto& path : paths_) {
    auto plan = std::make_shared<OfferFilePlan>();
    plan->name = path;
    plan->path = path;
    plan->sections = sections_;
    plan->filter = filter_;
    StreamPlan stream;
    stream.file = std::move(plan);
    out.push_back(std::move(stream));
  }
  return out;
}

std::shared_ptr<const Feed> LocalOfferFilesFeed::merged(const std::shared_ptr<const Feed>&, const Feed& other) const {
  const auto& o = dynamic_cast<const LocalOfferFilesFeed&>(other);
  return std::make_shared<const LocalOfferFilesFeed>(paths_, union_of(sections_, o.sections_),
                                                     PriceFilter::either(filter_, o.filter_));
}

}  // namespace pricepipe::stages
