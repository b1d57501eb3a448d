#include "stages/transforms/offer_file_normalizer.h"

#include <algorithm>

#include <fmt/format.h>

#include "stages/transforms/json_error_locator.h"
#include "stages/transforms/price_attributes.h"

namespace pricepipe::stages {

namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

// An Error about a segment: the file, and the byte offset in the file of
// what failed (or of the segment's first entry when the spot is unknown).
Error segment_error(const OfferFileState& state, const JsonSegment& segment, const std::string& what,
                    std::optional<std::size_t> at_in_segment = std::nullopt) {
  ErrorContext c;
  c.file = state.name;
  c.region = state.region;
  std::int64_t offset = static_cast<std::int64_t>(segment.offset);
  // The segment's first byte is the container bracket added by the splitter.
  if (at_in_segment && *at_in_segment >= 1) offset += static_cast<std::int64_t>(*at_in_segment - 1);
  c.offset = offset;
  return Error(ErrorCode::malformed_response, what, std::move(c));
}

Result<std::string_view> string_field(element v, std::string_view name) {
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS) {
    return Error(ErrorCode::malformed_response, fmt::format("malformed price list: \"{}\" is not a string", name));
  }
  return s;
}

std::string plan_type_of(std::string_view family) {
  if (family == "ComputeSavingsPlans") return "compute";
  if (family == "EC2InstanceSavingsPlans") return "ec2-instance";
  return price::slug(family);
}

}  // namespace

std::vector<std::string> section_path(OfferSection section) {
  switch (section) {
    case OfferSection::products: return {"products"};
    case OfferSection::on_demand: return {"terms", "OnDemand"};
    case OfferSection::reserved: return {"terms", "Reserved"};
    case OfferSection::savings_plans: return {"terms", "savingsPlan"};
  }
  return {};
}

OfferKind offer_kind(const std::vector<OfferSection>& sections) {
  return std::find(sections.begin(), sections.end(), OfferSection::savings_plans) != sections.end()
             ? OfferKind::savings_plans
             : OfferKind::ec2;
}

void PlanTable::insert(std::string sku, SavingsPlan plan) {
  std::lock_guard lock(mutex_);
  plans_.insert_or_assign(std::move(sku), std::move(plan));
}

std::optional<SavingsPlan> PlanTable::find(std::string_view sku) const {
  std::lock_guard lock(mutex_);
  auto it = plans_.find(sku);
  if (it == plans_.end()) return std::nullopt;
  return it->second;
}

