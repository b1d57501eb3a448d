#include "stages/transforms/price_list_normalizer.h"

#include <fmt/format.h>

#include "stages/transforms/ec2_xml_parser.h"
#include "stages/transforms/json_error_locator.h"
#include "stages/transforms/price_attributes.h"

namespace pricepipe::stages {

namespace {

struct Item {
  std::optional<PricedProduct> product;
  std::vector<PriceTerm> terms;
  std::optional<Timestamp> published_at;
};

Result<Item> read_item(simdjson::dom::object item, const char* terms_kind, const PriceFilter& filter) {
  Item out;
  simdjson::dom::object product;
  if (item["product"].get_object().get(product) != simdjson::SUCCESS) {
    return Error(ErrorCode::malformed_response, "no product object");
  }
  auto p = read_product(product, filter);
  if (!p.ok()) return p.error();
  out.product = std::move(p.value());
  if (!out.product) return out;
  simdjson::dom::object terms;
  if (item["terms"].get_object().get(terms) == simdjson::SUCCESS) {
    simdjson::dom::object wanted;
    if (terms[terms_kind].get_object().get(wanted) == simdjson::SUCCESS) {
      auto read = read_terms(wanted);
      if (!read.ok()) return read.error();
      out.terms = std::move(read.value());
    }
  }
  std::string_view published;
  if (item["publicationDate"].get_string().get(published) == simdjson::SUCCESS) {
    out.published_at = parse_rfc3339(published);
  }
  return out;
}

}  // namespace

Result<RecordVector> PriceListNormalizer::process(Dataset dataset, const PricingDocument& doc,
                                                  const net::Page& page) const {
  thread_local simdjson::dom::parser parser;
  const bool reserved = dataset == Dataset::reserved_prices;
  std::vector<OnDemandPriceRecord> on_demand;
  std::vector<ReservedPriceRecord> reservations;
  for (std::size_t i = 0; i < doc.items.size(); ++i) {
    const std::string& text = doc.items[i];
    auto fail = [&](const std::string& what) {
      ErrorContext c = page_context(page);
      if (c.request_id.empty()) c.request_id = doc.request_id;
      return Error(ErrorCode::malformed_response, fmt::format("malformed response: PriceList[{}]: {}", i, what), c);
    };
    simdjson::dom::object item;
    if (parser.parse(text.data(), text.size(), false).get_object().get(item) != simdjson::SUCCESS) {
      auto where = locate_json_error(text);
      return fail(where ? fmt::format("not well-formed JSON ({} at byte {} of the entry)", where->what, where->offset)
                        : std::string("not a JSON object"));
    }
    auto read = read_item(item, reserved ? "Reserved" : "OnDemand", filter_);
    if (!read.ok()) return fail(read.error().message());
    Item& it = read.value();
    if (!it.product) continue;
    for (const PriceTerm& term : it.terms) {
      if (reserved) {
        auto r = reserved_record(*it.product, term);
        if (!r.ok()) return fail(r.error().message());
        r.value().source = "api";
        r.value().published_at = it.published_at;
        reservations.push_back(std::move(r.value()));
      } else if (auto r = on_demand_record(*it.product, term)) {
        r->source = "api";
        r->published_at = it.published_at;
        on_demand.push_back(std::move(*r));
      }
    }
  }
  if (reserved) return RecordVector(std::move(reservations));
  return RecordVector(std::move(on_demand));
}

}  // namespace pricepipe::stages
