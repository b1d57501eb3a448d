// Run-wide settings, declared once.
//
// Each settings struct lists its options in `describe(v)`: the member, the
// command-line flag, the environment variable that may set it, and a
// description. The CLI binds flags from that list, `pricepipe docs settings`
// prints it as the table in docs/cli.md, and `validate()` checks the values
// whatever set them. Precedence: flag, then environment variable, then the
// default written here.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pricepipe::config {

/// How pricepipe talks to AWS.
struct NetworkSettings {
  std::string profile;
  std::string region;
  std::string endpoint_url;
  std::string ca_bundle;
  double connect_timeout_s = 10;
  double read_timeout_s = 60;
  int max_concurrency = 16;
  int max_attempts = 8;
  double retry_deadline_s = 300;
  int max_pages_in_flight = 32;

  template <class V>
  static void describe(V&& v) {
    using S = NetworkSettings;
    // AWS_PROFILE is read by the credential chain itself: unlike --profile it
    // does not make the chain skip keys in the environment (as in the AWS CLI).
    v(&S::profile, "--profile", "",
      "Named profile from the shared config and credentials files (default: AWS_PROFILE, then `default`). "
      "Like the AWS CLI, --profile takes precedence over keys in the environment.");
    v(&S::region, "--region", "AWS_REGION",
      "Region for calls that are not per region (DescribeRegions) and the default for --regions. "
      "Falls back to AWS_DEFAULT_REGION, the profile's region, then us-east-1.");
    v(&S::endpoint_url, "--endpoint-url", "",
      "Send every AWS API call to this URL instead of AWS (e.g. a local endpoint). "
      "AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_EC2 work as in the AWS SDKs. http:// only to loopback.");
    v(&S::ca_bundle, "--ca-bundle", "AWS_CA_BUNDLE",
      "PEM CA bundle to verify servers with, instead of the system's. Verification itself cannot be turned off.");
    v(&S::connect_timeout_s, "--connect-timeout", "PRICEPIPE_CONNECT_TIMEOUT", "Seconds to wait for a connection.");
    v(&S::read_timeout_s, "--read-timeout", "PRICEPIPE_READ_TIMEOUT",
      "Seconds without receiving data before a transfer fails (and is retried).");
    v(&S::max_concurrency, "--max-concurrency", "PRICEPIPE_MAX_CONCURRENCY", "Requests in flight at once, across all regions.");
    v(&S::max_attempts, "--max-attempts", "AWS_MAX_ATTEMPTS",
      "Attempts per request, the first included, for throttling, 5xx and connection errors.");
    v(&S::retry_deadline_s, "--retry-deadline", "PRICEPIPE_RETRY_DEADLINE",
      "Seconds after a request's first attempt after which it is not retried again.");
    v(&S::max_pages_in_flight, "--max-pages-in-flight", "PRICEPIPE_MAX_PAGES_IN_FLIGHT",
      "Pages fetched but not yet written; bounds memory when the output is slow.");
  }

  /// Throws FatalError(usage) naming the first bad value.
  void validate() const;
};

/// The cache in front of every fetch.
struct CacheSettings {
  std::string dir;              ///< empty: $XDG_CACHE_HOME/pricepipe, else ~/.cache/pricepipe
  std::string max_size = "2G";
  std::string memory = "64M";
  int level = 3;
  bool disabled = false;
  bool offline = false;
  bool refresh = false;
  std::string ttl_regions = "7d";
  std::string ttl_zones = "7d";
  std::string ttl_instance_types = "24h";
  std::string ttl_offerings = "24h";
  std::string ttl_prices = "24h";
  std::string ttl_price_list_index = "6h";
  std::string ttl_spot = "1h";
  std::string ttl_advisor = "1h";
  std::string negative_ttl = "10m";

