// The Spot Instance Advisor feed: one public JSON document (no paging, no
// signing) covering every region, fetched from its URL.
#pragma once

#include <string>

#include "net/paginator.h"

namespace pricepipe::stages {

/// AWS's public feed.
inline constexpr const char* kDefaultSpotAdvisorUrl = "https://spot-bid-advisor.s3.amazonaws.com/spot-advisor-data.json";

class SpotAdvisorSource final : public net::Paginator {
 public:
  SpotAdvisorSource(std::string url, std::string region) : url_(std::move(url)), region_(std::move(region)) {}

  net::ApiRequest first() const override {
    net::ApiRequest r;
    r.service = "spot-advisor";
    r.region = region_;
    r.action = "GetSpotAdvisorData";
    r.method = "GET";
    r.url = url_;
    return r;
  }
  std::optional<net::ApiRequest> next(const net::ApiRequest&, std::string_view) const override { return std::nullopt; }

 private:
  std::string url_;
  std::string region_;
};

}  // namespace pricepipe::stages