namespace {

// EC2 products: `{"SKU": {product}, ...}`.
Result<RecordVector> ec2_products(object entries, OfferFileState& state) {
  ProductTable::Inserter inserter(state.products);
  for (auto [sku, entry] : entries) {
    object product;
    if (entry.get_object().get(product) != simdjson::SUCCESS) {
      return Error(ErrorCode::malformed_response, "malformed price list: product " + std::string(sku) + " is not an object");
    }
    ProductFields fields;
    auto instance = read_product_fields(product, fields);
    if (!instance.ok()) return instance.error();
    if (instance.value()) inserter.insert(fields, state.filter);
  }
  return RecordVector(std::vector<OnDemandPriceRecord>{});
}

// EC2 terms: `{"SKU": {"SKU.TERM": {term}, ...}, ...}`.
template <class Record>
Result<RecordVector> ec2_terms(object entries, OfferFileState& state) {
  std::vector<Record> out;
  for (auto [sku, entry] : entries) {
    object terms;
    if (entry.get_object().get(terms) != simdjson::SUCCESS) {
      return Error(ErrorCode::malformed_response, "malformed price list: terms of " + std::string(sku) + " are not an object");
    }
    // Most terms belong to products the filter dropped: look up before reading.
    auto product = state.products.find(sku);
    if (!product) continue;
    auto read = read_terms(terms);
    if (!read.ok()) return read.error();
    const auto& terms_read = read.value();
    for (std::size_t t = 0; t < terms_read.size(); ++t) {
      const PriceTerm& term = terms_read[t];
      if constexpr (std::is_same_v<Record, OnDemandPriceRecord>) {
        // The product is copied into every record but the last, which takes it.
        auto r = t + 1 == terms_read.size() ? on_demand_record(std::move(*product), term) : on_demand_record(*product, term);
        if (r) {
          r->source = "bulk";
          r->published_at = state.published_at;
          out.push_back(std::move(*r));
        }
      } else {
        auto r = reserved_record(*product, term);
        if (!r.ok()) return r.error();
        r.value().source = "bulk";
        r.value().published_at = state.published_at;
        out.push_back(std::move(r.value()));
      }
    }
  }
  return RecordVector(std::move(out));
}

// Savings Plans products: `[{sku, productFamily, attributes{purchaseOption, purchaseTerm, instanceType}}, ...]`.
Result<RecordVector> plan_products(array entries, OfferFileState& state) {
  for (element entry : entries) {
    object product;
    if (entry.get_object().get(product) != simdjson::SUCCESS) {
      return Error(ErrorCode::malformed_response, "malformed price list: a Savings Plans product is not an object");
    }
    std::string sku;
    SavingsPlan plan;
    std::string term;
    for (auto [key, field] : product) {
      if (key == "sku" || key == "productFamily") {
        auto s = string_field(field, key);
        if (!s.ok()) return s.error();
        if (key == "sku") {
          sku = s.value();
        } else {
          plan.plan_type = plan_type_of(s.value());
        }
      } else if (key == "attributes") {
        object attributes;
        if (field.get_object().get(attributes) != simdjson::SUCCESS) {
          return Error(ErrorCode::malformed_response, "malformed price list: attributes is not an object");
        }
        for (auto [name, a] : attributes) {
          if (name != "purchaseOption" && name != "purchaseTerm" && name != "instanceType") continue;
          auto s = string_field(a, name);
          if (!s.ok()) return s.error();
          if (name == "purchaseOption") plan.purchase_option = price::purchase_option(s.value());
          if (name == "purchaseTerm") term = s.value();
          if (name == "instanceType" && !s.value().empty()) plan.instance_family = std::string(s.value());
        }
      }
    }
    auto years = price::lease_years(term);
    if (sku.empty() || !years) {
      return Error(ErrorCode::malformed_response,
                   fmt::format("malformed price list: Savings Plans product '{}' lacks a sku or purchaseTerm ('{}')", sku, term));
    }
    plan.term_years = *years;
    if (plan.plan_type == "compute") plan.instance_family.reset();
    state.plans.insert(std::move(sku), std::move(plan));
  }
  return RecordVector(std::vector<SavingsPlansRateRecord>{});
}

Result<std::optional<SavingsPlansRateRecord>> read_rate(object rate, const SavingsPlan& plan,
                                                        const OfferFileState& state) {
  SavingsPlansRateRecord r;
  std::string_view service;
  for (auto [key, field] : rate) {
    if (key == "discountedRate") {
      object price_object;
      if (field.get_object().get(price_object) != simdjson::SUCCESS) {
        return Error(ErrorCode::malformed_response, "malformed price list: discountedRate is not an object");
      }
      for (auto [name, p] : price_object) {
        auto s = string_field(p, name);
        if (!s.ok()) return s.error();
        if (name == "price") {
          auto parsed = price::parse_price(s.value());
          if (!parsed) {
            return Error(ErrorCode::malformed_response,
                         fmt::format("malformed price list: discountedRate.price '{}' is not a price", s.value()));
          }
          r.rate = *parsed;
        } else if (name == "currency") {
          r.currency = s.value();
        }
      }
      continue;
    }
    std::string* target = key == "discountedUsageType"   ? &r.usage_type
                          : key == "discountedOperation" ? &r.operation
                          : key == "rateCode"            ? &r.rate_code
                          : key == "unit"                ? &r.unit
                                                         : nullptr;
    if (key == "discountedServiceCode") {
      auto s = string_field(field, key);
      if (!s.ok()) return s.error();
      service = s.value();
      continue;
    }
    if (target == nullptr) continue;
    auto s = string_field(field, key);
    if (!s.ok()) return s.error();
    *target = s.value();
  }
  // Compute Savings Plans also cover Fargate and Lambda; only EC2 instance usage is kept.
  if (service != "AmazonEC2") return std::optional<SavingsPlansRateRecord>();
  auto tenancy = price::tenancy_from_usage_type(r.usage_type);
  auto software = price::from_operation(r.operation);
  if (!tenancy || !software || software->pre_installed_software || r.currency.empty()) {
    return std::optional<SavingsPlansRateRecord>();
  }
  r.instance_type = price::instance_type_from_usage_type(r.usage_type);
  r.tenancy = *tenancy;
  r.operating_system = software->operating_system;
  r.region = state.region;
  r.plan_type = plan.plan_type;
  r.instance_family = plan.instance_family;
  r.term_years = plan.term_years;
  r.purchase_option = plan.purchase_option;
  r.published_at = state.published_at;
  PricedProduct probe;
  probe.region = r.region;
  probe.instance_type = r.instance_type;
  probe.operating_system = r.operating_system;
  probe.tenancy = r.tenancy;
  if (!state.filter.keeps(probe)) return std::optional<SavingsPlansRateRecord>();
  return std::optional<SavingsPlansRateRecord>(std::move(r));
}

// Savings Plans terms: `[{sku, effectiveDate, rates[...]}, ...]`.
Result<RecordVector> plan_terms(array entries, OfferFileState& state) {
  std::vector<SavingsPlansRateRecord> out;
  for (element entry : entries) {
    object term;
    if (entry.get_object().get(term) != simdjson::SUCCESS) {
      return Error(ErrorCode::malformed_response, "malformed price list: a savingsPlan term is not an object");
    }
    std::optional<SavingsPlan> plan;
    std::string sku;
    std::optional<Timestamp> effective;
    for (auto [key, field] : term) {
      if (key == "sku") {
        auto s = string_field(field, key);
        if (!s.ok()) return s.error();
        sku = s.value();
        plan = state.plans.find(sku);
        if (!plan) ++state.orphan_terms;
      } else if (key == "effectiveDate") {
        auto s = string_field(field, key);
        if (!s.ok()) return s.error();
        effective = parse_rfc3339(s.value());
      } else if (key == "rates" && plan) {
        array rates;
        if (field.get_array().get(rates) != simdjson::SUCCESS) {
          return Error(ErrorCode::malformed_response, "malformed price list: rates of " + sku + " are not an array");
        }
        for (element rate_value : rates) {
          object rate;
          if (rate_value.get_object().get(rate) != simdjson::SUCCESS) {
            return Error(ErrorCode::malformed_response, "malformed price list: a rate of " + sku + " is not an object");
          }
          auto r = read_rate(rate, *plan, state);
          if (!r.ok()) return r.error();
          if (!r.value()) continue;
          r.value()->plan_sku = sku;
          r.value()->effective_date = effective;
          out.push_back(std::move(*r.value()));
        }
      }
    }
  }
  return RecordVector(std::move(out));
}

}  // namespace

