// Reading Price List products and terms, shared by the Pricing API
// (GetProducts' PriceList items) and the bulk offer files, which carry the
// same JSON shapes: a product `{sku, productFamily, attributes{...}}` and
// terms `{SKU.TERM: {offerTermCode, effectiveDate, priceDimensions{...},
// termAttributes{...}}}`.
//
// Contract: pure functions over simdjson DOM values (the DOM parser picks
// the best SIMD kernel at run time); CPU-only and thread-safe. A value of the wrong type is an
// Error naming the field; a product that is not an EC2 instance, or that the
// filter rejects, is skipped (nullopt), not an error.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <simdjson.h>

#include "core/error.h"
#include "core/records/price.h"

namespace pricepipe::stages {

/// Which products to keep; empty lists keep everything.
struct PriceFilter {
  std::vector<std::string> regions;          ///< region codes
  std::vector<std::string> instance_types;   ///< names or `family.*` patterns
  std::vector<std::string> operating_systems;  ///< slugs: linux, windows, rhel, ...
  std::vector<std::string> tenancies;        ///< slugs: shared, dedicated, host
  /// When set, a product is kept when any of these keeps it (the lists above
  /// are then unused): one offer file read for several consumers.
  std::vector<PriceFilter> any_of;

  bool keeps(const PricedProduct& p) const;
  bool keeps_region(std::string_view region) const;
  /// The same test on normalized values.
  bool keeps_product(std::string_view region, std::string_view instance_type, std::string_view operating_system,
                     std::string_view tenancy) const;
  bool keeps_everything() const;
  /// A filter keeping what `a` or `b` keeps.
  static PriceFilter either(const PriceFilter& a, const PriceFilter& b);
};

/// True when `instance_type` matches `pattern` (`*` matches any run of characters).
bool instance_type_matches(std::string_view pattern, std::string_view instance_type);

/// True when `patterns` is not empty and names exact types only (no `*` or `?`).
bool exact_instance_types(const std::vector<std::string>& patterns);

/// A product's fields as the Price List spells them, viewing the parsed
/// document (valid while it is).
struct ProductFields {
  std::string_view sku, region, instance_type, operating_system, tenancy, license_model, capacity_status,
      usage_type, operation;
  std::string_view pre_installed_software;  ///< empty when absent
};

/// Reads a product object's fields; false when it is not an on-demand EC2
/// compute instance (storage, IPs, ... are in the same files).
Result<bool> read_product_fields(simdjson::dom::object product, ProductFields& out);

/// The fields normalized (`Linux` → `linux`, `NA` → null, ...).
PricedProduct normalize_product(const ProductFields& fields);

/// Reads a product object. nullopt: not an EC2 compute instance, or filtered out.
Result<std::optional<PricedProduct>> read_product(simdjson::dom::object product, const PriceFilter& filter);

/// One priced dimension of a term.
struct PriceDimension {
  std::string rate_code;
  std::string unit;
  std::string description;
  std::string currency;
  double price = 0;
};

/// One offer term of a SKU: its dimensions and attributes.
struct PriceTerm {
  std::string offer_term_code;
  std::optional<Timestamp> effective_date;
  std::vector<PriceDimension> dimensions;
  std::string lease_contract_length;  ///< reserved only: "1yr", "3yr"
  std::string offering_class;         ///< reserved only
  std::string purchase_option;        ///< reserved only
};

/// Reads the terms of one SKU: `{ "SKU.TERM": {...}, ... }`.
Result<std::vector<PriceTerm>> read_terms(simdjson::dom::object terms);

/// The on-demand record of a product and a term's hourly dimension; nullopt
/// when the term has no hourly price.
std::optional<OnDemandPriceRecord> on_demand_record(const PricedProduct& product, const PriceTerm& term);
/// The same, taking the product over (a SKU's only on-demand term).
std::optional<OnDemandPriceRecord> on_demand_record(PricedProduct&& product, const PriceTerm& term);

/// The reserved record of a product and a term (upfront "Quantity" plus
/// hourly "Hrs" dimensions); an Error when the term's attributes are missing.
Result<ReservedPriceRecord> reserved_record(const PricedProduct& product, const PriceTerm& term);

}  // namespace pricepipe::stages
