// The bulk Price List's indexes as feeds, each fetched once per run:
//
//   PriceListOffersFeed   the offers index → each offer's region index (PriceListFile, no region)
//   PriceListIndexFeed    an offer's region index → one PriceListFile per region with a file
//
// Offer-file feeds plan from the region index, and `regions: all` for bulk
// prices means its regions. The EC2 and Savings Plans region indexes share
// one read of the offers index.
#pragma once

#include <string>

#include "stages/sources/feed.h"

namespace pricepipe::stages {

class PriceListOffersFeed final : public Feed {
 public:
  explicit PriceListOffersFeed(std::string base_url) : base_url_(std::move(base_url)) {}

  std::string key() const override { return "price-list offers " + base_url_; }
  std::string describe() const override { return "price-list offers index"; }
  bool regional() const override { return false; }
  bool signed_requests() const override { return false; }
  Result<std::vector<StreamPlan>> plan(const std::string& region, const std::vector<NeedResult>& needs) const override;

 private:
  std::string base_url_;
};

class PriceListIndexFeed final : public Feed {
 public:
  PriceListIndexFeed(std::string base_url, OfferKind kind) : base_url_(std::move(base_url)), kind_(kind) {}

  std::string key() const override;
  std::string describe() const override;
  bool regional() const override { return false; }
  bool signed_requests() const override { return false; }
  std::vector<FeedNeed> needs() const override;
  Result<std::vector<StreamPlan>> plan(const std::string& region, const std::vector<NeedResult>& needs) const override;

 private:
  std::string base_url_;
  OfferKind kind_;
};

/// "ec2" or "savings-plans", as PriceListFile::offer names them.
std::string_view offer_name(OfferKind kind);

}  // namespace pricepipe::stages
