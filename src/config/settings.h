// Run-wide settings, declared once.
//
// Each settings struct lists its options in `describe(v)`: the member, the
// command-line flag, the environment variable that may set it, and a
// description. The CLI binds flags from that list, `pricepipe docs settings`
// prints it as the table in docs/cli.md, and `validate()` checks the values
// whatever set them. Precedence: flag, then environment variable, then the
// default written here.
#pragma once

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

/// One row of the settings table, for documentation.
struct SettingDoc {
  std::string flag;
  std::string env;
  std::string default_value;
  std::string description;
};

std::vector<SettingDoc> network_setting_docs();

}  // namespace pricepipe::config
