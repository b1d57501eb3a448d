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

namespace {

// A public, unsigned GET of the Price List (cache class price-list-index or price-list-file).
net::ApiRequest price_list_get(std::string url, const char* action) {
  net::ApiRequest r;
  r.service = "price-list";
  r.action = action;
  r.method = "GET";
  r.url = std::move(url);
  return r;
}

}  // namespace

net::ApiRequest offer_file_request(const std::string& url) { return price_list_get(url, "GetOfferFile"); }

net::ApiRequest PriceListIndexSource::first() const { return price_list_get(url_, "GetPriceListIndex"); }

}  // namespace pricepipe::stages
