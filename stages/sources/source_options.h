// The options of every source type, declared once (config/options.h): the
// flags of `pricepipe stream`, the keys of a pipeline file's sources, the
// JSON Schema and the option tables in docs/ all come from these lists.
//
// Options shared by several types are declared by one helper each
// (`regions`, `instance_types`, ...), so they read and check the same
// everywhere; a type's struct lists the ones it takes, and a node giving
// one its type does not take is an error naming the nearest valid key.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "config/options.h"
#include "core/schema.h"

namespace pricepipe::stages {

/// Checks of option values.
std::optional<std::string> check_region(const std::string& value);
std::optional<std::string> check_time(const std::string& value);
/// A URL pricepipe fetches from: https, or plain http only to loopback.
std::optional<std::string> check_fetch_url(const std::string& value);

template <class S, class V>
void describe_regions(V& v) {
  v(&S::regions, config::Option{
                     .key = "regions",
                     .help = "'all' or a comma-separated list. For EC2 datasets 'all' is every region enabled for the "
                             "account (DescribeRegions); for price datasets from the bulk Price List, every region it "
                             "has a file for. Default: the --region.",
                     .placeholder = "all|LIST",
                     .check = check_region});
}

template <class S, class V>
void describe_include_disabled(V& v) {
  v(&S::include_disabled_regions,
    config::Option{.key = "include_disabled_regions",
                   .help = "With regions 'all' from DescribeRegions, also query regions that are not enabled for the "
                           "account (they fail)."});
}

template <class S, class V>
void describe_instance_types(V& v) {
  v(&S::instance_types,
    config::Option{.key = "instance_types",
                   .help = "Only these instance types; names or patterns such as 'm7g.*' (comma-separated).",
                   .placeholder = "LIST"});
}

template <class S, class V>
void describe_spot_window(V& v) {
  v(&S::since, config::Option{.key = "since",
                              .help = "Spot history from this time: RFC 3339 (2026-11-01T00:00:00Z) or a duration ago "
                                      "(24h, 90m, 7d). Default: only the price in effect now.",
                              .placeholder = "TIME",
                              .check = check_time});
  v(&S::until, config::Option{.key = "until",
                              .help = "Spot history up to this time (RFC 3339 or a duration ago). Default: now.",
                              .placeholder = "TIME",
                              .check = check_time});
}

template <class S, class V>
void describe_price_filter(V& v) {
  v(&S::os, config::Option{.key = "os",
                           .help = "Only these operating systems (linux, windows, rhel, rhel-ha, suse, ubuntu-pro).",
                           .choices = {"linux", "windows", "rhel", "rhel-ha", "suse", "ubuntu-pro"},
                           .placeholder = "LIST"});
}

template <class S, class V>
void describe_tenancy(V& v) {
  v(&S::tenancy, config::Option{.key = "tenancy",
                                .help = "Only these tenancies (shared, dedicated, host).",
                                .choices = {"shared", "dedicated", "host"},
                                .placeholder = "LIST"});
}

template <class S, class V>
void describe_price_list(V& v) {
  v(&S::price_list_url, config::Option{.key = "price_list_url",
                                       .help = "Base URL of the bulk Price List.",
                                       .env = "PRICEPIPE_PRICE_LIST_URL",
                                       .placeholder = "URL",
                                       .check = check_fetch_url});
}

template <class S, class V>
void describe_offer_files(V& v) {
  v(&S::offer_file, config::Option{.key = "offer_file",
                                   .help = "Read these local offer files instead of downloading (implies "
                                           "price_source bulk; regions then filter records).",
                                   .placeholder = "PATH"});
}

template <class S, class V>
void describe_advisor_url(V& v) {
  v(&S::spot_advisor_url, config::Option{.key = "spot_advisor_url",
                                         .help = "URL of the Spot Instance Advisor feed.",
                                         .env = "PRICEPIPE_SPOT_ADVISOR_URL",
                                         .placeholder = "URL",
                                         .check = check_fetch_url});
}

/// `regions` of every regional source.
struct RegionOption {
  std::vector<std::string> regions;
  std::optional<config::OptionProblem> check_regions() const;
};

/// regions, availability-zones.
struct ZonesOptions : RegionOption {
  bool include_disabled_regions = false;

  template <class V>
  static void describe(V&& v) {
    describe_regions<ZonesOptions>(v);
    describe_include_disabled<ZonesOptions>(v);
  }
  std::optional<config::OptionProblem> validate() const { return check_regions(); }
};

/// The regions dataset takes no options: it lists every region of the partition.
struct NoOptions {
  template <class V>
  static void describe(V&&) {}
};

/// instance-types, instance-type-offerings.
struct Ec2TypeOptions : ZonesOptions {
  std::vector<std::string> instance_types;

