#include "stages/sources/price_list_index_source.h"

namespace pricepipe::stages {

std::string price_list_url(const std::string& base_url, std::string_view path) {
  if (path.starts_with("http://") || path.starts_with("https://")) return std::string(path);
  std::string base = base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + (path.starts_with("/") ? "" : "/") + std::string(path);
}

std::string offers_index_url(const std::string& base_url) {
  return price_list_url(base_url, "/offers/v1.0/aws/index.json");
}

net::ApiRequest offer_file_request(const std::string& url) {
  net::ApiRequest r;
  r.service = "price-list";
  r.action = "GetOfferFile";
  r.method = "GET";
  r.url = url;
  return r;
}

net::ApiRequest PriceListIndexSource::first() const {
  net::ApiRequest r;
  r.service = "price-list";
  r.action = "GetPriceListIndex";
  r.method = "GET";
  r.url = url_;
  return r;
}

}  // namespace pricepipe::stages
