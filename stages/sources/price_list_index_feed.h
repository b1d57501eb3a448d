// The bulk Price List's region index, as a feed fetched once per run: one
// OfferFileRecord per region that has an offer file. Offer-file feeds plan
// from it, and `--regions all` for bulk prices means its regions.
#pragma once

#include <string>

#include "stages/sources/feed.h"

namespace pricepipe::stages {

class PriceListIndexFeed final : public Feed {
 public:
  PriceListIndexFeed(std::string base_url, OfferKind kind);

  std::string key() const override;
  std::string describe() const override;
  bool regional() const override { return false; }
  bool signed_requests() const override { return false; }
  Result<std::vector<StreamPlan>> plan(const std::string& region, const std::vector<NeedResult>& needs) const override;

  const std::string& base_url() const { return base_url_; }
  OfferKind kind() const { return kind_; }

 private:
  std::string base_url_;
  OfferKind kind_;
};

}  // namespace pricepipe::stages
