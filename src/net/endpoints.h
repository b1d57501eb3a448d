// Where each service is reached, resolved like the AWS SDKs.
//
// Precedence, highest first: `--endpoint-url` (all services), the
// service-specific environment variable (`AWS_ENDPOINT_URL_EC2`,
// `AWS_ENDPOINT_URL_PRICING`), `AWS_ENDPOINT_URL`, the profile's
// `endpoint_url`, then AWS's own endpoint for the region and partition.
// Plain http is allowed only to loopback addresses: anything else would
// send signed requests in the clear.
#pragma once

#include <map>
#include <string>

#include "config/aws_config.h"
#include "core/environment.h"
#include "core/error.h"

namespace pricepipe::net {

struct EndpointOptions {
  std::string endpoint_url;                          ///< --endpoint-url: every service
  std::map<std::string, std::string> service_urls;   ///< by service: `ec2`, `pricing`, `s3`
  std::string shared_url;                            ///< AWS_ENDPOINT_URL or the profile's endpoint_url
};

class EndpointResolver {
 public:
  /// Validates every configured URL; throws FatalError(usage) naming the bad one.
  explicit EndpointResolver(EndpointOptions options);

  /// Base URL (scheme://host[:port], no trailing slash) for a service in a region.
  std::string base_url(const std::string& service, const std::string& region) const;

  /// True when some URL was configured, i.e. we are not talking to AWS itself.
  bool custom(const std::string& service) const;

  /// The environment variable that overrides `service` (AWS_ENDPOINT_URL_EC2).
  static std::string env_var_for(const std::string& service);

 private:
  EndpointOptions options_;
};

/// The endpoints configured for `services` outside the command line: each
/// service's variable (AWS_ENDPOINT_URL_STS), AWS_ENDPOINT_URL, else the
/// profile's `endpoint_url`; none when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
/// is true. `endpoint_url` (--endpoint-url) is the caller's to set.
EndpointOptions configured_endpoints(const Environment& env, const config::AwsProfile& profile,
                                     std::initializer_list<const char*> services);

/// AWS's own DNS suffix for a region: amazonaws.com, or amazonaws.com.cn in China.
std::string dns_suffix(const std::string& region);

}  // namespace pricepipe::net
