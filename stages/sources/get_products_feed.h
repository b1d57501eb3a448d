// On-demand or reserved prices of a region through the Pricing API
// (GetProducts): TERM_MATCH filters narrow each stream on the server, and the
// PriceList items are parsed and filtered client-side for what TERM_MATCH
// cannot say (patterns, several values). Several exact instance types get a
// stream each, as TERM_MATCH takes one value per field.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "stages/sources/feed.h"

namespace pricepipe::stages {

class GetProductsFeed final : public Feed {
 public:
  /// `dataset`: on-demand-prices or reserved-prices. `pricing_region`: the endpoint asked.
  GetProductsFeed(Dataset dataset, PriceFilter filter, std::string pricing_region);

  std::string key() const override;
  std::string describe() const override { return "pricing GetProducts"; }
  bool regional() const override { return true; }
  bool signed_requests() const override { return true; }
  Result<std::vector<StreamPlan>> plan(const std::string& region, const std::vector<NeedResult>& needs) const override;

 private:
  Dataset dataset_;
  PriceFilter filter_;
  std::string pricing_region_;
  std::shared_ptr<const PageDecoder> decoder_;
};

/// The GetProducts TERM_MATCH filters that narrow a price stream server-side
/// (exact names only; patterns are applied client-side by the filter).
std::vector<std::pair<std::string, std::string>> pricing_filters(const std::string& region, const PriceFilter& filter);

}  // namespace pricepipe::stages
