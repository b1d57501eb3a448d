#include "stages/transforms/price_list_product.h"

#include <algorithm>

#include "stages/transforms/price_attributes.h"

namespace pricepipe::stages {

namespace {

using simdjson::dom::element;
using simdjson::dom::object;

Error bad_field(std::string_view field, std::string_view expected) {
  return Error(ErrorCode::malformed_response,
               "malformed price list: \"" + std::string(field) + "\" is not " + std::string(expected));
}

// The string value of a field, or an Error naming it.
Result<std::string_view> string_of(element v, std::string_view field) {
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS) return bad_field(field, "a string");
  return s;
}

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
}

constexpr double kHoursPerYear = 8760;

}  // namespace

bool instance_type_matches(std::string_view pattern, std::string_view type) {
  // Iterative glob with backtracking to the last '*'.
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < type.size()) {
    if (p < pattern.size() && (pattern[p] == type[t] || pattern[p] == '?')) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool PriceFilter::keeps_region(std::string_view region) const {
  if (!any_of.empty()) {
    return std::any_of(any_of.begin(), any_of.end(), [&](const PriceFilter& f) { return f.keeps_region(region); });
  }
  return contains(regions, region);
}

bool PriceFilter::keeps(const PricedProduct& p) const {
  return keeps_product(p.region, p.instance_type, p.operating_system, p.tenancy);
}

bool PriceFilter::keeps_product(std::string_view region, std::string_view instance_type,
                                std::string_view operating_system, std::string_view tenancy) const {
  if (!any_of.empty()) {
    return std::any_of(any_of.begin(), any_of.end(), [&](const PriceFilter& f) {
      return f.keeps_product(region, instance_type, operating_system, tenancy);
    });
  }
  if (!contains(regions, region) || !contains(operating_systems, operating_system) || !contains(tenancies, tenancy)) {
    return false;
  }
  if (instance_types.empty()) return true;
  return std::any_of(instance_types.begin(), instance_types.end(),
                     [&](const std::string& pattern) { return instance_type_matches(pattern, instance_type); });
}

bool PriceFilter::keeps_everything() const {
  if (!any_of.empty()) return std::any_of(any_of.begin(), any_of.end(), [](const PriceFilter& f) { return f.keeps_everything(); });
  return regions.empty() && instance_types.empty() && operating_systems.empty() && tenancies.empty();
}

PriceFilter PriceFilter::either(const PriceFilter& a, const PriceFilter& b) {
  if (a.keeps_everything() || b.keeps_everything()) return {};
  PriceFilter out;
  for (const PriceFilter* f : {&a, &b}) {
    if (f->any_of.empty()) {
      out.any_of.push_back(*f);
    } else {
      out.any_of.insert(out.any_of.end(), f->any_of.begin(), f->any_of.end());
    }
  }
  return out;
}

bool exact_instance_types(const std::vector<std::string>& patterns) {
  return !patterns.empty() && std::none_of(patterns.begin(), patterns.end(), [](const std::string& t) {
    return t.find_first_of("*?") != std::string::npos;
  });
}

Result<bool> read_product_fields(object product, ProductFields& f) {
  bool compute = false;
  std::string_view market_option = "OnDemand";
  f = ProductFields{};
  for (auto [key, field] : product) {
    if (key == "sku") {
      auto s = string_of(field, "sku");
      if (!s.ok()) return s.error();
      f.sku = s.value();
    } else if (key == "productFamily") {
      auto s = string_of(field, "productFamily");
      if (!s.ok()) return s.error();
      compute = s.value().starts_with("Compute Instance");
    } else if (key == "attributes") {
      object attributes;
      if (field.get_object().get(attributes) != simdjson::SUCCESS) return bad_field("attributes", "an object");
      for (auto [name, a] : attributes) {
        // About 40 attributes per product, 10 wanted: dispatch on length first.
        std::string_view* target = nullptr;
        switch (name.size()) {
          case 7: if (name == "tenancy") target = &f.tenancy; break;
          case 9:
            if (name == "usagetype") target = &f.usage_type;
            else if (name == "operation") target = &f.operation;
            break;
          case 10: if (name == "regionCode") target = &f.region; break;
          case 12:
            if (name == "instanceType") target = &f.instance_type;
            else if (name == "licenseModel") target = &f.license_model;
            else if (name == "marketoption") target = &market_option;
            break;
          case 14:
            if (name == "capacitystatus") target = &f.capacity_status;
            else if (name == "preInstalledSw") target = &f.pre_installed_software;
            break;
          case 15: if (name == "operatingSystem") target = &f.operating_system; break;
          default: break;
        }
        if (target == nullptr) continue;
        auto s = string_of(a, name);
        if (!s.ok()) return s.error();
        *target = s.value();
      }
    }
  }
  return compute && !f.instance_type.empty() && !f.region.empty() && market_option == "OnDemand";
}

PricedProduct normalize_product(const ProductFields& f) {
  PricedProduct p;
  p.sku = f.sku;
  p.region = f.region;
  p.instance_type = f.instance_type;
  p.operating_system = price::operating_system(f.operating_system);
  p.tenancy = price::tenancy(f.tenancy);
  p.license_model = price::license_model(f.license_model);
  p.pre_installed_software = price::pre_installed_software(f.pre_installed_software);
  p.capacity_status = f.capacity_status.empty() ? "used" : price::capacity_status(f.capacity_status);
  p.usage_type = f.usage_type;
  p.operation = f.operation;
  return p;
}

Result<std::optional<PricedProduct>> read_product(object product, const PriceFilter& filter) {
  ProductFields fields;
  auto instance = read_product_fields(product, fields);
  if (!instance.ok()) return instance.error();
  if (!instance.value()) return std::optional<PricedProduct>();
  PricedProduct p = normalize_product(fields);
  if (!filter.keeps(p)) return std::optional<PricedProduct>();
  return std::optional<PricedProduct>(std::move(p));
}

namespace {

Result<PriceDimension> read_dimension(object dimension) {
  PriceDimension d;
  for (auto [key, field] : dimension) {
    if (key == "rateCode" || key == "unit" || key == "description") {
      auto s = string_of(field, key);
      if (!s.ok()) return s.error();
      (key == "rateCode" ? d.rate_code : key == "unit" ? d.unit : d.description) = s.value();
    } else if (key == "pricePerUnit") {
      object prices;
      if (field.get_object().get(prices) != simdjson::SUCCESS) return bad_field("pricePerUnit", "an object");
      for (auto [currency, price] : prices) {
        auto text = string_of(price, "pricePerUnit");
        if (!text.ok()) return text.error();
        auto parsed = price::parse_price(text.value());
        if (!parsed) return bad_field("pricePerUnit." + std::string(currency), "a decimal price, got '" + std::string(text.value()) + "'");
        // A dimension is priced in one currency; the first one listed wins.
        if (d.currency.empty()) {
          d.currency = currency;
          d.price = *parsed;
        }
      }
    }
  }
  if (d.currency.empty()) return bad_field("pricePerUnit", "a price in any currency");
  return d;
}

Result<PriceTerm> read_term(object term) {
  PriceTerm t;
  for (auto [key, field] : term) {
    if (key == "offerTermCode") {
      auto s = string_of(field, key);
      if (!s.ok()) return s.error();
      t.offer_term_code = s.value();
    } else if (key == "effectiveDate") {
      auto s = string_of(field, key);
      if (!s.ok()) return s.error();
      t.effective_date = parse_rfc3339(s.value());
      if (!t.effective_date) return bad_field("effectiveDate", "an RFC 3339 time, got '" + std::string(s.value()) + "'");
    } else if (key == "priceDimensions") {
      object dimensions;
      if (field.get_object().get(dimensions) != simdjson::SUCCESS) return bad_field("priceDimensions", "an object");
      for (auto [rate, d] : dimensions) {
        object dimension;
        if (d.get_object().get(dimension) != simdjson::SUCCESS) return bad_field("priceDimensions", "an object of objects");
        auto read = read_dimension(dimension);
        if (!read.ok()) return read.error();
        t.dimensions.push_back(std::move(read.value()));
      }
    } else if (key == "termAttributes") {
      object attributes;
      if (field.get_object().get(attributes) != simdjson::SUCCESS) return bad_field("termAttributes", "an object");
      for (auto [name, a] : attributes) {
        std::string* target = name == "LeaseContractLength" ? &t.lease_contract_length
                              : name == "OfferingClass"     ? &t.offering_class
                              : name == "PurchaseOption"    ? &t.purchase_option
                                                            : nullptr;
        if (target == nullptr) continue;
        auto s = string_of(a, name);
        if (!s.ok()) return s.error();
        *target = s.value();
      }
    }
  }
  return t;
}

}  // namespace

Result<std::vector<PriceTerm>> read_terms(object terms) {
  std::vector<PriceTerm> out;
  for (auto [code, field] : terms) {
    object term;
    if (field.get_object().get(term) != simdjson::SUCCESS) return bad_field("terms", "an object of terms");
    auto t = read_term(term);
    if (!t.ok()) return t.error();
    out.push_back(std::move(t.value()));
  }
  return out;
}

std::optional<OnDemandPriceRecord> on_demand_record(const PricedProduct& product, const PriceTerm& term) {
  return on_demand_record(PricedProduct(product), term);
}

std::optional<OnDemandPriceRecord> on_demand_record(PricedProduct&& product, const PriceTerm& term) {
  for (const auto& d : term.dimensions) {
    if (d.unit != "Hrs") continue;
    OnDemandPriceRecord r;
    static_cast<PricedProduct&>(r) = std::move(product);
    r.rate_code = d.rate_code;
    r.price_per_hour = d.price;
    r.currency = d.currency;
    r.unit = d.unit;
    r.effective_date = term.effective_date;
    if (!d.description.empty()) r.description = d.description;
    return r;
  }
  return std::nullopt;
}

Result<ReservedPriceRecord> reserved_record(const PricedProduct& product, const PriceTerm& term) {
  ReservedPriceRecord r;
  static_cast<PricedProduct&>(r) = product;
  auto years = price::lease_years(term.lease_contract_length);
  if (!years) {
    return Error(ErrorCode::malformed_response, "malformed price list: reserved term " + product.sku + "." +
                                                    term.offer_term_code + " has LeaseContractLength '" +
                                                    term.lease_contract_length + "'");
  }
  if (term.purchase_option.empty() || term.offering_class.empty()) {
    return Error(ErrorCode::malformed_response, "malformed price list: reserved term " + product.sku + "." +
                                                    term.offer_term_code +
                                                    " lacks PurchaseOption or OfferingClass");
  }
  r.offer_term_code = term.offer_term_code;
  r.lease_years = *years;
  r.offering_class = price::offering_class(term.offering_class);
  r.purchase_option = price::purchase_option(term.purchase_option);
  r.effective_date = term.effective_date;
  for (const auto& d : term.dimensions) {
    if (r.currency.empty()) r.currency = d.currency;
    if (d.unit == "Quantity") {
      r.upfront_fee = d.price;
    } else if (d.unit == "Hrs") {
      r.hourly = d.price;
    }
  }
  r.effective_hourly = r.hourly + r.upfront_fee / (static_cast<double>(r.lease_years) * kHoursPerYear);
  return r;
}

}  // namespace pricepipe::stages
