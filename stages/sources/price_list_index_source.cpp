#include "stages/sources/price_list_index_source.h"

#include <simdjson.h>

namespace pricepipe::stages {

std::string price_list_url(const std::string& base_url, std::string_view path) {
  if (path.starts_with("http://") || path.starts_with("https://")) return std::string(path);
  std::string base = base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + (path.starts_with("/") ? "" : "/") + std::string(path);
}

net::ApiRequest offer_file_request(const std::string& url) {
  net::ApiRequest r;
  r.service = "price-list";
  r.action = "GetOfferFile";
  r.method = "GET";
  r.url = url;
  return r;
}

PriceListIndexSource::PriceListIndexSource(std::string base_url, OfferKind kind)
    : base_url_(std::move(base_url)), kind_(kind) {}

net::ApiRequest PriceListIndexSource::request(std::string url) const {
  net::ApiRequest r;
  r.service = "price-list";
  r.action = "GetPriceListIndex";
  r.method = "GET";
  r.url = std::move(url);
  return r;
}

net::ApiRequest PriceListIndexSource::first() const {
  return request(price_list_url(base_url_, "/offers/v1.0/aws/index.json"));
}

Result<std::string> PriceListIndexSource::region_index_url(std::string_view offers_index, const std::string& url) const {
  const char* field = kind_ == OfferKind::savings_plans ? "currentSavingsPlanIndexUrl" : "currentRegionIndexUrl";
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view path;
  if (parser.parse(offers_index.data(), offers_index.size()).get(doc) != simdjson::SUCCESS ||
      doc["offers"]["AmazonEC2"][field].get_string().get(path) != simdjson::SUCCESS) {
    ErrorContext c;
    c.file = url;
    return Error(ErrorCode::malformed_response, std::string("price list index: no offers.AmazonEC2.") + field, c);
  }
  return price_list_url(base_url_, path);
}

std::optional<net::ApiRequest> PriceListIndexSource::next(const net::ApiRequest& answered, std::string_view body) const {
  if (answered.url != first().url) return std::nullopt;
  auto url = region_index_url(body, answered.url);
  if (!url.ok()) return std::nullopt;  // the decoder reports it
  return request(std::move(url.value()));
}

}  // namespace pricepipe::stages
