// A request to an AWS API before it is signed: what the sources produce and
// what the fetcher, the cache and error messages speak about.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "net/http.h"

namespace pricepipe::net {

struct ApiRequest {
  std::string service;          ///< endpoint and signing name: `ec2`, `pricing`
  std::string region;           ///< the region the data is about
  std::string endpoint_region;  ///< the regional endpoint called and signed for; empty means `region`
  std::string action;           ///< `DescribeInstanceTypes`, `GetProducts`, ...
  std::string method = "POST";
  std::string path = "/";
  Headers headers;              ///< protocol headers (Content-Type, X-Amz-Target)
  std::string body;
  /// An absolute URL for public, unsigned fetches (bulk price files). When
  /// set, no endpoint is resolved and nothing is signed.
  std::string url;
  /// The account it is asked as: an entry of `--profiles` or `--role-arns`
  /// (graph/session.h signs with its credentials); empty for the run's own.
  std::string account;
  /// Parameters whose value follows the clock, with the value the cache key
  /// uses instead (`EndTime` → `now`), so "the answer for now" can be reused.
  std::vector<std::pair<std::string, std::string>> key_overrides;
  /// A 404 is an answer (an object that is not there), not a failure: for Fetcher::call.
  bool absent_is_answer = false;
  /// Every HTTP answer is the caller's to read, whatever its status: for
  /// Fetcher::call to a server that is not AWS (ClickHouse), whose error
  /// answers are not AWS's and are not retried.
  bool any_status_is_answer = false;
  /// May be sent again after an attempt that may have reached the server (a
  /// reset, a timeout); false for a call that must not run twice (an
  /// INSERT), which is retried only when the server was not reached at all.
  bool idempotent = true;

  const std::string& signing_region() const { return endpoint_region.empty() ? region : endpoint_region; }
};

}  // namespace pricepipe::net