Result<RecordVector> OfferFileNormalizer::process(const JsonSegment& segment, OfferFileState& state,
                                                  simdjson::dom::parser& parser) const {
  element doc;
  if (auto error = parser.parse(segment.json.data(), segment.json.size(), false).get(doc); error != simdjson::SUCCESS) {
    if (auto where = locate_json_error(segment.json)) {
      return segment_error(state, segment, "malformed JSON: " + where->what, where->offset);
    }
    return segment_error(state, segment, std::string("malformed JSON: ") + simdjson::error_message(error));
  }
  const OfferSection section = state.sections.at(segment.section);
  const bool products = section == OfferSection::products;
  Result<RecordVector> result = Error(ErrorCode::internal, "unreachable");
  if (state.kind == OfferKind::ec2) {
    object entries;
    if (doc.get_object().get(entries) != simdjson::SUCCESS) return segment_error(state, segment, "expected an object");
    if (products) {
      result = ec2_products(entries, state);
    } else if (section == OfferSection::on_demand) {
      result = ec2_terms<OnDemandPriceRecord>(entries, state);
    } else {
      result = ec2_terms<ReservedPriceRecord>(entries, state);
    }
  } else {
    array entries;
    if (doc.get_array().get(entries) != simdjson::SUCCESS) return segment_error(state, segment, "expected an array");
    result = products ? plan_products(entries, state) : plan_terms(entries, state);
  }
  if (!result.ok()) return segment_error(state, segment, result.error().message());
  return result;
}

}  // namespace pricepipe::stages
