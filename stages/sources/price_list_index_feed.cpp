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

const char* offers_field(OfferKind kind) {
  return kind == OfferKind::savings_plans ? "currentSavingsPlanIndexUrl" : "currentRegionIndexUrl";
}

// The offers index: each offer's region index it names.
class OffersDecoder final : public PageDecoder {
 public:
  explicit OffersDecoder(std::string base_url) : base_url_(std::move(base_url)) {}

  Result<RecordVector> decode(const net::Page& page) const override {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(page.body).get(doc) != simdjson::SUCCESS) return index_error(page.request.url, "not JSON");
    std::vector<PriceListFile> out;
    for (OfferKind kind : {OfferKind::ec2, OfferKind::savings_plans}) {
      std::string_view path;
      if (doc["offers"]["AmazonEC2"][offers_field(kind)].get_string().get(path) == simdjson::SUCCESS) {
        out.push_back(PriceListFile{std::string(offer_name(kind)), "", price_list_url(base_url_, path)});
      }
    }
    return RecordVector(std::move(out));
  }

 private:
  std::string base_url_;
};

// A region index: EC2's `regions{code: {currentVersionUrl}}`, Savings Plans' `regions[{regionCode, versionUrl}]`.
class RegionIndexDecoder final : public PageDecoder {
 public:
  RegionIndexDecoder(std::string base_url, OfferKind kind) : base_url_(std::move(base_url)), kind_(kind) {}

  Result<RecordVector> decode(const net::Page& page) const override {
    const std::string& url = page.request.url;
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(page.body).get(doc) != simdjson::SUCCESS) return index_error(url, "not JSON");
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
    std::vector<PriceListFile> out;
    for (auto& [code, file] : by_region) out.push_back(PriceListFile{std::string(offer_name(kind_)), code, std::move(file)});
    return RecordVector(std::move(out));
  }

 private:
  std::string base_url_;
  OfferKind kind_;
};

}  // namespace

std::string_view offer_name(OfferKind kind) { return kind == OfferKind::savings_plans ? "savings-plans" : "ec2"; }

Result<std::vector<StreamPlan>> PriceListOffersFeed::plan(const std::string&, const std::vector<NeedResult>&) const {
  StreamPlan stream;
  stream.pages = std::make_shared<const PriceListIndexSource>(offers_index_url(base_url_));
  stream.decoder = std::make_shared<const OffersDecoder>(base_url_);
  return std::vector<StreamPlan>{std::move(stream)};
}

std::string PriceListIndexFeed::key() const {
  return "price-list index " + std::string(offer_name(kind_)) + " " + base_url_;
}

std::string PriceListIndexFeed::describe() const {
  return kind_ == OfferKind::savings_plans ? "price-list Savings Plans region index" : "price-list EC2 region index";
}

std::vector<FeedNeed> PriceListIndexFeed::needs() const {
  return {{std::make_shared<const PriceListOffersFeed>(base_url_), true}};
}

Result<std::vector<StreamPlan>> PriceListIndexFeed::plan(const std::string&, const std::vector<NeedResult>& needs) const {
  const NeedResult& offers = needs.front();
  if (offers.error != nullptr) return *offers.error;
  for (const auto& batch : *offers.records) {
    for (const auto& file : std::get<std::vector<PriceListFile>>(batch)) {
      if (file.offer != offer_name(kind_) || !file.region.empty()) continue;
      StreamPlan stream;
      stream.pages = std::make_shared<const PriceListIndexSource>(file.url);
      stream.decoder = std::make_shared<const RegionIndexDecoder>(base_url_, kind_);
      return std::vector<StreamPlan>{std::move(stream)};
    }
  }
  return index_error(offers_index_url(base_url_), std::string("no offers.AmazonEC2.") + offers_field(kind_));
}

}  // namespace pricepipe::stages
