// Run-wide settings, declared once (config/options.h).
//
// Each struct lists its options in `describe(v)`: the member, its key (the
// flag is derived from it), the environment variable that may set it, a
// description and its checks. The CLI binds flags from that list,
// `pricepipe docs settings` prints it as the table in docs/cli.md, and
// `read_options` converts and checks the values whatever set them.
// Precedence: flag, then environment variable, then the default written here.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/options.h"

namespace pricepipe::config {

/// Checks for option values that are durations or sizes.
std::optional<std::string> check_duration(const std::string& text);
std::optional<std::string> check_size(const std::string& text);

/// How pricepipe talks to AWS.
struct NetworkSettings {
  std::string profile;
  std::string region;
  std::string endpoint_url;
  std::string ca_bundle;
  double connect_timeout_s = 10;
  double read_timeout_s = 60;
  int max_concurrency = 128;
  int max_attempts = 8;
  double retry_deadline_s = 300;
  int max_pages_in_flight = 128;

  template <class V>
  static void describe(V&& v) {
    using S = NetworkSettings;
    // AWS_PROFILE is read by the credential chain itself: unlike --profile it
    // does not make the chain skip keys in the environment (as in the AWS CLI).
    v(&S::profile, Option{.key = "profile",
                          .help = "Named profile from the shared config and credentials files (default: AWS_PROFILE, "
                                  "then `default`). Like the AWS CLI, --profile takes precedence over keys in the "
                                  "environment."});
    v(&S::region, Option{.key = "region",
                         .help = "Region for calls that are not per region (DescribeRegions) and the default for "
                                 "--regions. Falls back to AWS_DEFAULT_REGION, the profile's region, then us-east-1.",
                         .env = "AWS_REGION"});
    v(&S::endpoint_url, Option{.key = "endpoint_url",
                               .help = "Send every AWS API call to this URL instead of AWS (e.g. a local endpoint). "
                                       "AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_EC2 work as in the AWS SDKs. http:// "
                                       "only to loopback."});
    v(&S::ca_bundle, Option{.key = "ca_bundle",
                            .help = "PEM CA bundle to verify servers with, instead of the system's. Verification "
                                    "itself cannot be turned off.",
                            .env = "AWS_CA_BUNDLE"});
    v(&S::connect_timeout_s, Option{.key = "connect_timeout", .help = "Seconds to wait for a connection.",
                                    .env = "PRICEPIPE_CONNECT_TIMEOUT", .min = 0.001, .max = 600});
    v(&S::read_timeout_s, Option{.key = "read_timeout",
                                 .help = "Seconds without receiving data before a transfer fails (and is retried).",
                                 .env = "PRICEPIPE_READ_TIMEOUT", .min = 0.001, .max = 3600});
    v(&S::max_concurrency, Option{.key = "max_concurrency", .help = "Requests in flight at once, across all regions.",
                                  .env = "PRICEPIPE_MAX_CONCURRENCY", .min = 1, .max = 256});
    v(&S::max_attempts, Option{.key = "max_attempts",
                               .help = "Attempts per request or download, the first included, for throttling, 5xx, "
                                       "resets and timeouts. An endpoint that does not answer at all (refused, not "
                                       "resolved) is retried until --retry-deadline instead.",
                               .env = "AWS_MAX_ATTEMPTS", .min = 1, .max = 50});
    v(&S::retry_deadline_s, Option{.key = "retry_deadline",
                                   .help = "Seconds after a request's first attempt after which it is not retried "
                                           "again: the longest outage a run survives.",
                                   .env = "PRICEPIPE_RETRY_DEADLINE", .min = 0, .max = 86400});
    v(&S::max_pages_in_flight, Option{.key = "max_pages_in_flight",
                                      .help = "Pages fetched but not yet written; bounds memory when the output is "
                                              "slow.",
                                      .env = "PRICEPIPE_MAX_PAGES_IN_FLIGHT", .min = 1, .max = 4096});
  }
};

/// The cache in front of every fetch.
struct CacheSettings {
  std::string dir;              ///< empty: $XDG_CACHE_HOME/pricepipe, else ~/.cache/pricepipe
  std::string url;              ///< a shared Redis tier behind the disk: redis://, rediss://
  std::string lock_timeout = "60s";
  std::string max_size = "2G";
  std::string memory = "32M";
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
    v(&S::dir, Option{.key = "cache_dir",
                      .help = "Cache directory (default $XDG_CACHE_HOME/pricepipe, else ~/.cache/pricepipe); created "
                              "with mode 0700.",
                      .env = "PRICEPIPE_CACHE_DIR"});
    v(&S::url, Option{.key = "cache_url",
                      .help = "A Redis shared by many processes, behind the memory and disk tiers: "
                              "redis://[user:password@]host[:port][/db], or rediss:// for TLS (verified; --ca-bundle "
                              "adds a CA); the password may come from REDISCLI_AUTH instead. Identical requests from "
                              "all of them are fetched once; Redis down or full only warns.",
                      .env = "PRICEPIPE_CACHE_URL"});
    v(&S::lock_timeout, Option{.key = "cache_lock_timeout",
                               .help = "How long a process fetching a page keeps the others sharing --cache-url "
                                       "waiting for it, at most (a crashed one blocks nobody longer).",
                               .env = "PRICEPIPE_CACHE_LOCK_TIMEOUT", .check = check_duration});
    v(&S::max_size, Option{.key = "cache_max_size",
                           .help = "Size cap of the on-disk cache (compressed bytes; K, M, G suffixes); least recently "
                                   "used entries go first.",
                           .env = "PRICEPIPE_CACHE_MAX_SIZE", .check = check_size});
    v(&S::memory, Option{.key = "cache_memory", .help = "Bytes of answers kept in memory in front of the disk.",
                         .env = "PRICEPIPE_CACHE_MEMORY", .check = check_size});
    v(&S::level, Option{.key = "cache_level", .help = "zstd level for stored answers (1-19).",
                        .env = "PRICEPIPE_CACHE_LEVEL", .min = 1, .max = 19});
    v(&S::disabled, Option{.key = "no_cache", .help = "Neither read nor write the cache.", .env = "PRICEPIPE_NO_CACHE"});
    v(&S::offline, Option{.key = "offline",
                          .help = "Serve only from the cache, expired entries included; a missing entry is an error "
                                  "naming the request.",
                          .env = "PRICEPIPE_OFFLINE"});
    v(&S::refresh, Option{.key = "refresh", .help = "Fetch everything again and replace what the cache holds."});
    v(&S::ttl_regions, Option{.key = "cache_ttl_regions", .help = "How long DescribeRegions answers are fresh.",
                              .env = "PRICEPIPE_CACHE_TTL_REGIONS", .check = check_duration});
    v(&S::ttl_zones, Option{.key = "cache_ttl_zones", .help = "The same for DescribeAvailabilityZones.",
                            .env = "PRICEPIPE_CACHE_TTL_ZONES", .check = check_duration});
    v(&S::ttl_instance_types, Option{.key = "cache_ttl_instance_types", .help = "The same for DescribeInstanceTypes.",
                                     .env = "PRICEPIPE_CACHE_TTL_INSTANCE_TYPES", .check = check_duration});
    v(&S::ttl_offerings, Option{.key = "cache_ttl_offerings", .help = "The same for DescribeInstanceTypeOfferings.",
                                .env = "PRICEPIPE_CACHE_TTL_OFFERINGS", .check = check_duration});
    v(&S::ttl_prices, Option{.key = "cache_ttl_prices", .help = "The same for Pricing API (GetProducts) pages.",
                             .env = "PRICEPIPE_CACHE_TTL_PRICES", .check = check_duration});
    v(&S::ttl_price_list_index,
      Option{.key = "cache_ttl_price_list_index",
             .help = "The same for the bulk Price List's indexes. Offer files are kept until an index names a newer "
                     "version (their URLs are versioned).",
             .env = "PRICEPIPE_CACHE_TTL_PRICE_LIST_INDEX", .check = check_duration});
    v(&S::ttl_spot, Option{.key = "cache_ttl_spot", .help = "The same for DescribeSpotPriceHistory pages.",
                           .env = "PRICEPIPE_CACHE_TTL_SPOT", .check = check_duration});
    v(&S::ttl_advisor, Option{.key = "cache_ttl_advisor", .help = "The same for the Spot Instance Advisor feed.",
                              .env = "PRICEPIPE_CACHE_TTL_ADVISOR", .check = check_duration});
    v(&S::negative_ttl, Option{.key = "cache_negative_ttl",
                               .help = "How long an empty or not-found answer is kept, so a failing lookup is not "
                                       "repeated every run.",
                               .env = "PRICEPIPE_CACHE_NEGATIVE_TTL", .check = check_duration});
  }

