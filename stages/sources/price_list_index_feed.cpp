#include "stages/sources/price_list_index_feed.h"

#include <map>

#include <simdjson.h>

#include "stages/sources/price_list_index_source.h"

namespace pricepipe::stages {

namespace {

Error index_error(const std::string& url, const std::string& what) {
  ErrorContext c;
  c.file = url;
  return Error(ErrorCode::malformed_response, "price list index: " + what, c);
}

// Page 0 is the offers index (checked, no records); page 1 the region index.
class IndexDecoder final : public PageDecoder {
 public:
  explicit IndexDecoder(std::shared_ptr<const PriceListIndexSource> source, const std::string& base_url, OfferKind kind)
      : source_(std::move(source)), base_url_(base_url), kind_(kind) {}

  Result<RecordVector> decode(const net::Page& page) const override {
    const std::string& url = page.request.url;
    if (page.index == 0) {
      auto next = source_->region_index_url(page.body, url);
      if (!next.ok()) return next.error();
      return RecordVector(std::vector<OfferFileRecord>{});
    }
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(page.body).get(doc) != simdjson::SUCCESS) return index_error(url, "not JSON");
    // EC2: regions{code: {currentVersionUrl}}; Savings Plans: regions[{regionCode, versionUrl}].
    std::map<std::string, std::string> by_region;
    if (kind_ == OfferKind::savings_plans) {
      simdjson::dom::array list;
      if (doc["regions"].get_array().get(list) != simdjson::SUCCESS) return index_error(url, "no regions array");
      for (simdjson::dom::element r : list) {
        std::string_view code, file;
        if (r["regionCode"].get_string().get(code) != simdjson::SUCCESS ||
            r["versionUrl"].get_string().get(file) != simdjson::SUCCESS) {
          return index_error(url, "a region lacks regionCode or versionUrl");
        }
        by_region[std::string(code)] = price_list_url(base_url_, file);
      }
    } else {
      simdjson::dom::object map;
      if (doc["regions"].get_object().get(map) != simdjson::SUCCESS) return index_error(url, "no regions object");
      for (auto [code, r] : map) {
        std::string_view file;
        if (r["currentVersionUrl"].get_string().get(file) != simdjson::SUCCESS) {
          return index_error(url, "region " + std::string(code) + " lacks currentVersionUrl");
        }
        by_region[std::string(code)] = price_list_url(base_url_, file);
      }
    }
    std::vector<OfferFileRecord> out;
    for (auto& [code, file] : by_region) out.push_back(OfferFileRecord{code, std::move(file)});
    return RecordVector(std::move(out));
  }

 private:
  std::shared_ptr<const PriceListIndexSource> source_;
  std::string base_url_;
  OfferKind kind_;
};

}  // namespace

PriceListIndexFeed::PriceListIndexFeed(std::string base_url, OfferKind kind) : base_url_(std::move(base_url)), kind_(kind) {}

std::string PriceListIndexFeed::key() const {
  return std::string("price-list index ") + (kind_ == OfferKind::savings_plans ? "savings-plans " : "ec2 ") + base_url_;
}

std::string PriceListIndexFeed::describe() const {
  return kind_ == OfferKind::savings_plans ? "price-list Savings Plans index" : "price-list EC2 index";
}

Result<std::vector<StreamPlan>> PriceListIndexFeed::plan(const std::string&, const std::vector<NeedResult>&) const {
  auto source = std::make_shared<const PriceListIndexSource>(base_url_, kind_);
  StreamPlan stream;
  stream.pages = source;
  stream.decoder = std::make_shared<const IndexDecoder>(source, base_url_, kind_);
  return std::vector<StreamPlan>{std::move(stream)};
}

}  // namespace pricepipe::stages