  template <class V>
  static void describe(V&& v) {
    using S = CacheSettings;
    v(&S::dir, "--cache-dir", "PRICEPIPE_CACHE_DIR",
      "Cache directory (default $XDG_CACHE_HOME/pricepipe, else ~/.cache/pricepipe); created with mode 0700.");
    v(&S::max_size, "--cache-max-size", "PRICEPIPE_CACHE_MAX_SIZE",
      "Size cap of the on-disk cache (compressed bytes; K, M, G suffixes); least recently used entries go first.");
    v(&S::memory, "--cache-memory", "PRICEPIPE_CACHE_MEMORY", "Bytes of answers kept in memory in front of the disk.");
    v(&S::level, "--cache-level", "PRICEPIPE_CACHE_LEVEL", "zstd level for stored answers (1-19).");
    v(&S::disabled, "--no-cache", "PRICEPIPE_NO_CACHE", "Neither read nor write the cache.");
    v(&S::offline, "--offline", "PRICEPIPE_OFFLINE",
      "Serve only from the cache, expired entries included; a missing entry is an error naming the request.");
    v(&S::refresh, "--refresh", "", "Fetch everything again and replace what the cache holds.");
    v(&S::ttl_regions, "--cache-ttl-regions", "PRICEPIPE_CACHE_TTL_REGIONS", "How long DescribeRegions answers are fresh.");
    v(&S::ttl_zones, "--cache-ttl-zones", "PRICEPIPE_CACHE_TTL_ZONES", "The same for DescribeAvailabilityZones.");
    v(&S::ttl_instance_types, "--cache-ttl-instance-types", "PRICEPIPE_CACHE_TTL_INSTANCE_TYPES",
      "The same for DescribeInstanceTypes.");
    v(&S::ttl_offerings, "--cache-ttl-offerings", "PRICEPIPE_CACHE_TTL_OFFERINGS",
      "The same for DescribeInstanceTypeOfferings.");
    v(&S::ttl_prices, "--cache-ttl-prices", "PRICEPIPE_CACHE_TTL_PRICES", "The same for Pricing API (GetProducts) pages.");
    v(&S::ttl_price_list_index, "--cache-ttl-price-list-index", "PRICEPIPE_CACHE_TTL_PRICE_LIST_INDEX",
      "The same for the bulk Price List's indexes. Offer files are kept until an index names a newer version "
      "(their URLs are versioned).");
    v(&S::ttl_spot, "--cache-ttl-spot", "PRICEPIPE_CACHE_TTL_SPOT", "The same for DescribeSpotPriceHistory pages.");
    v(&S::ttl_advisor, "--cache-ttl-advisor", "PRICEPIPE_CACHE_TTL_ADVISOR", "The same for the Spot Instance Advisor feed.");
    v(&S::negative_ttl, "--cache-negative-ttl", "PRICEPIPE_CACHE_NEGATIVE_TTL",
      "How long an empty or not-found answer is kept, so a failing lookup is not repeated every run.");
  }

  void validate() const;
};

/// What a run reports about itself besides its records.
struct ReportSettings {
  std::string metrics_out;
  std::string metrics_format = "json";

  template <class V>
  static void describe(V&& v) {
    using S = ReportSettings;
    v(&S::metrics_out, "--metrics-out", "PRICEPIPE_METRICS_OUT",
      "Write the run's metrics to this file: per service and action, requests, cache hits, bytes, retries, "
      "throttles, failures and latency percentiles.");
    v(&S::metrics_format, "--metrics-format", "PRICEPIPE_METRICS_FORMAT",
      "`json`, or `prometheus` (a node-exporter textfile).");
  }

  void validate() const;
};

/// Parses "1h", "30m", "7d", "90s", "2w" or "0"; nullopt when malformed.
std::optional<std::chrono::seconds> parse_duration(const std::string& text);
/// Parses "512", "64K", "256M", "2G" (powers of 1024); nullopt when malformed.
std::optional<std::uint64_t> parse_size(const std::string& text);

/// One row of the settings table, for documentation.
struct SettingDoc {
  std::string flag;
  std::string env;
  std::string default_value;
  std::string description;
};

/// Every setting of every struct above, in order.
std::vector<SettingDoc> setting_docs();

}  // namespace pricepipe::config
