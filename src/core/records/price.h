// Records of the price datasets: `on-demand-prices`, `reserved-prices` and
// `savings-plans-rates`. Prices are numbers in the record's currency; a
// price AWS does not publish is absent (no record), never 0. Enumerations
// are normalized to lower-case slugs (`linux`, `shared`, `all-upfront`) so
// they join across sources; docs/datasets.md lists the values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/schema.h"

namespace pricepipe {

/// The product a price applies to: one EC2 "Compute Instance" SKU.
struct PricedProduct {
  std::string region;
  std::string instance_type;
  std::string operating_system;
  std::string tenancy;
  std::string license_model;
  std::optional<std::string> pre_installed_software;
  std::string capacity_status;
  std::string usage_type;
  std::string operation;
  std::string sku;

  template <class R, class V>
  static void describe_product(V&& v) {
    v("region", &R::region, "Region code.");
    v("instance_type", &R::instance_type, "Instance type, e.g. `m7g.large`.");
    v("operating_system", &R::operating_system,
      "`linux`, `windows`, `rhel`, `rhel-ha`, `suse`, `ubuntu-pro`, ... (the Price List's `operatingSystem`, normalized).");
    v("tenancy", &R::tenancy, "`shared`, `dedicated` or `host`.");
    v("license_model", &R::license_model, "`no-license-required` or `bring-your-own-license`.");
    v("pre_installed_software", &R::pre_installed_software,
      "`sql-std`, `sql-web`, `sql-ent`; null when none is pre-installed (the Price List's `NA`).");
    v("capacity_status", &R::capacity_status,
      "`used` (a running instance), `unused-capacity-reservation` or `allocated-capacity-reservation`.");
    v("usage_type", &R::usage_type, "The Price List's usage type, e.g. `EUW1-BoxUsage:m7g.large`.");
    v("operation", &R::operation, "The Price List's operation, e.g. `RunInstances:0002` (Windows).");
    v("sku", &R::sku, "The Price List product SKU.");
  }
};

/// One on-demand hourly price.
struct OnDemandPriceRecord : PricedProduct {
  std::string rate_code;
  double price_per_hour = 0;
  std::string currency;
  std::string unit;
  std::optional<Timestamp> effective_date;
  std::optional<std::string> description;
  std::string source;
  std::optional<Timestamp> published_at;

  template <class V>
  static void describe(V&& v) {
    using R = OnDemandPriceRecord;
    describe_product<R>(v);
    v("rate_code", &R::rate_code, "The price dimension's rate code (`SKU.OFFERTERM.RATE`).");
    v("price_per_hour", &R::price_per_hour, "Price per instance-hour in `currency`.");
    v("currency", &R::currency, "`USD`, or `CNY` in the China regions.");
    v("unit", &R::unit, "The Price List's unit, normally `Hrs`.");
    v("effective_date", &R::effective_date, "When this price took effect.");
    v("description", &R::description, "The Price List's description of the price, e.g. `$0.0816 per On Demand Linux m7g.large Instance Hour`.");
    v("source", &R::source, "`api` (Pricing GetProducts) or `bulk` (Price List offer file).");
    v("published_at", &R::published_at, "When AWS published the price list the price was read from.");
  }
};

/// One Reserved Instance offering: lease, class and purchase option.
struct ReservedPriceRecord : PricedProduct {
  std::string offer_term_code;
  std::int64_t lease_years = 0;
  std::string offering_class;
  std::string purchase_option;
  double upfront_fee = 0;
  double hourly = 0;
  double effective_hourly = 0;
  std::string currency;
  std::optional<Timestamp> effective_date;
  std::string source;
  std::optional<Timestamp> published_at;

  template <class V>
  static void describe(V&& v) {
    using R = ReservedPriceRecord;
    describe_product<R>(v);
    v("offer_term_code", &R::offer_term_code, "The Price List's offer term code of the reservation.");
    v("lease_years", &R::lease_years, "Term length in years: 1 or 3.");
    v("offering_class", &R::offering_class, "`standard` or `convertible`.");
    v("purchase_option", &R::purchase_option, "`no-upfront`, `partial-upfront` or `all-upfront`.");
    v("upfront_fee", &R::upfront_fee, "One-time fee in `currency` (0 for no-upfront).");
    v("hourly", &R::hourly, "Recurring charge per hour in `currency` (0 for all-upfront).");
    v("effective_hourly", &R::effective_hourly,
      "`hourly` + `upfront_fee` / (`lease_years` × 8760): the average cost per hour over the term.");
    v("currency", &R::currency, "`USD`, or `CNY` in the China regions.");
    v("effective_date", &R::effective_date, "When this offering took effect.");
    v("source", &R::source, "`api` or `bulk`.");
    v("published_at", &R::published_at, "When AWS published the price list the price was read from.");
  }
};

/// One Savings Plans rate for an instance usage.
struct SavingsPlansRateRecord {
  std::string region;
  std::string instance_type;
  std::string operating_system;
  std::string tenancy;
  std::string plan_type;
  std::optional<std::string> instance_family;
  std::int64_t term_years = 0;
  std::string purchase_option;
  double rate = 0;
  std::string currency;
  std::string unit;
  std::string usage_type;
  std::string operation;
  std::string plan_sku;
  std::string rate_code;
  std::optional<Timestamp> effective_date;
  std::optional<Timestamp> published_at;

  template <class V>
  static void describe(V&& v) {
    using R = SavingsPlansRateRecord;
    v("region", &R::region, "Region code.");
    v("instance_type", &R::instance_type, "Instance type the rate applies to.");
    v("operating_system", &R::operating_system, "`linux`, `windows`, `rhel`, `suse`, ... as in on-demand-prices.");
    v("tenancy", &R::tenancy, "`shared`, `dedicated` or `host`.");
    v("plan_type", &R::plan_type, "`compute` (Compute Savings Plans) or `ec2-instance` (EC2 Instance Savings Plans).");
    v("instance_family", &R::instance_family, "For EC2 Instance Savings Plans, the family the plan covers; null for Compute Savings Plans.");
    v("term_years", &R::term_years, "Commitment term in years: 1 or 3.");
    v("purchase_option", &R::purchase_option, "`no-upfront`, `partial-upfront` or `all-upfront`.");
    v("rate", &R::rate, "Price per instance-hour under the plan, in `currency`.");
    v("currency", &R::currency, "`USD`, or `CNY` in the China regions.");
    v("unit", &R::unit, "The rate's unit, normally `Hrs`.");
    v("usage_type", &R::usage_type, "The discounted usage type, e.g. `USE1-BoxUsage:m7g.large`.");
    v("operation", &R::operation, "The discounted operation, e.g. `RunInstances`.");
    v("plan_sku", &R::plan_sku, "The Savings Plans offering SKU.");
    v("rate_code", &R::rate_code, "The rate code.");
    v("effective_date", &R::effective_date, "When this rate took effect.");
    v("published_at", &R::published_at, "When AWS published the Savings Plans price list.");
  }
};

/// A file of the bulk Price List, as an index names it: an offer's region
/// index (the offers index lists one per offer) or a region's offer file
/// (a region index lists one per region). Not a dataset: what planning reads.
struct PriceListFile {
  std::string offer;   ///< `ec2` or `savings-plans`
  std::string region;  ///< empty for a region index
  std::string url;     ///< absolute

  template <class V>
  static void describe(V&& v) {
    v("offer", &PriceListFile::offer, "`ec2` or `savings-plans`.");
    v("region", &PriceListFile::region, "Region code; empty for the offer's region index.");
    v("url", &PriceListFile::url, "The file's URL.");
  }
};

}  // namespace pricepipe
