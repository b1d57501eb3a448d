// The bulk Price List's indexes: small public JSON documents fetched whole,
// unsigned, through the fetcher like every other page (cache, retries,
// metrics). AWS's offers index (`/offers/v1.0/aws/index.json`) names each
// offer's region index (`offers.AmazonEC2.currentRegionIndexUrl`, and
// `.currentSavingsPlanIndexUrl`), which lists one offer file per region.
#pragma once

#include <string>
#include <string_view>

#include "net/paginator.h"

namespace pricepipe::stages {

/// AWS's public Price List host.
inline constexpr const char* kDefaultPriceListUrl = "https://pricing.us-east-1.amazonaws.com";

/// One index document: a single GET, no pages after it.
class PriceListIndexSource final : public net::Paginator {
 public:
  explicit PriceListIndexSource(std::string url) : url_(std::move(url)) {}

  net::ApiRequest first() const override;
  std::optional<net::ApiRequest> next(const net::ApiRequest&, std::string_view) const override { return std::nullopt; }

 private:
  std::string url_;
};

/// `path` against the Price List's base URL (absolute URLs are kept).
std::string price_list_url(const std::string& base_url, std::string_view path);

/// The offers index of a Price List.
std::string offers_index_url(const std::string& base_url);

/// The request that downloads an offer file (cache key, metrics: price-list GetOfferFile).
net::ApiRequest offer_file_request(const std::string& url);

}  // namespace pricepipe::stages
