// Offer files of the bulk Price List, streamed: a region's file, found in
// the Price List index (OfferFileFeed), or local files (LocalOfferFilesFeed).
//
// A file is read once however many nodes read it: feeds of the same file
// merge, reading the union of their sections (products, OnDemand, Reserved,
// savingsPlan) and keeping a product when any of their filters keeps it;
// each node then keeps its own records.
#pragma once

#include <string>
#include <vector>

#include "stages/sources/feed.h"

namespace pricepipe::stages {

class OfferFileFeed final : public Feed {
 public:
  /// `sections`: products first, then the terms wanted (EC2 or Savings Plans).
  OfferFileFeed(std::string base_url, std::vector<OfferSection> sections, PriceFilter filter);

  std::string key() const override;
  std::string describe() const override;
  bool regional() const override { return true; }
  bool signed_requests() const override { return false; }
  std::vector<FeedNeed> needs() const override;
  Result<std::vector<StreamPlan>> plan(const std::string& region, const std::vector<NeedResult>& needs) const override;
  std::shared_ptr<const Feed> merged(const std::shared_ptr<const Feed>& self, const Feed& other) const override;

  const std::vector<OfferSection>& sections() const { return sections_; }
  const PriceFilter& filter() const { return filter_; }

 private:
  std::string base_url_;
  OfferKind kind_;
  std::vector<OfferSection> sections_;
  PriceFilter filter_;
};

/// Offer files on disk, one stream each, in the order given; they may cover many regions.
class LocalOfferFilesFeed final : public Feed {
 public:
  LocalOfferFilesFeed(std::vector<std::string> paths, std::vector<OfferSection> sections, PriceFilter filter);

  std::string key() const override;
  std::string describe() const override { return "offer files"; }
  bool regional() const override { return false; }
  bool signed_requests() const override { return false; }
  Result<std::vector<StreamPlan>> plan(const std::string& region, const std::vector<NeedResult>& needs) const override;
  std::shared_ptr<const Feed> merged(const std::shared_ptr<const Feed>& self, const Feed& other) const override;

 private:
  std::vector<std::string> paths_;
  std::vector<OfferSection> sections_;
  PriceFilter filter_;
};

}  // namespace pricepipe::stages