  template <class V>
  static void describe(V&& v) {
    ZonesOptions::describe(v);
    describe_instance_types<Ec2TypeOptions>(v);
  }
};

/// The spot window's options, and what they mean once read.
struct SpotWindowOptions {
  std::string since;
  std::string until;
  std::optional<config::OptionProblem> check_window() const;
};

/// spot-prices.
struct SpotPricesOptions : Ec2TypeOptions, SpotWindowOptions {
  std::vector<std::string> product_descriptions;

  template <class V>
  static void describe(V&& v) {
    Ec2TypeOptions::describe(v);
    describe_spot_window<SpotPricesOptions>(v);
    v(&SpotPricesOptions::product_descriptions,
      config::Option{.key = "product_descriptions",
                     .help = "Spot product descriptions, e.g. 'Linux/UNIX (Amazon VPC)' (the default), or 'all'.",
                     .placeholder = "LIST"});
  }
  std::optional<config::OptionProblem> validate() const;
};

/// What every price source takes.
struct PriceOptions : RegionOption {
  std::vector<std::string> instance_types;
  std::vector<std::string> os;
  std::vector<std::string> tenancy;
  std::string price_source = "auto";
  std::string price_list_url;
  std::vector<std::string> offer_file;
};

/// on-demand-prices, reserved-prices.
struct ApiPriceOptions : PriceOptions {
  bool include_disabled_regions = false;
  std::string pricing_region = "us-east-1";

  template <class V>
  static void describe(V&& v) {
    using S = ApiPriceOptions;
    describe_regions<S>(v);
    describe_include_disabled<S>(v);
    describe_instance_types<S>(v);
    describe_price_filter<S>(v);
    describe_tenancy<S>(v);
    v(&S::price_source,
      config::Option{.key = "price_source",
                     .help = "Where prices come from: 'api' (Pricing GetProducts, signed), 'bulk' (the public Price "
                             "List offer files, streamed) or 'auto' (the API for at most 8 (region, exact type) "
                             "lookups, else bulk).",
                     .choices = {"auto", "api", "bulk"}});
    describe_price_list<S>(v);
    describe_offer_files<S>(v);
    v(&S::pricing_region, config::Option{.key = "pricing_region",
                                         .help = "Pricing API endpoint region (AWS_ENDPOINT_URL_PRICING overrides "
                                                 "the URL).",
                                         .choices = {"us-east-1", "eu-central-1", "ap-south-1", "cn-northwest-1"}});
  }
  std::optional<config::OptionProblem> validate() const;
};

/// savings-plans-rates: the bulk Price List only.
struct SavingsPlansOptions : PriceOptions {
  template <class V>
  static void describe(V&& v) {
    using S = SavingsPlansOptions;
    describe_regions<S>(v);
    describe_instance_types<S>(v);
    describe_price_filter<S>(v);
    describe_tenancy<S>(v);
    v(&S::price_source, config::Option{.key = "price_source",
                                       .help = "Savings Plans rates come only from the bulk Price List: 'bulk' or "
                                               "'auto'.",
                                       .choices = {"auto", "api", "bulk"}});
    describe_price_list<S>(v);
    describe_offer_files<S>(v);
  }
  std::optional<config::OptionProblem> validate() const;
};

/// spot-advisor.
struct SpotAdvisorOptions : RegionOption {
  std::vector<std::string> instance_types;
  std::vector<std::string> os;
  std::string spot_advisor_url;

  template <class V>
  static void describe(V&& v) {
    using S = SpotAdvisorOptions;
    describe_regions<S>(v);
    describe_instance_types<S>(v);
    v(&S::os, config::Option{.key = "os",
                             .help = "Only these operating systems (the advisor covers linux and windows).",
                             .choices = {"linux", "windows"},
                             .placeholder = "LIST"});
    describe_advisor_url<S>(v);
  }
  std::optional<config::OptionProblem> validate() const { return check_regions(); }
};

/// catalog.
struct CatalogOptions : Ec2TypeOptions, SpotWindowOptions {
  std::string price_list_url;
  std::string spot_advisor_url;
  std::size_t concurrent_regions = 4;

  template <class V>
  static void describe(V&& v) {
    using S = CatalogOptions;
    Ec2TypeOptions::describe(v);
    describe_spot_window<S>(v);
    describe_price_list<S>(v);
    describe_advisor_url<S>(v);
    v(&S::concurrent_regions, config::Option{.key = "concurrent_regions",
                                             .help = "Regions fetched and joined at once (bounds memory).",
                                             .min = 1,
                                             .max = 64});
  }
  std::optional<config::OptionProblem> validate() const;
};

/// The spot window of a source, resolved against `now`.
struct ResolvedWindow {
  Timestamp start, end;
  std::string start_label, end_label;
};
ResolvedWindow resolve_window(const SpotWindowOptions& options, std::chrono::sys_seconds now);

/// "2026-11-01T00:00:00Z", or a duration before `now`: 90s, 45m, 24h, 7d, 2w.
std::optional<Timestamp> parse_time_or_duration(const std::string& text, std::chrono::sys_seconds now);

}  // namespace pricepipe::stages
