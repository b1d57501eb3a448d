// The bulk Price List's indexes, as a two-page stream: AWS's offers index
// (`/offers/v1.0/aws/index.json`) names the EC2 region index
// (`offers.AmazonEC2.currentRegionIndexUrl`) or the Savings Plans one
// (`.currentSavingsPlanIndexUrl`), which lists one offer file per region.
// Both are small public JSON documents, fetched unsigned through the fetcher
// like every other page (cache, retries, metrics).
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "net/paginator.h"
#include "stages/transforms/offer_file_normalizer.h"

namespace pricepipe::stages {

/// AWS's public Price List host.
inline constexpr const char* kDefaultPriceListUrl = "https://pricing.us-east-1.amazonaws.com";

class PriceListIndexSource final : public net::Paginator {
 public:
  PriceListIndexSource(std::string base_url, OfferKind kind);

  net::ApiRequest first() const override;
  /// After the offers index: the region index it names (found by parsing
  /// the small document); after the region index: nothing.
  std::optional<net::ApiRequest> next(const net::ApiRequest& answered, std::string_view body) const override;

  /// The region index URL an offers index names, or why it names none.
  Result<std::string> region_index_url(std::string_view offers_index, const std::string& url) const;

 private:
  net::ApiRequest request(std::string url) const;

  std::string base_url_;
  OfferKind kind_;
};

/// `path` against the Price List's base URL (absolute URLs are kept).
std::string price_list_url(const std::string& base_url, std::string_view path);

/// The request that downloads an offer file (cache key, metrics: price-list GetOfferFile).
net::ApiRequest offer_file_request(const std::string& url);

}  // namespace pricepipe::stages
