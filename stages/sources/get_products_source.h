// Paginator for the Pricing API's GetProducts (JSON 1.1 protocol).
//
// `POST /` to api.pricing.<endpoint region>.amazonaws.com with
// `X-Amz-Target: AWSPriceListService.GetProducts` and a JSON body of
// TERM_MATCH filters (regionCode first), `FormatVersion: aws_v1`,
// `MaxResults: 100` (AWS's maximum) and `NextToken`, found by scanning the
// raw answer for the top-level "NextToken" before it is parsed. Requests are
// signed for service `pricing` in the endpoint's region, while the data's
// region travels as a filter.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "net/paginator.h"

namespace pricepipe::stages {

class GetProductsSource final : public net::Paginator {
 public:
  static constexpr int kMaxResults = 100;

  /// `filters`: (Field, Value) pairs ANDed as TERM_MATCH, e.g. {"instanceType", "m7g.large"}.
  GetProductsSource(std::string region, std::string endpoint_region,
                    std::vector<std::pair<std::string, std::string>> filters);

  net::ApiRequest first() const override;
  std::optional<net::ApiRequest> next(const net::ApiRequest& answered, std::string_view body) const override;

  /// The top-level "NextToken" of a GetProducts answer, unescaped; nothing when absent or null.
  static std::optional<std::string> scan_next_token(std::string_view body);

 private:
  net::ApiRequest request_with_token(const std::string* token) const;

  std::string region_;
  std::string endpoint_region_;
  std::string body_prefix_;  ///< the JSON body up to where NextToken goes
};

/// The Pricing API endpoints AWS offers.
bool is_pricing_endpoint_region(std::string_view region);

}  // namespace pricepipe::stages