  std::optional<OptionProblem> validate() const;
};

/// What a run reports about itself besides its records.
struct ReportSettings {
  std::string metrics_out;
  std::string metrics_format = "json";

  template <class V>
  static void describe(V&& v) {
    using S = ReportSettings;
    v(&S::metrics_out, Option{.key = "metrics_out",
                              .help = "Write the run's metrics to this file: per service and action, requests, cache "
                                      "hits, bytes, retries, throttles, failures and latency percentiles.",
                              .env = "PRICEPIPE_METRICS_OUT"});
    v(&S::metrics_format, Option{.key = "metrics_format", .help = "`json`, or `prometheus` (a node-exporter textfile).",
                                 .env = "PRICEPIPE_METRICS_FORMAT", .choices = {"json", "prometheus"}});
  }

  /// metrics_out must name a regular file or a new one in an existing
  /// directory: it is replaced by rename, which would replace a device node
  /// or a symlink itself.
  std::optional<OptionProblem> validate() const;
};

/// What goes to stderr besides the summary line and errors.
struct LogSettings {
  std::string level = "info";
  bool quiet = false;
  int verbose = 0;

  template <class V>
  static void describe(V&& v) {
    using S = LogSettings;
    v(&S::level, Option{.key = "log_level", .help = "Log level on stderr.", .env = "PRICEPIPE_LOG_LEVEL",
                        .choices = {"trace", "debug", "info", "warn", "error", "off"}});
    v(&S::quiet, Option{.key = "quiet", .help = "Only warnings and errors on stderr, and no progress line (the summary line is kept).",
                        .flag = "-q,--quiet"});
    v(&S::verbose, Option{.key = "verbose", .help = "More detail on stderr (-vv for trace).", .flag = "-v,--verbose"});
  }
};

/// The longest duration an option takes: ten years.
inline constexpr std::int64_t kMaxDurationSeconds = 3650LL * 86400;

/// Parses "1h", "30m", "7d", "90s", "2w" or "0" (up to kMaxDurationSeconds);
/// nullopt when malformed or longer.
std::optional<std::chrono::seconds> parse_duration(const std::string& text);
/// Parses "512", "64K", "256M", "2G" (powers of 1024); nullopt when malformed.
std::optional<std::uint64_t> parse_size(const std::string& text);

/// Every run-wide setting, in documentation order.
std::vector<OptionDecl> setting_declarations();

}  // namespace pricepipe::config
